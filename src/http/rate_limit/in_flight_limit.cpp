#include <bulwark/http/rate_limit/in_flight_limit.hpp>

#include <boost/beast/http/field.hpp>

#include <string>

namespace bulwark::http {

struct in_flight_limit::state {
    explicit state(const in_flight_limit_config& c)
        : config{c}, limiter{{.max_in_flight = c.max_in_flight, .max_waiters = 0}},
          retry_after{std::to_string(c.retry_after.count())} {}
    in_flight_limit_config config;
    concurrency_limiter limiter;
    std::string retry_after;
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::uint64_t> admitted{0};
};

in_flight_limit::in_flight_limit(in_flight_limit_config config) {
    if (config.max_in_flight == 0) {
        throw_invalid_config("in_flight_limit_config.max_in_flight", "must be at least 1");
    }
    if (config.retry_after.count() < 0) {
        throw_invalid_config("in_flight_limit_config.retry_after", "must not be negative");
    }
    state_ = std::make_shared<state>(config);
}

action in_flight_limit::on_header(request_context& ctx, request_header& /*h*/) {
    auto permit = state_->limiter.try_acquire();
    if (permit) {
        state_->admitted.fetch_add(1, std::memory_order_relaxed);
        ctx.hold(std::move(permit));
        return action::proceed;
    }
    state_->refused.fetch_add(1, std::memory_order_relaxed);
    if (!state_->config.enforce) {
        ctx.record_shadow_rejection();
        return action::proceed;
    }
    return ctx.reject(
        {.status = 503, .detail = "The server is handling too many requests; retry later."},
        "in_flight_limit");
}

void in_flight_limit::on_response(request_context& ctx, response& res) {
    if (ctx.rejected_by() == "in_flight_limit" && state_->config.retry_after.count() > 0) {
        res.set(boost::beast::http::field::retry_after, state_->retry_after);
    }
}

in_flight_limit_stats in_flight_limit::stats() const noexcept {
    return {state_->limiter.snapshot().in_flight, state_->refused.load(std::memory_order_relaxed),
            state_->admitted.load(std::memory_order_relaxed)};
}

const in_flight_limit_config& in_flight_limit::config() const noexcept {
    return state_->config;
}

} // namespace bulwark::http
