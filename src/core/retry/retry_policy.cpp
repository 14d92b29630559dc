#include <bulwark/core/retry/retry_policy.hpp>

#include <utility>

namespace bulwark {

retry_policy::retry_policy(retry_policy_config config)
    : config_{std::move(config)}, backoff_{config_.backoff} {
    config_issue issue;
    if (validate(config_, &issue)) {
        throw_invalid_config(issue);
    }
}

std::error_code retry_policy::validate(const retry_policy_config& c, config_issue* issue) noexcept {
    if (c.max_attempts == 0) {
        return invalid_config(issue, "retry_policy_config.max_attempts",
                              "must be at least 1 (1: no retries)");
    }
    if (c.deadline < duration::zero()) {
        return invalid_config(issue, "retry_policy_config.deadline",
                              "must not be negative (0: no deadline)");
    }
    if (auto ec = backoff::validate(c.backoff, issue)) {
        // Name the field by the path the user wrote: retry_policy_config.backoff.<field>.
        static constexpr std::pair<std::string_view, std::string_view> paths[] = {
            {"backoff_config.initial", "retry_policy_config.backoff.initial"},
            {"backoff_config.max", "retry_policy_config.backoff.max"},
            {"backoff_config.multiplier", "retry_policy_config.backoff.multiplier"},
            {"backoff_config.mode", "retry_policy_config.backoff.mode"}};
        for (const auto& [from, to] : paths) {
            if (issue != nullptr && issue->field == from) {
                issue->field = to;
            }
        }
        return ec;
    }
    return {};
}

bool retry_policy::is_transient(const attempt_result& r) noexcept {
    if (!r.error) {
        return r.http_status == 429 || r.http_status == 502 || r.http_status == 503 ||
               r.http_status == 504;
    }
    using std::errc;
    for (const errc e : {errc::connection_refused, errc::connection_reset, errc::connection_aborted,
                         errc::timed_out, errc::host_unreachable, errc::network_unreachable,
                         errc::network_down, errc::network_reset, errc::broken_pipe,
                         errc::not_connected, errc::resource_unavailable_try_again}) {
        if (r.error == e) {
            return true;
        }
    }
    return false;
}

bool retry_policy::retryable(const attempt_result& r) const noexcept {
    if (config_.retry_on) {
        try {
            return config_.retry_on(r);
        } catch (...) {
            return false; // a throwing classifier must not turn into a retry storm
        }
    }
    return config_.idempotent && is_transient(r);
}

retry_decision retry_policy::decide(unsigned attempt, const attempt_result& result,
                                    time_point started, time_point now, duration previous,
                                    double u) const noexcept {
    if (!retryable(result)) {
        return {retry_verdict::done, {}};
    }
    if (attempt >= config_.max_attempts) {
        return {retry_verdict::attempts_exhausted, {}};
    }
    duration delay = backoff_.delay(attempt, previous, u);
    if (result.retry_after && *result.retry_after > delay) {
        delay = *result.retry_after; // never earlier than the server asked
    }
    if (config_.deadline > duration::zero() && (now - started) + delay >= config_.deadline) {
        return {retry_verdict::deadline_exceeded, {}};
    }
    return {retry_verdict::retry, delay};
}

const char* to_string(retry_attempt_result r) noexcept {
    switch (r) {
    case retry_attempt_result::success: return "success";
    case retry_attempt_result::retried: return "retried";
    case retry_attempt_result::failed: return "failed";
    case retry_attempt_result::budget_exhausted: return "budget_exhausted";
    }
    return "failed";
}

} // namespace bulwark
