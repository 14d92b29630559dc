#include <bulwark/core/circuit_breaker/circuit_breaker_config.hpp>

#include <cmath>

namespace bulwark {

const char* to_string(breaker_state s) noexcept {
    switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
    case breaker_state::forced_open: return "forced_open";
    case breaker_state::disabled: return "disabled";
    case breaker_state::metrics_only: return "metrics_only";
    }
    return "unknown";
}

std::error_code validate(const circuit_breaker_config& c, config_issue* issue) noexcept {
    const auto percent = [](double v) { return std::isfinite(v) && v > 0.0 && v <= 100.0; };
    if (!percent(c.failure_rate_threshold)) {
        return invalid_config(issue, "circuit_breaker_config.failure_rate_threshold",
                              "must be in (0, 100]");
    }
    if (!percent(c.slow_call_rate_threshold)) {
        return invalid_config(issue, "circuit_breaker_config.slow_call_rate_threshold",
                              "must be in (0, 100]");
    }
    if (c.slow_call_duration <= duration::zero()) {
        return invalid_config(issue, "circuit_breaker_config.slow_call_duration",
                              "must be positive");
    }
    if (c.window != window_type::count_based && c.window != window_type::time_based) {
        return invalid_config(issue, "circuit_breaker_config.window",
                              "must be count_based or time_based");
    }
    const std::uint32_t max_size = c.window == window_type::count_based ? 1'000'000 : 3600;
    if (c.window_size == 0 || c.window_size > max_size) {
        return invalid_config(issue, "circuit_breaker_config.window_size",
                              c.window == window_type::count_based ? "must be 1 to 1000000 calls"
                                                                   : "must be 1 to 3600 seconds");
    }
    if (c.minimum_calls == 0) {
        return invalid_config(issue, "circuit_breaker_config.minimum_calls", "must be at least 1");
    }
    if (c.permitted_calls_in_half_open == 0 || c.permitted_calls_in_half_open > 65535) {
        return invalid_config(issue, "circuit_breaker_config.permitted_calls_in_half_open",
                              "must be 1 to 65535");
    }
    if (c.wait_in_open <= duration::zero()) {
        return invalid_config(issue, "circuit_breaker_config.wait_in_open", "must be positive");
    }
    if (!std::isfinite(c.open_wait_multiplier) || c.open_wait_multiplier < 1.0) {
        return invalid_config(issue, "circuit_breaker_config.open_wait_multiplier",
                              "must be finite and at least 1");
    }
    if (c.open_wait_multiplier > 1.0 && c.max_wait_in_open < c.wait_in_open) {
        return invalid_config(issue, "circuit_breaker_config.max_wait_in_open",
                              "must be at least wait_in_open when the wait grows");
    }
    if (!std::isfinite(c.open_wait_jitter) || c.open_wait_jitter < 0.0 ||
        c.open_wait_jitter >= 1.0) {
        return invalid_config(issue, "circuit_breaker_config.open_wait_jitter",
                              "must be in [0, 1)");
    }
    if (c.max_wait_in_half_open < duration::zero()) {
        return invalid_config(issue, "circuit_breaker_config.max_wait_in_half_open",
                              "must not be negative (0: no limit)");
    }
    return {};
}

call_outcome default_classify(const attempt_result& r) noexcept {
    if (r.error) {
        if (r.error == std::errc::operation_canceled) {
            return call_outcome::ignored; // our caller gave up: says nothing about the callee
        }
        return call_outcome::failure;
    }
    return r.http_status >= 500 && r.http_status <= 599 ? call_outcome::failure
                                                        : call_outcome::success;
}

} // namespace bulwark
