#include <bulwark/core/rate_limit/algorithms.hpp>
#include <bulwark/redis/rate_limit/gcra_limiter.hpp>

#include <atomic>
#include <charconv>
#include <cmath>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "../detail/sha1.hpp"
#include "gcra_script.hpp"

namespace bulwark::redis {

namespace {

std::error_code validate(const quota& q, const gcra_limiter_config& c, config_issue* issue) {
    if (const auto ec = bulwark::validate(q, quota_use::token_bucket, issue)) {
        return ec;
    }
    if (c.expected_instances == 0) {
        return invalid_config(issue, "gcra_limiter_config.expected_instances",
                              "must be at least 1");
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

// "123.456" (microseconds, three decimals) to nanoseconds.
std::optional<std::int64_t> parse_us(std::string_view s) {
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(std::llround(v * 1000.0));
}

} // namespace

class gcra_limiter::impl : public std::enable_shared_from_this<impl> {
public:
    impl(connection& store, const quota& q, gcra_limiter_config c)
        : store_{store}, quota_{q}, params_{gcra_algorithm::make_params(q)}, config_{std::move(c)},
          breaker_{config_.breaker}, fallback_{local_share(q, config_.expected_instances),
                                               keyed_limiter_config{.max_keys =
                                                                        config_.max_local_keys}},
          sha_{detail::sha1_hex(detail::gcra_script)} {
        interval_arg_ = std::to_string(params_.interval);
        burst_arg_ = std::to_string(params_.burst);
    }

    void start(std::string key, std::uint64_t n,
               std::unique_ptr<detail::completion_op<rate_decision>> op) {
        const auto now = steady_clock_source{}.now();
        if (quota_.is_unlimited()) {
            // Nothing to share: the answer is the same everywhere.
            std::move(*op).complete(local_describe(n));
            return;
        }
        if (config_.over_limit_cache) {
            if (const auto d = cached_denial(key, n, now)) {
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
        send(std::move(key), n, std::move(op), std::move(permit), false);
    }

    gcra_limiter_stats stats() const noexcept {
        return {store_decisions_.load(std::memory_order_relaxed),
                cached_denials_.load(std::memory_order_relaxed),
                store_failures_.load(std::memory_order_relaxed),
                breaker_skips_.load(std::memory_order_relaxed),
                failure_allowed_.load(std::memory_order_relaxed),
                failure_denied_.load(std::memory_order_relaxed),
                local_decisions_.load(std::memory_order_relaxed),
                script_reloads_.load(std::memory_order_relaxed)};
    }

    breaker_state store_state() const noexcept { return breaker_.state(); }
    connection& store() noexcept { return store_; }

private:
    std::string redis_key(std::string_view key) const {
        std::string k;
        k.reserve(config_.key_prefix.size() + key.size() + 2);
        k += config_.key_prefix;
        k += '{';
        k += key;
        k += '}';
        return k;
    }

    void send(std::string key, std::uint64_t n,
              std::unique_ptr<detail::completion_op<rate_decision>> op,
              circuit_breaker::permit permit, bool full_script) {
        command cmd;
        if (full_script) {
            cmd.arg("EVAL").arg(detail::gcra_script);
        } else {
            cmd.arg("EVALSHA").arg(sha_);
        }
        cmd.arg(1).arg(redis_key(key)).arg(interval_arg_).arg(burst_arg_).arg(n);
        // The completion runs on the connection's executor; the limiter outlives it through
        // the shared pointer.
        store_.async_exec(std::move(cmd),
                          [self = shared_from_this(), key = std::move(key), n, op = std::move(op),
                           permit = std::move(permit),
                           full_script](boost::system::error_code ec, reply r) mutable {
                              self->on_reply(std::move(key), n, std::move(op), std::move(permit),
                                             full_script, ec, std::move(r));
                          });
    }

    void on_reply(std::string key, std::uint64_t n,
                  std::unique_ptr<detail::completion_op<rate_decision>> op,
                  circuit_breaker::permit permit, bool full_script, boost::system::error_code ec,
                  reply r) {
        const auto now = steady_clock_source{}.now();
        if (!ec && r.error_code() == "NOSCRIPT" && !full_script) {
            // Redis restarted or SCRIPT FLUSH: send the script itself once (it is cached again).
            script_reloads_.fetch_add(1, std::memory_order_relaxed);
            send(std::move(key), n, std::move(op), std::move(permit), true);
            return;
        }
        std::optional<rate_decision> d;
        if (!ec) {
            d = parse(r, n);
        }
        if (!d) {
            permit.record(call_outcome::failure, now);
            store_failures_.fetch_add(1, std::memory_order_relaxed);
            std::move(*op).complete(on_failure(key, n, now));
            return;
        }
        permit.record(call_outcome::success, now);
        store_decisions_.fetch_add(1, std::memory_order_relaxed);
        // Only a cost-1 refusal is cached: its retry time is the one cost-1 requests share.
        if (!d->allowed && n == 1 && config_.over_limit_cache &&
            d->retry_after != rate_decision::never) {
            remember_denial(key, *d, now);
        }
        std::move(*op).complete(*d);
    }

    // {allowed, "tat_us", "now_us"} to the decision gcra_algorithm describes; nullopt for a
    // reply of another shape (an error reply, a script of another version).
    std::optional<rate_decision> parse(const reply& r, std::uint64_t n) const {
        if (r.type != reply::kind::array || r.elements.size() != 3 ||
            r.elements[0].type != reply::kind::integer ||
            r.elements[1].type != reply::kind::string ||
            r.elements[2].type != reply::kind::string) {
            return std::nullopt;
        }
        const auto tat = parse_us(r.elements[1].text);
        const auto now = parse_us(r.elements[2].text);
        if (!tat || !now || *tat < 0 || *now < 0) {
            return std::nullopt;
        }
        const bool allowed = r.elements[0].integer == 1;
        const auto t = static_cast<std::uint64_t>(*tat);
        const auto w = static_cast<std::uint64_t>(*now);
        const rate_admission a{allowed ? std::max(t, w) + n * params_.interval : t, allowed,
                               allowed};
        return gcra_algorithm::describe(t, w, params_, n, a);
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

    struct denial {
        time_point retry_at;
        time_point reset_at;
    };

    std::optional<rate_decision> cached_denial(const std::string& key, std::uint64_t n,
                                               time_point now) {
        const std::lock_guard lock{cache_mutex_};
        const auto it = cache_.find(key);
        if (it == cache_.end()) {
            return std::nullopt;
        }
        if (it->second.retry_at <= now) {
            cache_.erase(it);
            return std::nullopt;
        }
        if (n != 1) {
            return std::nullopt; // the cached time is for cost 1
        }
        rate_decision d;
        d.allowed = false;
        d.remaining = 0;
        d.limit = params_.burst;
        d.window = duration{static_cast<duration::rep>(params_.tolerance)};
        d.retry_after = it->second.retry_at - now;
        d.reset_after = it->second.reset_at > now ? it->second.reset_at - now : d.retry_after;
        return d;
    }

    void remember_denial(const std::string& key, const rate_decision& d, time_point now) {
        // The retry time of a request of cost 1 (the one most requests ask for).
        const auto wait = d.retry_after;
        const std::lock_guard lock{cache_mutex_};
        if (cache_.size() >= config_.max_local_keys) {
            // Full: drop what has expired; if nothing has, this key is not cached (a bounded
            // cache only saves round trips, it never changes a decision).
            std::erase_if(cache_, [&](const auto& e) { return e.second.retry_at <= now; });
            if (cache_.size() >= config_.max_local_keys) {
                return;
            }
        }
        cache_[key] = {now + wait, now + d.reset_after};
    }

    connection& store_;
    quota quota_;
    gcra_algorithm::params params_;
    gcra_limiter_config config_;
    circuit_breaker breaker_;
    keyed_limiter<bulwark::gcra_limiter> fallback_;
    std::string sha_;
    std::string interval_arg_;
    std::string burst_arg_;

    std::mutex cache_mutex_;
    std::unordered_map<std::string, denial> cache_;

    std::atomic<std::uint64_t> store_decisions_{0};
    std::atomic<std::uint64_t> cached_denials_{0};
    std::atomic<std::uint64_t> store_failures_{0};
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

breaker_state gcra_limiter::store_state() const noexcept {
    return impl_->store_state();
}

connection::executor_type gcra_limiter::store_executor() const noexcept {
    return impl_->store().get_executor();
}

void gcra_limiter::start(const std::shared_ptr<impl>& state, std::string key, std::uint64_t n,
                         std::unique_ptr<detail::completion_op<rate_decision>> op) {
    state->start(std::move(key), n, std::move(op));
}

} // namespace bulwark::redis
