#ifndef BULWARK_HTTP_RATE_LIMIT_RATE_LIMIT_HPP
#define BULWARK_HTTP_RATE_LIMIT_RATE_LIMIT_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/rate_limit/gcra_limiter.hpp>
#include <bulwark/core/rate_limit/ip_key.hpp>
#include <bulwark/core/rate_limit/keyed_limiter.hpp>
#include <bulwark/core/rate_limit/rate_limit_headers.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include <atomic>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace bulwark::http {

/// Key function: the client address (IPv4 address, IPv6 /64 by default) — the default key.
struct client_ip_key {
    ip_key_config config = {};
    [[nodiscard]] ip_key operator()(const request_context& ctx,
                                    const request_header&) const noexcept {
        const auto& a = ctx.client_address();
        return a.is_v4() ? ip_key::from_v4(a.to_v4().to_bytes(), config)
                         : ip_key::from_v6(a.to_v6().to_bytes(), config);
    }
};

/// Key function: the route template, for a limit per endpoint shared by all clients.
struct route_key {
    [[nodiscard]] std::string_view operator()(const request_context& ctx,
                                              const request_header&) const noexcept {
        return ctx.route();
    }
};

/// Key function: a request header's value (an API key, a tenant id). A request without the
/// header is not limited by this middleware (chain a per-IP limit for those).
struct header_key {
    std::string name;
    [[nodiscard]] std::optional<std::string_view> operator()(const request_context&,
                                                             const request_header& h) const {
        const auto it = h.find(name);
        if (it == h.end()) {
            return std::nullopt;
        }
        return std::string_view{it->value().data(), it->value().size()};
    }
};

/// Configuration of the rate_limit middleware.
struct rate_limit_config {
    /// The policy name in RateLimit / RateLimit-Policy headers. Default "default".
    std::string policy = "default";
    /// Cost of one request. Default 1. 0 is invalid.
    std::uint64_t cost = 1;
    /// Also send RateLimit / RateLimit-Policy on allowed responses (the draft allows it; it
    /// tells well-behaved clients to slow down before they are refused). Default false.
    bool headers_on_allowed = false;
    /// false: shadow mode; nothing is refused, would-be 429s are counted. Default true.
    bool enforce = true;
};

/// Counters of a rate_limit middleware.
struct rate_limit_stats {
    std::uint64_t allowed = 0;
    std::uint64_t limited = 0; ///< refused, or would have been in shadow mode
    std::uint64_t unkeyed = 0; ///< requests the key function returned no key for
};

/// A limiter whose decision waits on I/O: `async_try_acquire(key, n, token)` completing with
/// `void(rate_decision)`, such as redis::gcra_limiter. The rate_limit middleware awaits it in
/// the header phase.
template <class L>
concept async_keyed_limiter = requires(L& l, std::string_view key, std::uint64_t n) {
    {
        l.async_try_acquire(key, n, boost::asio::use_awaitable)
        } -> std::same_as<boost::asio::awaitable<rate_decision>>;
};

namespace detail {
template <class K>
std::string_view key_view(const K& key) noexcept {
    if constexpr (requires { key.view(); }) {
        return key.view();
    } else {
        return std::string_view{key};
    }
}
// A key as text, for a store that others read (Redis): an address key is written as
// `203.0.113.7/32` or `2001:db8:1:2::/64`, not as its bytes.
template <class K>
std::string key_text(const K& key) {
    if constexpr (requires { key.to_string(); }) {
        return key.to_string();
    } else {
        return std::string{std::string_view{key}};
    }
}
} // namespace detail

/**
 * Middleware: a rate limit per key, answered with 429, Retry-After and the IETF RateLimit
 * headers (draft-ietf-httpapi-ratelimit-headers, structured-field syntax).
 *
 * Header phase: computes the key (by default the client address: see client_address.hpp for
 * trusting proxies), asks the limiter at the request's start time (no clock read here), and
 * records the decision on the context; a refusal is a problem+json 429. Response phase: writes
 * the headers of the most restrictive decision recorded for the request — on 429s always, on
 * other responses when headers_on_allowed. Several instances chain (global, per route, per
 * client): each one that allows has consumed its token even if a later one refuses, as with
 * separate limits in any proxy; use try_acquire_all in a custom middleware for all-or-nothing.
 *
 * `Limiter` is a keyed limiter (`try_acquire(key, n, now)`) or a single limiter shared by all
 * requests (`try_acquire(n, now)`, the key function is then unused). It is held by
 * shared_ptr, so copies of the middleware (and other components) share its state.
 *
 * With an async_keyed_limiter (redis::gcra_limiter: one limit for every instance of the
 * service) the header hook is async_on_header, which the session awaits; the answers are the
 * same 429 and headers. The limiter then decides at its own clock (Redis's), not the
 * request's start, and the key is passed as text (an address as `203.0.113.7/32`).
 *
 * @par Thread Safety
 * The hooks are thread-safe if the limiter and key function are (bulwark's are).
 *
 * @par Example
 * @snippet examples/server/main.cpp rate_limit
 */
