#include <bulwark/core/rate_limit/quota.hpp>

#include <cmath>

namespace bulwark {
namespace {

// Every GCRA time value is a uint64 count of nanoseconds since the limiter's epoch; keeping the
// tolerance (burst × interval) under 2^62 leaves headroom for `now + tolerance` to never wrap
// within 73 years of uptime.
constexpr double max_span_ns = 4.6e18; // < 2^62

} // namespace

std::error_code validate(const quota& q, quota_use use, config_issue* issue) noexcept {
    if (q.is_unlimited()) {
        return {};
    }
    if (q.period().count() <= 0) {
        return invalid_config(issue, "quota.period", "must be positive");
    }
    const double count = q.count();
    if (!std::isfinite(count) || !(count > 0.0)) {
        return invalid_config(issue, "quota.rate",
                              "must be a positive, finite number of requests per period "
                              "(quota::unlimited() admits everything)");
    }
    const double interval = static_cast<double>(q.period().count()) / count;
    if (interval < 0.5) {
        return invalid_config(issue, "quota.rate",
                              "at most one request per nanosecond can be metered "
                              "(quota::unlimited() admits everything)");
    }
    if (use != quota_use::token_bucket) {
        if (count != std::floor(count)) {
            return invalid_config(issue, "quota.rate",
                                  "a window limiter counts whole requests per period "
                                  "(for 0.5/s use quota::per(2s, 1))");
        }
        if (q.has_explicit_burst()) {
            return invalid_config(
                issue, "quota.burst",
                "window limiters take no burst: the limit per window is the count");
        }
        const double max_count = use == quota_use::sliding_window ? 1048575.0 : 4294967295.0;
        if (count > max_count) {
            return invalid_config(
                issue, "quota.rate",
                use == quota_use::sliding_window
                    ? "a sliding window counts at most 1048575 requests per window"
                    : "a fixed window counts at most 4294967295 requests per window");
        }
        if (static_cast<double>(q.period().count()) > max_span_ns) {
            return invalid_config(issue, "quota.period",
                                  "must be shorter than 146 years (2^62 ns)");
        }
        return {};
    }
    if (q.has_explicit_burst() && q.burst() == 0) {
        return invalid_config(issue, "quota.burst", "must be at least 1");
    }
    const double span = std::round(interval) * static_cast<double>(q.burst());
    if (interval > max_span_ns || span > max_span_ns) {
        return invalid_config(
            issue, "quota.burst",
            "burst × emission interval (the time a full burst takes to refill) must be "
            "shorter than 146 years (2^62 ns)");
    }
    return {};
}

} // namespace bulwark
