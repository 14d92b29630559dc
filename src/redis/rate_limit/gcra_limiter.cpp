#include <bulwark/core/rate_limit/algorithms.hpp>
#include <bulwark/redis/rate_limit/gcra_limiter.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_map>

#include "../detail/sha1.hpp"
#include "gcra_script.hpp"

namespace bulwark::redis {

namespace {

std::error_code validate(const quota& q, const gcra_limiter_config& c, config_issue* issue) {
    if (const auto ec = bulwark::validate(q, quota_use::token_bucket, issue)) {
        return ec;
    }
    if (!q.is_unlimited()) {
        const auto p = gcra_algorithm::make_params(q);
        // The script keeps the debt (at most T * burst) in Lua's doubles: exact below 2^53 ns.
        if (p.burst > (std::uint64_t{1} << 53) / p.interval) {
            return invalid_config(issue, "quota.burst",
                                  "burst x emission interval must be under 2^53 ns (about 104 "
                                  "days) for a Redis-backed limit");
        }
    }
    if (c.name.empty()) {
        return invalid_config(issue, "gcra_limiter_config.name", "must not be empty");
    }
    if (c.expected_instances == 0) {
        return invalid_config(issue, "gcra_limiter_config.expected_instances",
                              "must be at least 1");
    }
    if (c.lease == 0) {
        return invalid_config(issue, "gcra_limiter_config.lease", "must be at least 1 (1: off)");
    }
    if (c.lease > 1 && !q.is_unlimited() && c.lease > q.burst()) {
        return invalid_config(issue, "gcra_limiter_config.lease",
                              "must be at most the quota's burst");
    }
    if (c.lease_ttl <= std::chrono::nanoseconds::zero()) {
        return invalid_config(issue, "gcra_limiter_config.lease_ttl", "must be more than 0");
    }
    if (c.max_local_keys == 0) {
        return invalid_config(issue, "gcra_limiter_config.max_local_keys", "must be at least 1");
    }
    if (const auto ec = bulwark::validate(c.breaker, issue)) {
        return ec;
    }
    return {};
}

// The local fallback's quota: the rate and the burst shared out among the instances.
quota local_share(const quota& q, unsigned instances) {
    if (q.is_unlimited() || instances <= 1) {
        return q;
    }
    const auto burst = std::max<std::uint64_t>(1, q.burst() / instances);
    return quota::per(q.period(), q.count() / instances).with_burst(burst);
}

} // namespace

class gcra_limiter::impl : public std::enable_shared_from_this<impl> {
public:
    impl(connection& store, const quota& q, gcra_limiter_config c)
        : store_{store.impl_}, store_executor_{store.get_executor()}, quota_{q},
          params_{gcra_algorithm::make_params(q)}, config_{std::move(c)}, breaker_{config_.breaker},
          fallback_{local_share(q, config_.expected_instances),
                    keyed_limiter_config{.max_keys = config_.max_local_keys}},
          sha_{detail::sha1_hex(detail::gcra_script)}, seed_{std::random_device{}()} {
        interval_arg_ = std::to_string(params_.interval);
        burst_arg_ = std::to_string(params_.burst);
        key_head_ =
            config_.key_prefix + config_.name + ':' + interval_arg_ + ':' + burst_arg_ + ":{";
    }

    connection::executor_type store_executor() const { return store_executor_; }

    void start(std::string key, std::uint64_t n,
               std::unique_ptr<detail::completion_op<rate_decision>> op) {
        const auto now = steady_clock_source{}.now();
        if (quota_.is_unlimited()) {
            // Nothing to share: the answer is the same everywhere.
            std::move(*op).complete(local_describe(n));
            return;
        }
        // Leased tokens first: they were granted after any denial this instance cached.
        if (config_.lease > 1) {
            if (const auto d = spend_lease(key, n, now)) {
                lease_decisions_.fetch_add(1, std::memory_order_relaxed);
                std::move(*op).complete(*d);
                return;
            }
        }
        if (config_.over_limit_cache && n == 1) {
            if (const auto d = cached_denial(key, now)) {
                cached_denials_.fetch_add(1, std::memory_order_relaxed);
                std::move(*op).complete(*d);
                return;
            }
        }
        auto permit = breaker_.try_acquire(now);
        if (!permit) {
            breaker_skips_.fetch_add(1, std::memory_order_relaxed);
            std::move(*op).complete(on_failure(key, n, now));
            return;
        }
        // A lease only for a key that is busy here, one grant in flight at a time.
        const std::uint64_t want = config_.lease > n && claim_lease(key, now) ? config_.lease : n;
        send(call{shared_from_this(), std::move(key), n, want, now, false, std::move(op),
                  std::move(permit)});
    }