template <class Limiter = keyed_limiter<gcra_limiter>, class KeyFn = client_ip_key>
class rate_limit {
public:
    rate_limit(std::shared_ptr<Limiter> limiter, rate_limit_config config = {}, KeyFn key = {})
        : limiter_{std::move(limiter)}, key_{std::move(key)},
          config_{std::make_shared<const rate_limit_config>(std::move(config))} {
        if (config_->cost == 0) {
            throw_invalid_config("rate_limit_config.cost", "must be at least 1");
        }
        if (!limiter_) {
            throw_invalid_config("rate_limit.limiter", "must not be null");
        }
    }

    /// The header phase with a local limiter.
    action on_header(request_context& ctx,
                     request_header& h) requires(!async_keyed_limiter<Limiter>) {
        rate_decision d;
        if constexpr (requires(Limiter & l) { l.try_acquire(config_->cost, ctx.start()); }) {
            d = limiter_->try_acquire(config_->cost, ctx.start());
        } else {
            const auto key = key_(ctx, h);
            if constexpr (requires {
                              key.has_value();
                              *key;
                          }) {
                if (!key.has_value()) {
                    counters_->unkeyed.fetch_add(1, std::memory_order_relaxed);
                    return action::proceed;
                }
                d = limiter_->try_acquire(detail::key_view(*key), config_->cost, ctx.start());
            } else {
                d = limiter_->try_acquire(detail::key_view(key), config_->cost, ctx.start());
            }
        }
        return decide(ctx, d);
    }

    /// The header phase with an asynchronous limiter: awaits its decision.
    boost::asio::awaitable<action>
    async_on_header(request_context& ctx, request_header& h) requires async_keyed_limiter<Limiter> {
        std::string key;
        {
            const auto k = key_(ctx, h);
            if constexpr (requires {
                              k.has_value();
                              *k;
                          }) {
                if (!k.has_value()) {
                    counters_->unkeyed.fetch_add(1, std::memory_order_relaxed);
                    co_return action::proceed;
                }
                key = detail::key_text(*k);
            } else {
                key = detail::key_text(k);
            }
        }
        const rate_decision d =
            co_await limiter_->async_try_acquire(key, config_->cost, boost::asio::use_awaitable);
        co_return decide(ctx, d);
    }

    void on_response(request_context& ctx, response& res) {
        const auto& outcome = ctx.rate_limit();
        if (!outcome || outcome->policy.data() != config_->policy.data()) {
            return; // another instance's decision: that instance writes it
        }
        const bool refused = !outcome->decision.allowed && ctx.rejected_by() == "rate_limit";
        if (!refused && !config_->headers_on_allowed) {
            return;
        }
        const auto headers = make_rate_limit_headers(outcome->decision, outcome->policy);
        if (!headers.policy.empty()) {
            res.set("RateLimit-Policy", headers.policy.view());
            res.set("RateLimit", headers.ratelimit.view());
        }
        if (refused && !headers.retry_after.empty()) {
            res.set(boost::beast::http::field::retry_after, headers.retry_after.view());
        }
    }

    [[nodiscard]] rate_limit_stats stats() const noexcept {
        return {counters_->allowed.load(std::memory_order_relaxed),
                counters_->limited.load(std::memory_order_relaxed),
                counters_->unkeyed.load(std::memory_order_relaxed)};
    }
    [[nodiscard]] Limiter& limiter() noexcept { return *limiter_; }
    [[nodiscard]] const rate_limit_config& config() const noexcept { return *config_; }

private:
    // Records the decision and answers a refusal (enforced) with the 429.
    action decide(request_context& ctx, const rate_decision& d) {
        if (d.allowed || config_->enforce) {
            // A shadow refusal is not recorded: it must not reach the response's headers.
            ctx.record_rate_limit(d, config_->policy);
        }
        if (d.allowed) {
            counters_->allowed.fetch_add(1, std::memory_order_relaxed);
            return action::proceed;
        }
        counters_->limited.fetch_add(1, std::memory_order_relaxed);
        if (!config_->enforce) {
            ctx.record_shadow_rejection();
            return action::proceed;
        }
        return ctx.reject(
            {.status = 429, .detail = "Too many requests; retry after the time in Retry-After."},
            "rate_limit");
    }

    struct counters {
        std::atomic<std::uint64_t> allowed{0};
        std::atomic<std::uint64_t> limited{0};
        std::atomic<std::uint64_t> unkeyed{0};
    };
    std::shared_ptr<Limiter> limiter_;
    KeyFn key_;
    std::shared_ptr<const rate_limit_config> config_;
    std::shared_ptr<counters> counters_ = std::make_shared<counters>();
};

/// A per-client-address GCRA limit with `q`: the common case in one line.
[[nodiscard]] inline rate_limit<> per_client_rate_limit(quota q, rate_limit_config config = {},
                                                        keyed_limiter_config keys = {}) {
    return rate_limit<>{std::make_shared<keyed_limiter<gcra_limiter>>(q, std::move(keys)),
                        std::move(config)};
}

} // namespace bulwark::http

#endif
