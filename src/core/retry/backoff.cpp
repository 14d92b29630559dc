#include <bulwark/core/retry/backoff.hpp>

#include <algorithm>
#include <cmath>

namespace bulwark {

backoff::backoff(backoff_config config) : config_{config} {
    config_issue issue;
    if (validate(config_, &issue)) {
        throw_invalid_config(issue);
    }
}

std::error_code backoff::validate(const backoff_config& c, config_issue* issue) noexcept {
    if (c.initial <= duration::zero()) {
        return invalid_config(issue, "backoff_config.initial", "must be positive");
    }
    if (c.max < c.initial) {
        return invalid_config(issue, "backoff_config.max",
                              "must be at least backoff_config.initial");
    }
    if (!std::isfinite(c.multiplier) || c.multiplier < 1.0) {
        return invalid_config(issue, "backoff_config.multiplier", "must be finite and at least 1");
    }
    if (c.mode != jitter::none && c.mode != jitter::full && c.mode != jitter::equal &&
        c.mode != jitter::decorrelated) {
        return invalid_config(issue, "backoff_config.mode",
                              "must be one of none, full, equal, decorrelated");
    }
    return {};
}

duration backoff::delay(unsigned retry, duration previous, double u) const noexcept {
    const auto initial = static_cast<double>(config_.initial.count());
    const auto max = static_cast<double>(config_.max.count());
    u = std::clamp(u, 0.0, 1.0);
    double d = 0;
    if (config_.mode == jitter::decorrelated) {
        const double low = initial;
        const double high = std::max(low, 3.0 * static_cast<double>(previous.count()));
        d = std::min(max, low + u * (high - low));
    } else {
        // initial · multiplier^(retry − 1), computed in the log domain so large retry numbers
        // saturate at `max` instead of overflowing.
        const double exponent = retry > 0 ? static_cast<double>(retry - 1) : 0.0;
        const double grown = initial * std::pow(config_.multiplier, exponent);
        const double e = std::isfinite(grown) ? std::min(max, grown) : max;
        switch (config_.mode) {
        case jitter::none: d = e; break;
        case jitter::full: d = u * e; break;
        case jitter::equal: d = e / 2 + u * (e / 2); break;
        case jitter::decorrelated: break;
        }
    }
    return duration{static_cast<duration::rep>(std::llround(d))};
}

} // namespace bulwark
