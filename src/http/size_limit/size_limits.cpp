#include <bulwark/http/size_limit/size_limits.hpp>

#include <iterator>

namespace bulwark::http {

size_limits::size_limits(size_limits_config config) : config_{std::move(config)} {
    config_issue issue;
    if (validate(config_, &issue)) {
        throw_invalid_config(issue.field, issue.reason);
    }
}

std::error_code size_limits::validate(const size_limits_config& config,
                                      config_issue* issue) noexcept {
    if (config.max_url_bytes == 0) {
        return invalid_config(issue, "size_limits_config.max_url_bytes", "must be at least 1");
    }
    if (config.max_header_count == 0) {
        return invalid_config(issue, "size_limits_config.max_header_count", "must be at least 1");
    }
    for (const auto& [route, bytes] : config.route_body_bytes) {
        if (route.empty() || route.front() != '/') {
            return invalid_config(issue, "size_limits_config.route_body_bytes",
                                  "route templates start with '/'");
        }
    }
    return {};
}

action size_limits::on_header(request_context& ctx, request_header& h) {
    if (h.target().size() > config_.max_url_bytes) {
        counters_->uri_too_long.fetch_add(1, std::memory_order_relaxed);
        if (config_.enforce) {
            return ctx.reject({.status = 414,
                               .detail = "The request URL is longer than this "
                                         "server accepts."},
                              "size_limits");
        }
        ctx.record_shadow_rejection();
    }
    // Counting stops at the limit: the work is bounded by max_header_count, not by the client.
    std::size_t count = 0;
    for (auto it = h.begin(); it != h.end() && count <= config_.max_header_count; ++it) {
        ++count;
    }
    if (count > config_.max_header_count) {
        counters_->too_many_headers.fetch_add(1, std::memory_order_relaxed);
        if (config_.enforce) {
            return ctx.reject({.status = 431,
                               .detail = "The request has more header fields "
                                         "than this server accepts."},
                              "size_limits");
        }
        ctx.record_shadow_rejection();
    }
    std::uint64_t limit = config_.max_body_bytes;
    for (const auto& [route, bytes] : config_.route_body_bytes) {
        if (route == ctx.route()) {
            limit = bytes;
            break;
        }
    }
    const auto length = h[boost::beast::http::field::content_length];
    std::uint64_t declared = 0;
    bool over = false;
    if (!length.empty()) {
        // Only to count and decide here; the parser has already validated the value.
        for (const char c : length) {
            if (c < '0' || c > '9' || declared > (UINT64_MAX - 9) / 10) {
                declared = UINT64_MAX;
                break;
            }
            declared = declared * 10 + static_cast<std::uint64_t>(c - '0');
        }
        over = declared > limit;
    }
    if (over) {
        counters_->body_too_large.fetch_add(1, std::memory_order_relaxed);
    }
    if (config_.enforce) {
        ctx.set_body_limit(limit);
    } else if (over) {
        ctx.record_shadow_rejection();
    }
    return action::proceed;
}

size_limits_stats size_limits::stats() const noexcept {
    return {counters_->uri_too_long.load(std::memory_order_relaxed),
            counters_->too_many_headers.load(std::memory_order_relaxed),
            counters_->body_too_large.load(std::memory_order_relaxed)};
}

} // namespace bulwark::http
