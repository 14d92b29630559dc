#ifndef BULWARK_CORE_RATE_LIMIT_RATE_DECISION_HPP
#define BULWARK_CORE_RATE_LIMIT_RATE_DECISION_HPP

#include <bulwark/core/clock.hpp>

#include <cstdint>
#include <limits>

namespace bulwark {

/**
 * A rate limiter's answer: a value, never an exception, carrying everything the HTTP layer
 * needs for `Retry-After` and the IETF `RateLimit` / `RateLimit-Policy` headers.
 *
 * | header                 | from                                                          |
 * |------------------------|---------------------------------------------------------------|
 * | `Retry-After`          | `retry_after`, rounded up to whole seconds (only when denied) |
 * | `RateLimit: r=`        | `remaining`                                                   |
 * | `RateLimit: t=`        | `reset_after`, rounded up to whole seconds                    |
 * | `RateLimit-Policy: q=` | `limit`                                                       |
 * | `RateLimit-Policy: w=` | `window`, rounded up to whole seconds                         |
 */
struct rate_decision {
    /// `retry_after` of a request that can never be admitted (it asks for more than `limit`).
    static constexpr duration never = duration::max();
    /// `remaining` and `limit` of an unlimited quota.
    static constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();

    /// Whether the request is admitted (and its cost consumed).
    bool allowed = false;
    /// Requests of cost 1 that would be admitted right after this decision.
    std::uint64_t remaining = 0;
    /// Denied: how long until the same request would be admitted if nothing else arrives; `never`
    /// when it asks for more than the limit. Allowed: zero.
    duration retry_after{};
    /// How long until the limiter is back to its full limit if nothing else arrives.
    duration reset_after{};
    /// The most requests admitted at once: the burst (token bucket) or the count per window.
    std::uint64_t limit = 0;
    /// The policy window: the time a full burst takes to refill, or the window length.
    duration window{};

    /// False only for a request that no amount of waiting admits.
    [[nodiscard]] constexpr bool satisfiable() const noexcept {
        return allowed || retry_after != never;
    }
};

} // namespace bulwark

#endif
