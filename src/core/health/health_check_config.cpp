#include <bulwark/core/health/check_result.hpp>
#include <bulwark/core/health/health_check_config.hpp>

#include <algorithm>

namespace bulwark {

std::string_view to_string(health_status s) noexcept {
    switch (s) {
    case health_status::pass: return "pass";
    case health_status::warn: return "warn";
    case health_status::fail: break;
    }
    return "fail";
}

namespace {

bool name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

// 1..128 characters of name_char, with at most `colons` ':' that are not first or last.
bool valid_name(std::string_view s, int colons) noexcept {
    if (s.empty() || s.size() > 128 || s.front() == ':' || s.back() == ':') {
        return false;
    }
    for (const char c : s) {
        if (c == ':') {
            if (--colons < 0) {
                return false;
            }
        } else if (!name_char(c)) {
            return false;
        }
    }
    return true;
}

} // namespace

bool valid_health_group(std::string_view group) noexcept {
    return valid_name(group, 0);
}

std::error_code validate(const health_check_config& c, config_issue* issue) noexcept {
    if (!valid_name(c.name, 1)) {
        return invalid_config(issue, "health_check_config.name",
                              "must be 1 to 128 of [A-Za-z0-9_.-], with at most one inner ':'");
    }
    if (c.groups.empty()) {
        return invalid_config(issue, "health_check_config.groups", "must name at least one group");
    }
    for (std::size_t i = 0; i < c.groups.size(); ++i) {
        if (!valid_health_group(c.groups[i])) {
            return invalid_config(issue, "health_check_config.groups",
                                  "each must be 1 to 128 of [A-Za-z0-9_.-]");
        }
        if (std::find(c.groups.begin(), c.groups.begin() + static_cast<std::ptrdiff_t>(i),
                      c.groups[i]) != c.groups.begin() + static_cast<std::ptrdiff_t>(i)) {
            return invalid_config(issue, "health_check_config.groups", "must not repeat a group");
        }
    }
    if (c.timeout <= duration::zero()) {
        return invalid_config(issue, "health_check_config.timeout", "must be positive");
    }
    if (c.interval <= duration::zero()) {
        return invalid_config(issue, "health_check_config.interval", "must be positive");
    }
    if (c.timeout > c.interval) {
        return invalid_config(issue, "health_check_config.timeout",
                              "must not exceed health_check_config.interval");
    }
    return {};
}

} // namespace bulwark