    gcra_limiter_stats stats() const noexcept {
        return {store_decisions_.load(std::memory_order_relaxed),
                cached_denials_.load(std::memory_order_relaxed),
                store_failures_.load(std::memory_order_relaxed),
                reply_errors_.load(std::memory_order_relaxed),
                breaker_skips_.load(std::memory_order_relaxed),
                failure_allowed_.load(std::memory_order_relaxed),
                failure_denied_.load(std::memory_order_relaxed),
                local_decisions_.load(std::memory_order_relaxed),
                script_reloads_.load(std::memory_order_relaxed),
                lease_decisions_.load(std::memory_order_relaxed),
                leased_tokens_.load(std::memory_order_relaxed),
                lease_expired_.load(std::memory_order_relaxed)};
    }

    breaker_state store_state() const noexcept { return breaker_.state(); }

    check_result health() const {
        const auto snap = breaker_.snapshot();
        const std::string_view mode = config_.on_failure == on_store_failure::allow ? "allow"
                                      : config_.on_failure == on_store_failure::deny
                                          ? "deny"
                                          : "local_limit";
        check_result r;
        if (!connection::state_connected(*store_)) {
            r = check_result::fail("redis not connected; deciding by " + std::string{mode});
        } else if (snap.state == breaker_state::open || snap.state == breaker_state::forced_open) {
            r = check_result::fail("redis failing (circuit open); deciding by " +
                                   std::string{mode});
        } else if (snap.state == breaker_state::half_open) {
            r = check_result::warn("redis recovering (circuit half_open)");
        } else {
            r = check_result::pass();
        }
        if (snap.failure_rate) {
            r.observed(*snap.failure_rate, "percent");
        }
        return r;
    }

private:
    // One decision in flight. `self` is declared first so it is destroyed last: the permit's
    // destructor (an unrecorded call) reaches the breaker that `self` keeps alive.
    struct call {
        std::shared_ptr<impl> self;
        std::string key;
        std::uint64_t n = 1;
        std::uint64_t want = 1; // > n: this call holds the key's lease claim
        time_point sent;
        bool full_script = false;
        std::unique_ptr<detail::completion_op<rate_decision>> op;
        circuit_breaker::permit permit;
    };

    // The completion of one Redis call (a named type: see `call`).
    struct on_reply_handler {
        call c;
        void operator()(boost::system::error_code ec, reply r) {
            auto* self = c.self.get();
            self->on_reply(std::move(c), ec, std::move(r));
        }
    };

    void send(call c) {
        command cmd;
        if (c.full_script) {
            cmd.arg("EVAL").arg(detail::gcra_script);
        } else {
            cmd.arg("EVALSHA").arg(sha_);
        }
        std::string redis_key;
        redis_key.reserve(key_head_.size() + c.key.size() + 1);
        redis_key.append(key_head_).append(c.key).append(1, '}');
        cmd.arg(1).arg(redis_key).arg(interval_arg_).arg(burst_arg_).arg(c.n);
        cmd.arg(c.want); // the tokens wanted: n, or n and a lease's extra ones
        // Through the connection's shared state: it outlives the connection object, and a
        // call on a destroyed connection fails with operation_aborted.
        using op_type = detail::completion_op_impl<on_reply_handler, connection::executor_type,
                                                   boost::system::error_code, reply>;
        connection::submit(
            store_, std::move(cmd),
            std::make_unique<op_type>(on_reply_handler{std::move(c)}, store_executor_));
    }

