#ifndef BULWARK_CORE_RATE_LIMIT_SLIDING_WINDOW_LIMITER_HPP
#define BULWARK_CORE_RATE_LIMIT_SLIDING_WINDOW_LIMITER_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/core/rate_limit/algorithms.hpp>
#include <bulwark/core/rate_limit/detail/single_key_limiter.hpp>

namespace bulwark {

/**
 * Sliding-window-counter limiter for one key.
 *
 * The algorithm is sliding_window_algorithm (see its description in
 * bulwark/core/rate_limit/algorithms.hpp); the whole state is one std::atomic<uint64_t> updated by
 * a compare-and-swap loop around that pure decision, so try_acquire() is lock-free and a rejection
 * writes nothing.
 *
 * Members (from detail::single_key_limiter):
 * - `try_acquire(n = 1)` reads the clock; `try_acquire(n, now)` takes a time the caller
 *   already read (the HTTP pipeline reads the clock once per request). Both noexcept.
 * - `release(n, now)` gives back units of an abandoned admission (chained limits).
 * - `snapshot(now)` / `snapshot()`: the state as a decision on a request of cost 0.
 * - `set_quota(q)` at run time, keeping the state; `get_quota()`; `validate(q)`.
 *
 * @par Thread Safety
 * Every member may be called concurrently.
 *
 * @throws std::system_error from the constructor and set_quota() for an invalid quota, naming
 * the field ("quota.rate: must be a positive, finite number ...").
 */
template <clock_source Clock = steady_clock_source>
class basic_sliding_window_limiter
    : public detail::single_key_limiter<sliding_window_algorithm, Clock> {
public:
    /// A limiter admitting `q`, full at construction, reading time from `clock`.
    explicit basic_sliding_window_limiter(const quota& q, Clock clock = Clock{})
        : detail::single_key_limiter<sliding_window_algorithm, Clock>(q, std::move(clock)) {}
};

/// basic_sliding_window_limiter on std::chrono::steady_clock.
using sliding_window_limiter = basic_sliding_window_limiter<>;

} // namespace bulwark

#endif
