#ifndef BULWARK_CORE_RATE_LIMIT_GLOBAL_LIMIT_STATS_HPP
#define BULWARK_CORE_RATE_LIMIT_GLOBAL_LIMIT_STATS_HPP

#include <cstdint>

namespace bulwark {

/**
 * Counters of a rate limit kept in a shared store (redis::gcra_limiter): where its decisions
 * came from and how the store failed. Plain data in core, so that telemetry can export it
 * (telemetry::instrument) without depending on the store's client.
 *
 * Every decision is counted once, in exactly one of store_decisions, cached_denials,
 * lease_decisions, failure_allowed, failure_denied or local_decisions. store_failures, reply_errors
 * and breaker_skips say why a decision was not the store's.
 */
struct global_limit_stats {
    std::uint64_t store_decisions = 0; ///< decided by the store
    std::uint64_t cached_denials = 0;  ///< refused by the over-limit cache, no round trip
    std::uint64_t store_failures = 0;  ///< store calls that failed (timeout, down, busy)
    std::uint64_t reply_errors = 0;    ///< error or malformed replies (a key of another type)
    std::uint64_t breaker_skips = 0;   ///< not sent because the breaker was open
    std::uint64_t failure_allowed = 0; ///< on_failure = allow decisions
    std::uint64_t failure_denied = 0;  ///< on_failure = deny decisions
    std::uint64_t local_decisions = 0; ///< on_failure = local_limit decisions
    std::uint64_t script_reloads = 0;  ///< NOSCRIPT answered by sending the script
    std::uint64_t lease_decisions = 0; ///< admitted from a local lease, no round trip
    std::uint64_t leased_tokens = 0;   ///< extra tokens Redis granted for leases
    std::uint64_t lease_expired = 0;   ///< leased tokens never spent (expired or replaced)
};

} // namespace bulwark

#endif