    void on_reply(call c, boost::system::error_code ec, reply r) {
        const auto now = steady_clock_source{}.now();
        if (!ec && r.error_code() == "NOSCRIPT" && !c.full_script) {
            // Redis restarted or SCRIPT FLUSH: send the script itself once (it is cached again).
            script_reloads_.fetch_add(1, std::memory_order_relaxed);
            c.full_script = true;
            send(std::move(c));
            return;
        }
        std::uint64_t granted = 0;
        const auto d = ec ? std::nullopt : parse(r, c.n, c.want, granted);
        if (c.want > c.n) {
            // Every answer ends the claim: the next miss for the key may ask again.
            finish_lease(c.key, d && d->allowed ? granted - c.n : 0,
                         d ? static_cast<std::uint64_t>(r.elements[1].integer) +
                                 granted * params_.interval
                           : 0,
                         c.sent); // the lease's life counts from the send: never past ttl
        }
        if (ec) {
            c.permit.record(call_outcome::failure, now);
            store_failures_.fetch_add(1, std::memory_order_relaxed);
            std::move(*c.op).complete(on_failure(c.key, c.n, now));
            return;
        }
        if (!d) {
            // Redis answered, so it is up: an error about this key (another type under the
            // name, a script refused) must not open the breaker for every client.
            c.permit.record(call_outcome::ignored, now);
            reply_errors_.fetch_add(1, std::memory_order_relaxed);
            std::move(*c.op).complete(on_failure(c.key, c.n, now));
            return;
        }
        c.permit.record(call_outcome::success, now);
        store_decisions_.fetch_add(1, std::memory_order_relaxed);
        // Only a cost-1 refusal is cached: its retry time is the one cost-1 requests share.
        // It counts from when the request was sent, so the cache never outlasts Redis's
        // refusal.
        if (!d->allowed && c.n == 1 && config_.over_limit_cache &&
            d->retry_after != rate_decision::never) {
            remember_denial(c.key, c.sent + d->retry_after);
        }
        std::move(*c.op).complete(*d);
    }

    // {allowed, debt in ns, granted} to the decision gcra_algorithm describes; nullopt for a reply
    // of another shape (an error reply, a script of another version).
    std::optional<rate_decision> parse(const reply& r, std::uint64_t n, std::uint64_t want,
                                       std::uint64_t& granted) const {
        if (r.type != reply::kind::array || r.elements.size() != 3 ||
            r.elements[0].type != reply::kind::integer ||
            r.elements[1].type != reply::kind::integer ||
            r.elements[2].type != reply::kind::integer) {
            return std::nullopt;
        }
        const auto debt = r.elements[1].integer;
        if (debt < 0 || static_cast<std::uint64_t>(debt) > params_.tolerance) {
            return std::nullopt;
        }
        const bool allowed = r.elements[0].integer == 1;
        const auto grant = r.elements[2].integer;
        if (grant < 0 || (allowed && static_cast<std::uint64_t>(grant) < n) ||
            static_cast<std::uint64_t>(grant) > std::max(n, want) ||
            static_cast<std::uint64_t>(grant) > std::max(n, params_.burst)) {
            return std::nullopt;
        }
        granted = static_cast<std::uint64_t>(grant);
        const auto tat = static_cast<std::uint64_t>(debt); // relative to now = 0
        const rate_admission a{allowed ? tat + n * params_.interval : tat, allowed, allowed};
        return gcra_algorithm::describe(tat, 0, params_, n, a);
    }

    rate_decision local_describe(std::uint64_t n) const {
        const rate_admission a{0, true, false};
        return gcra_algorithm::describe(0, 0, params_, n, a);
    }

    rate_decision on_failure(std::string_view key, std::uint64_t n, time_point now) {
        switch (config_.on_failure) {
        case on_store_failure::allow: {
            failure_allowed_.fetch_add(1, std::memory_order_relaxed);
            rate_decision d = local_describe(n);
            d.allowed = true;
            return d;
        }
        case on_store_failure::deny: {
            failure_denied_.fetch_add(1, std::memory_order_relaxed);
            rate_decision d;
            d.allowed = false;
            d.limit = params_.burst;
            d.window = duration{static_cast<duration::rep>(params_.tolerance)};
            d.retry_after = config_.breaker.wait_in_open; // when the store may be back
            d.reset_after = d.retry_after;
            return d;
        }
        case on_store_failure::local_limit: break;
        }
        local_decisions_.fetch_add(1, std::memory_order_relaxed);
        return fallback_.try_acquire(key, n, now);
    }

    // --- leases: extra tokens Redis granted, spent locally until lease_ttl -------------------

