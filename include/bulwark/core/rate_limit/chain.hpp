#ifndef BULWARK_CORE_RATE_LIMIT_CHAIN_HPP
#define BULWARK_CORE_RATE_LIMIT_CHAIN_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/core/rate_limit/rate_decision.hpp>

#include <concepts>
#include <cstdint>

namespace bulwark {

/// A limiter try_acquire_all() can chain: the single-key limiters and keyed_limiter::bind(key).
template <class L>
concept chainable_limiter = requires(L& l, std::uint64_t n, time_point now) {
    { l.try_acquire(n, now) }
    noexcept->std::same_as<rate_decision>;
    { l.release(n, now) }
    noexcept;
};

namespace detail {

template <class First, class... Rest>
rate_decision acquire_chain(std::uint64_t n, time_point now, First& first, Rest&... rest) noexcept {
    const rate_decision head = first.try_acquire(n, now);
    if constexpr (sizeof...(Rest) == 0) {
        return head;
    } else {
        if (!head.allowed) {
            return head;
        }
        const rate_decision tail = acquire_chain(n, now, rest...);
        if (!tail.allowed) {
            first.release(n, now); // consume from none when any rejects
            return tail;
        }
        return tail.remaining < head.remaining ? tail : head;
    }
}

} // namespace detail

/**
 * Checks several limiters for one request — typically global → route → client — and consumes
 * from all of them or from none.
 *
 * The limiters are tried in order; when one rejects, the units already taken from the earlier
 * ones are given back (release()) and the rejecting limiter's decision is returned, so its
 * `retry_after` drives `Retry-After`. When all admit, the decision of the one with the fewest
 * `remaining` is returned: the tightest policy is the one the client needs to see.
 *
 * Between a take and its give-back, a concurrent request may see the earlier limiters one
 * request fuller than they end up; it is never admitted beyond any limiter's quota.
 *
 * @par Example
 * @code
 * auto d = bulwark::try_acquire_all(1, now, global, per_route, per_client.bind(client_key));
 * @endcode
 *
 * @par Thread Safety
 * As safe as the limiters: every bulwark limiter may be used concurrently.
 */
template <chainable_limiter... Limiters>
requires(sizeof...(Limiters) > 0) [[nodiscard]] rate_decision
    try_acquire_all(std::uint64_t n, time_point now, Limiters&&... limiters) noexcept {
    return detail::acquire_chain(n, now, limiters...);
}

} // namespace bulwark

#endif
