#ifndef BULWARK_REDIS_RATE_LIMIT_GCRA_LIMITER_HPP
#define BULWARK_REDIS_RATE_LIMIT_GCRA_LIMITER_HPP

#include <bulwark/core/circuit_breaker/circuit_breaker.hpp>
#include <bulwark/core/health/check_result.hpp>
#include <bulwark/core/rate_limit/gcra_limiter.hpp>
#include <bulwark/core/rate_limit/global_limit_stats.hpp>
#include <bulwark/core/rate_limit/keyed_limiter.hpp>
#include <bulwark/core/rate_limit/quota.hpp>
#include <bulwark/core/rate_limit/rate_decision.hpp>
#include <bulwark/redis/connection.hpp>

#include <boost/asio/async_result.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace bulwark::redis {

/// What a decision is when Redis cannot make it (down, slow, breaker open).
enum class on_store_failure : std::uint8_t {
    allow,       ///< fail open: admit (availability over the limit)
    deny,        ///< fail closed: refuse with 429 (the limit over availability)
    local_limit, ///< a local limiter at the rate divided by `expected_instances` (the default)
};

/// Configuration of a redis::gcra_limiter.
struct gcra_limiter_config {
    /// The limit's name. The Redis key is `key_prefix` + name + the quota + the client's key
    /// in braces (a Redis Cluster hash tag), e.g. `bulwark:rl:api:100000000:10:{203.0.113.7/32}`:
    /// instances share a limit when name and quota agree, and two different limits never
    /// share a key. Default "default".
    std::string name = "default";
    /// Prefix of every Redis key. Default "bulwark:rl:".
    std::string key_prefix = "bulwark:rl:";
    /// Behaviour when Redis cannot decide. Default local_limit.
    on_store_failure on_failure = on_store_failure::local_limit;
    /// Instances sharing the limit; local_limit admits rate / expected_instances per instance
    /// (and the burst divided the same way, at least 1). Default 1; at least 1.
    unsigned expected_instances = 1;
    /// Remember keys Redis refused until their retry time and refuse them locally, without a
    /// round trip (the over-limit cache of Lyft's ratelimit). Default true.
    bool over_limit_cache = true;
    /// Batch leasing: each round trip for a key takes up to `lease` tokens from Redis (at
    /// least the request's cost, at most what the bucket holds), and the extra ones are spent
    /// locally by later requests for the same key, with no round trip, for at most
    /// `lease_ttl`. It never admits a request Redis did not grant a token for; see
    /// docs/rate_limit.md for the accuracy bound. Default 1 (off); at least 1.
    std::uint64_t lease = 1;
    /// How long leased tokens may be spent after Redis granted them; unspent ones are then
    /// dropped. Default 100 ms; more than 0.
    std::chrono::nanoseconds lease_ttl = std::chrono::milliseconds{100};
    /// Keys the over-limit cache, the leases and the local fallback each hold at most.
    /// Default 100000.
    std::size_t max_local_keys = 100'000;
    /// Guards Redis: after failures it opens, decisions go straight to `on_failure` without
    /// waiting for timeouts, and half-open probes find out when Redis is back. Default: opens
    /// at 50% failures of the last 20 calls (at least 10), waits 1 s.
    circuit_breaker_config breaker = {
        .window_size = 20, .minimum_calls = 10, .wait_in_open = std::chrono::seconds{1}};
};

/// Counters of a redis::gcra_limiter (see global_limit_stats).
using gcra_limiter_stats = global_limit_stats;

/**
 * GCRA rate limit shared by every instance through Redis: one key's state lives in Redis and
 * a Lua script decides atomically on the server (one round trip, EVALSHA; the script is sent
 * again when Redis answers NOSCRIPT). Decisions are the same `rate_decision` as the local
 * limiters', computed by the same gcra_algorithm from the server's state and clock.
 *
 * @par Thread Safety
 * Every member may be called concurrently.
 */
class gcra_limiter {
public:
    /// Throws std::system_error naming the field for an invalid quota or config.
    BULWARK_REDIS_API gcra_limiter(connection& store, const quota& q,
                                   gcra_limiter_config config = {});
    BULWARK_REDIS_API ~gcra_limiter();
    gcra_limiter(const gcra_limiter&) = delete;
    gcra_limiter& operator=(const gcra_limiter&) = delete;

    /**
     * Decides a request of cost `n` for `key`; completes with `void(rate_decision)`, on the
     * handler's associated executor (the connection's by default). It always decides: a
     * Redis failure becomes a decision per `on_failure`. Within one command_timeout, or two
     * when Redis has lost the script (NOSCRIPT: it is sent again). The connection may be
     * destroyed first: the decision then follows `on_failure`.
     */
    template <class Token = boost::asio::default_completion_token_t<connection::executor_type>>
    auto async_try_acquire(std::string_view key, std::uint64_t n, Token&& token = {}) {
        // The initiation holds the state, not `this` (a lazy token may initiate later).
        return boost::asio::async_initiate<Token, void(rate_decision)>(
            [state = impl_, ex = store_executor()](auto handler, std::string k,
                                                   std::uint64_t cost) {
                using op_type =
                    detail::completion_op_impl<decltype(handler), connection::executor_type,
                                               rate_decision>;
                start(state, std::move(k), cost, std::make_unique<op_type>(std::move(handler), ex));
            },
            token, std::string{key}, n);
    }

    [[nodiscard]] BULWARK_REDIS_API gcra_limiter_stats stats() const noexcept;
    /// stats() through a function that keeps the limiter's state alive: what
    /// telemetry::instrument(registry, name, reader) reads at scrape time, even after the
    /// limiter is gone.
    [[nodiscard]] BULWARK_REDIS_API std::function<gcra_limiter_stats()> stats_reader() const;
    /// The state of the breaker guarding Redis.
    [[nodiscard]] BULWARK_REDIS_API breaker_state store_state() const noexcept;

    /**
     * A health check of the limit's store, for readiness if you want one:
     * - `fail` while the connection is down or the breaker is open: decisions are made by
     *   `on_failure` (the output names the mode);
     * - `warn` while the breaker is half-open (probing Redis again);
     * - `pass` otherwise, with the breaker's failure rate as the observed value.
     * Register it non-critical when the fallback is acceptable (the readiness group then only
     * warns), critical when it is not (on_failure = deny refuses everyone while Redis is away).
     * The check keeps the limiter's state alive; it may be called from any thread.
     */
    [[nodiscard]] BULWARK_REDIS_API std::function<check_result()> health_check() const;

    class impl;

private:
    [[nodiscard]] BULWARK_REDIS_API connection::executor_type store_executor() const noexcept;
    BULWARK_REDIS_API static void start(const std::shared_ptr<impl>& state, std::string key,
                                        std::uint64_t n,
                                        std::unique_ptr<detail::completion_op<rate_decision>> op);

    std::shared_ptr<impl> impl_;
};

} // namespace bulwark::redis

#endif
