#include <bulwark/core/retry/retry_after.hpp>

#include <array>
#include <charconv>

namespace bulwark {
namespace {

constexpr std::chrono::seconds cap{86'400};

std::optional<std::uint64_t> digits(std::string_view s) noexcept {
    if (s.empty() || s.size() > 12) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

duration capped_seconds(std::uint64_t s) noexcept {
    return s > static_cast<std::uint64_t>(cap.count()) ? duration{cap}
                                                       : duration{std::chrono::seconds{s}};
}

// IMF-fixdate, the only date form RFC 9110 senders generate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::system_clock::time_point> imf_fixdate(std::string_view v) noexcept {
    if (v.size() != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
        v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25] != ' ' || v.substr(26) != "GMT") {
        return std::nullopt;
    }
    static constexpr std::array<std::string_view, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    unsigned month = 0;
    while (month < 12 && months[month] != v.substr(8, 3)) {
        ++month;
    }
    const auto day = digits(v.substr(5, 2));
    const auto year = digits(v.substr(12, 4));
    const auto hour = digits(v.substr(17, 2));
    const auto minute = digits(v.substr(20, 2));
    const auto second = digits(v.substr(23, 2));
    if (month == 12 || !day || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 60) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{static_cast<int>(*year)},
                                           std::chrono::month{month + 1},
                                           std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    return std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
           std::chrono::seconds{*second};
}

} // namespace

std::optional<duration> parse_retry_after(std::string_view value,
                                          std::chrono::system_clock::time_point now) noexcept {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    if (const auto s = digits(value)) {
        return capped_seconds(*s);
    }
    if (value.size() > 12 && value.find_first_not_of("0123456789") == std::string_view::npos) {
        return duration{cap}; // a huge delay: capped, never ignored (that would retry early)
    }
    if (const auto at = imf_fixdate(value)) {
        if (*at <= now) {
            return duration::zero();
        }
        return std::min(duration{cap}, std::chrono::duration_cast<duration>(*at - now));
    }
    return std::nullopt;
}

std::optional<duration> parse_ratelimit_reset(std::string_view value) noexcept {
    value = value.substr(0, value.find(',')); // the first item only
    for (std::size_t at = value.find(";t="); at != std::string_view::npos;
         at = value.find(";t=", at + 1)) {
        auto rest = value.substr(at + 3);
        rest = rest.substr(0, rest.find(';'));
        while (!rest.empty() && rest.back() == ' ') {
            rest.remove_suffix(1);
        }
        if (const auto s = digits(rest)) {
            return capped_seconds(*s);
        }
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace bulwark