    struct lease_entry {
        std::uint64_t tokens = 0;     // granted, left to spend
        std::uint64_t debt_after = 0; // the bucket's debt (ns) right after the last grant
        time_point granted_at{};      // of the oldest unspent tokens
        time_point last_seen{};       // the last request for the key
        bool requesting = false;      // a grant is in flight
    };
    // Looks a key up by string_view: no allocation per decision.
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view k) const noexcept {
            return std::hash<std::string_view>{}(k);
        }
    };
    struct lease_shard {
        std::mutex mutex;
        // Full keys, not hashes: a lease is a grant of tokens, never to be shared by accident.
        std::unordered_map<std::string, lease_entry, key_hash, std::equal_to<>> leases;
    };

    lease_shard& lease_shard_for(std::string_view key) noexcept {
        return leases_[hash(key) % cache_shards];
    }

    // Drops the entry's tokens if they are past lease_ttl (counted as expired).
    void expire(lease_entry& l, time_point now) noexcept {
        if (l.tokens != 0 && now - l.granted_at >= config_.lease_ttl) {
            lease_expired_.fetch_add(l.tokens, std::memory_order_relaxed);
            l.tokens = 0;
        }
    }

    std::optional<rate_decision> spend_lease(std::string_view key, std::uint64_t n,
                                             time_point now) {
        auto& shard = lease_shard_for(key);
        const std::lock_guard lock{shard.mutex};
        const auto it = shard.leases.find(key);
        if (it == shard.leases.end()) {
            return std::nullopt;
        }
        auto& l = it->second;
        expire(l, now);
        if (l.tokens < n || l.tokens == 0) {
            return std::nullopt;
        }
        // The bucket as this instance knows it: the debt after the grant, less the leased
        // tokens still unspent here, less the time since (none if `now` was read before the
        // grant was stored by another thread).
        const auto age =
            now > l.granted_at ? static_cast<std::uint64_t>((now - l.granted_at).count()) : 0;
        const auto unspent = l.tokens * params_.interval;
        const auto known = l.debt_after > unspent ? l.debt_after - unspent : 0;
        const auto debt = known > age ? known - age : 0;
        l.tokens -= n;
        l.last_seen = now;
        const rate_admission a{debt + n * params_.interval, true, true};
        return gcra_algorithm::describe(debt, 0, params_, n, a);
    }

    // A miss for `key`: true when this call should ask for a lease. Only a key seen twice
    // within lease_ttl is leased (a sparse key would waste every grant), and only one grant
    // per key is in flight (concurrent misses ask for their own cost only).
    bool claim_lease(std::string_view key, time_point now) {
        auto& shard = lease_shard_for(key);
        const std::lock_guard lock{shard.mutex};
        auto it = shard.leases.find(key);
        if (it == shard.leases.end()) {
            if (shard.leases.size() >=
                std::max<std::size_t>(1, config_.max_local_keys / cache_shards)) {
                // Full: drop one entry (an idle one if the first is idle; its tokens count
                // as expired). A dropped key just starts again as cold.
                auto victim = shard.leases.begin();
                if (victim->second.requesting) {
                    return false; // never drop a claim in flight; this miss asks for n only
                }
                lease_expired_.fetch_add(victim->second.tokens, std::memory_order_relaxed);
                shard.leases.erase(victim);
            }
            shard.leases.emplace(std::string{key}, lease_entry{.last_seen = now});
            return false; // the first miss: not busy yet
        }
        auto& l = it->second;
        const bool busy = now - l.last_seen < config_.lease_ttl;
        l.last_seen = now;
        if (!busy || l.requesting) {
            return false;
        }
        l.requesting = true;
        return true;
    }

    // The end of a lease claim: `extra` tokens granted beyond the request's cost (0 for a
    // refusal or a failure) join the key's lease.
    void finish_lease(std::string_view key, std::uint64_t extra, std::uint64_t debt_after,
                      time_point sent) {
        auto& shard = lease_shard_for(key);
        {
            const std::lock_guard lock{shard.mutex};
            const auto it = shard.leases.find(key);
            if (it == shard.leases.end()) {
                if (extra != 0) {
                    lease_expired_.fetch_add(extra, std::memory_order_relaxed); // evicted
                }
                return;
            }
            auto& l = it->second;
            l.requesting = false;
            if (extra == 0) {
                return;
            }
            expire(l, sent);
            if (l.tokens == 0) {
                l.granted_at = sent;
            } // else the older tokens' time stands for all: none outlives lease_ttl
            l.tokens += extra;
            l.debt_after = debt_after;
            leased_tokens_.fetch_add(extra, std::memory_order_relaxed);
        }
        // Tokens in hand: a denial cached before they were granted no longer holds here.
        forget_denial(key);
    }

    // --- the over-limit cache: keys by seeded hash, sharded, bounded --------------------------

    static constexpr std::size_t cache_shards = 16;

    struct cache_shard {
        std::mutex mutex;
        std::unordered_map<std::uint64_t, time_point> retry_at; // key hash -> when to ask again
    };

    std::uint64_t hash(std::string_view key) const noexcept {
        // FNV-1a with a per-limiter random seed: collisions cannot be precomputed, and one
        // only makes a cost-1 request wait for another key's retry time.
        std::uint64_t h = 1469598103934665603ULL ^ seed_;
        for (const char ch : key) {
            h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
        }
        return h;
    }

    std::optional<rate_decision> cached_denial(std::string_view key, time_point now) {
        const auto h = hash(key);
        auto& shard = cache_[h % cache_shards];
        const std::lock_guard lock{shard.mutex};
        const auto it = shard.retry_at.find(h);
        if (it == shard.retry_at.end()) {
            return std::nullopt;
        }
        if (it->second <= now) {
            shard.retry_at.erase(it);
            return std::nullopt;
        }
        // What Redis would say to a cost-1 request now: no token until retry_at; the bucket
        // is then short of exactly one token, so it is full again burst - 1 intervals later.
        rate_decision d;
        d.allowed = false;
        d.remaining = 0;
        d.limit = params_.burst;
        d.window = duration{static_cast<duration::rep>(params_.tolerance)};
        d.retry_after = it->second - now;
        d.reset_after = d.retry_after +
                        duration{static_cast<duration::rep>(params_.tolerance - params_.interval)};
        return d;
    }

    void forget_denial(std::string_view key) {
        const auto h = hash(key);
        auto& shard = cache_[h % cache_shards];
        const std::lock_guard lock{shard.mutex};
        shard.retry_at.erase(h);
    }

    void remember_denial(std::string_view key, time_point retry_at) {
        const auto h = hash(key);
        auto& shard = cache_[h % cache_shards];
        const std::lock_guard lock{shard.mutex};
        const std::size_t cap = std::max<std::size_t>(1, config_.max_local_keys / cache_shards);
        if (shard.retry_at.size() >= cap && !shard.retry_at.contains(h)) {
            // Full: drop one entry (the first the table holds, in effect a random one). The
            // cache only saves round trips; a dropped key just asks Redis again.
            shard.retry_at.erase(shard.retry_at.begin());
        }
        shard.retry_at[h] = retry_at;
    }

    std::shared_ptr<connection::impl> store_;
    connection::executor_type store_executor_;
    quota quota_;
    gcra_algorithm::params params_;
    gcra_limiter_config config_;
    circuit_breaker breaker_;
    keyed_limiter<bulwark::gcra_limiter> fallback_;
    std::string sha_;
    std::uint64_t seed_;
    std::string interval_arg_;
    std::string burst_arg_;
    std::string key_head_;
    std::array<cache_shard, cache_shards> cache_;
    std::array<lease_shard, cache_shards> leases_;

    std::atomic<std::uint64_t> store_decisions_{0};
    std::atomic<std::uint64_t> cached_denials_{0};
    std::atomic<std::uint64_t> lease_decisions_{0};
    std::atomic<std::uint64_t> leased_tokens_{0};
    std::atomic<std::uint64_t> lease_expired_{0};
    std::atomic<std::uint64_t> store_failures_{0};
    std::atomic<std::uint64_t> reply_errors_{0};
    std::atomic<std::uint64_t> breaker_skips_{0};
    std::atomic<std::uint64_t> failure_allowed_{0};
    std::atomic<std::uint64_t> failure_denied_{0};
    std::atomic<std::uint64_t> local_decisions_{0};
    std::atomic<std::uint64_t> script_reloads_{0};
};

gcra_limiter::gcra_limiter(connection& store, const quota& q, gcra_limiter_config config) {
    config_issue issue;
    if (validate(q, config, &issue)) {
        throw_invalid_config(issue);
    }
    impl_ = std::make_shared<impl>(store, q, std::move(config));
}

gcra_limiter::~gcra_limiter() = default;

gcra_limiter_stats gcra_limiter::stats() const noexcept {
    return impl_->stats();
}

std::function<gcra_limiter_stats()> gcra_limiter::stats_reader() const {
    return [state = impl_] { return state->stats(); };
}

std::function<check_result()> gcra_limiter::health_check() const {
    return [state = impl_] { return state->health(); };
}

breaker_state gcra_limiter::store_state() const noexcept {
    return impl_->store_state();
}

connection::executor_type gcra_limiter::store_executor() const noexcept {
    return impl_->store_executor();
}

void gcra_limiter::start(const std::shared_ptr<impl>& state, std::string key, std::uint64_t n,
                         std::unique_ptr<detail::completion_op<rate_decision>> op) {
    state->start(std::move(key), n, std::move(op));
}

} // namespace bulwark::redis
