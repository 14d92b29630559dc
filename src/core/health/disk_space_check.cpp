#include <bulwark/core/health/disk_space_check.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

namespace bulwark {

namespace {

bool valid_percent(double p) noexcept {
    return std::isfinite(p) && p >= 0.0 && p <= 100.0;
}

// "512 B", "1.2 GiB": binary units with one decimal, as df -h shows them.
std::string format_bytes(std::uintmax_t bytes) {
    static constexpr std::array<const char*, 7> units{"B",   "KiB", "MiB", "GiB",
                                                      "TiB", "PiB", "EiB"};
    char buf[32];
    if (bytes < 1024) {
        std::snprintf(buf, sizeof buf, "%ju B", bytes);
        return buf;
    }
    auto value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < units.size()) {
        value /= 1024.0;
        ++unit;
    }
    std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
    return buf;
}

// Thresholds as the user wrote them: 5 -> "5", 7.5 -> "7.5".
std::string format_percent(double p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", p);
    return buf;
}

std::string available_text(std::uintmax_t available, double percent) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.1f%%)", percent);
    return format_bytes(available) + " available" + buf;
}

} // namespace

std::error_code validate(const disk_space_check_config& c, config_issue* issue) noexcept {
    if (c.path.empty()) {
        return invalid_config(issue, "disk_space_check_config.path", "must not be empty");
    }
    if (!valid_percent(c.warn_below_percent)) {
        return invalid_config(issue, "disk_space_check_config.warn_below_percent",
                              "must be a finite percent in [0, 100]");
    }
    if (!valid_percent(c.fail_below_percent)) {
        return invalid_config(issue, "disk_space_check_config.fail_below_percent",
                              "must be a finite percent in [0, 100]");
    }
    if (c.warn_below_percent != 0.0 && c.fail_below_percent > c.warn_below_percent) {
        return invalid_config(issue, "disk_space_check_config.fail_below_percent",
                              "must not exceed disk_space_check_config.warn_below_percent");
    }
    return {};
}

disk_space_check::disk_space_check(disk_space_check_config config) : config_{std::move(config)} {
    config_issue issue;
    if (validate(config_, &issue)) {
        throw_invalid_config(issue);
    }
}

check_result disk_space_check::evaluate(const disk_space_check_config& config,
                                        const std::filesystem::space_info& space) {
    if (space.capacity == 0) {
        return check_result::fail("filesystem reports zero capacity");
    }
    // Clamped: some network and FUSE filesystems report more available than capacity.
    const double percent = std::min(100.0, static_cast<double>(space.available) * 100.0 /
                                               static_cast<double>(space.capacity));
    if (config.fail_below_percent > 0.0 && percent < config.fail_below_percent) {
        return check_result::fail(available_text(space.available, percent) + ", below " +
                                  format_percent(config.fail_below_percent) + "%")
            .observed(percent, "percent");
    }
    if (config.fail_below_bytes > 0 && space.available < config.fail_below_bytes) {
        return check_result::fail(available_text(space.available, percent) + ", below the " +
                                  format_bytes(config.fail_below_bytes) + " floor")
            .observed(percent, "percent");
    }
    if (config.warn_below_percent > 0.0 && percent < config.warn_below_percent) {
        return check_result::warn(available_text(space.available, percent) + ", below " +
                                  format_percent(config.warn_below_percent) + "%")
            .observed(percent, "percent");
    }
    return check_result::pass().observed(percent, "percent");
}

check_result disk_space_check::operator()() const {
    try {
        std::error_code ec;
        const auto space = std::filesystem::space(config_.path, ec);
        if (ec) {
            return check_result::fail(config_.path.string() + ": " + ec.message());
        }
        return evaluate(config_, space);
    } catch (...) {
        // Only allocation can throw here; an empty output keeps this path allocation-free.
        return check_result{};
    }
}

} // namespace bulwark
