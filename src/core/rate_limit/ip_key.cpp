#include <bulwark/core/detail/hex.hpp>
#include <bulwark/core/rate_limit/ip_key.hpp>

#include <algorithm>
#include <cstddef>

namespace bulwark {
namespace {

constexpr unsigned max_v4_prefix = 32;
constexpr unsigned max_v6_prefix = 128;

using v4_bytes = std::array<std::uint8_t, 4>;
using v6_bytes = std::array<std::uint8_t, 16>;

// Writes tag, prefix and the masked, truncated address into `out`; returns the key size.
// `out` must be all zero beyond what is written, which a value-initialised ip_key guarantees.
template <std::size_t N>
std::uint8_t fill_key(std::array<char, 18>& out, char tag, unsigned prefix,
                      const std::array<std::uint8_t, N>& address) noexcept {
    const std::size_t kept = (prefix + 7) / 8;
    out[0] = tag;
    out[1] = static_cast<char>(prefix);
    for (std::size_t i = 0; i < kept; ++i) {
        auto b = address[i];
        if (i == kept - 1 && prefix % 8 != 0) {
            b = static_cast<std::uint8_t>(b & (0xFFu << (8 - prefix % 8)));
        }
        out[2 + i] = static_cast<char>(b);
    }
    return static_cast<std::uint8_t>(2 + kept);
}

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// RFC 3986 unreserved, the characters RFC 6874 allows in a zone id (besides pct-encoding,
// which we refuse: a '%' inside the zone would make "%25" and "%" spellings ambiguous).
constexpr bool is_zone_char(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// Strict dotted quad: four decimal octets 0-255, no leading zero except "0" itself.
std::optional<v4_bytes> parse_v4(std::string_view text) noexcept {
    v4_bytes out{};
    std::size_t pos = 0;
    for (std::size_t octet = 0; octet < 4; ++octet) {
        if (octet != 0) {
            if (pos >= text.size() || text[pos] != '.') {
                return std::nullopt;
            }
            ++pos;
        }
        const std::size_t start = pos;
        unsigned value = 0;
        while (pos < text.size() && is_digit(text[pos]) && pos - start < 3) {
            value = value * 10 + static_cast<unsigned>(text[pos] - '0');
            ++pos;
        }
        const std::size_t digits = pos - start;
        if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) {
            return std::nullopt;
        }
        out[octet] = static_cast<std::uint8_t>(value);
    }
    // A fourth digit in an octet stops the loop above and lands here as trailing garbage.
    if (pos != text.size()) {
        return std::nullopt;
    }
    return out;
}

// Parses the ':'-separated groups of one side of "::" into `groups`, appending from `count`.
// Every field must be non-empty, which is what rejects a lone ':' at either end. Only the last
// field of the address (`may_end_in_v4`) may be a dotted IPv4 address, worth two groups.
bool parse_groups(std::string_view text, bool may_end_in_v4, std::array<std::uint16_t, 8>& groups,
                  std::size_t& count) noexcept {
    if (text.empty()) {
        return true;
    }
    std::size_t pos = 0;
    while (true) {
        const std::size_t colon = text.find(':', pos);
        const std::string_view field = text.substr(
            pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos);
        const bool last = colon == std::string_view::npos;
        if (last && may_end_in_v4 && field.find('.') != std::string_view::npos) {
            const auto v4 = parse_v4(field);
            if (!v4 || count + 2 > groups.size()) {
                return false;
            }
            groups[count++] = static_cast<std::uint16_t>((*v4)[0] << 8 | (*v4)[1]);
            groups[count++] = static_cast<std::uint16_t>((*v4)[2] << 8 | (*v4)[3]);
            return true;
        }
        if (field.empty() || field.size() > 4 || count == groups.size()) {
            return false;
        }
        unsigned value = 0;
        for (const char c : field) {
            const int digit = detail::hex_value(c);
            if (digit < 0) {
                return false;
            }
            value = value << 4 | static_cast<unsigned>(digit);
        }
        groups[count++] = static_cast<std::uint16_t>(value);
        if (last) {
            return true;
        }
        pos = colon + 1;
    }
}

// RFC 4291 section 2.2 text without zone or brackets.
std::optional<v6_bytes> parse_v6(std::string_view text) noexcept {
    std::array<std::uint16_t, 8> head{};
    std::array<std::uint16_t, 8> tail{};
    std::size_t head_count = 0;
    std::size_t tail_count = 0;
    const std::size_t gap = text.find("::");
    if (gap == std::string_view::npos) {
        if (!parse_groups(text, true, head, head_count) || head_count != 8) {
            return std::nullopt;
        }
    } else {
        // At most one "::". Searching again from gap + 1 also finds the overlapping second "::"
        // of ":::" (which the empty-field rule would reject anyway; this states the rule).
        if (text.find("::", gap + 1) != std::string_view::npos ||
            !parse_groups(text.substr(0, gap), false, head, head_count) ||
            !parse_groups(text.substr(gap + 2), true, tail, tail_count) ||
            head_count + tail_count > 7) { // "::" stands for at least one zero group
            return std::nullopt;
        }
        std::copy_n(tail.begin(), tail_count,
                    head.begin() + static_cast<std::ptrdiff_t>(8 - tail_count));
    }
    v6_bytes out{};
    for (std::size_t i = 0; i < 8; ++i) {
        out[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
        out[2 * i + 1] = static_cast<std::uint8_t>(head[i] & 0xFF);
    }
    return out;
}

// Appends `value` in lower-case hex without leading zeros.
char* write_hex(char* out, unsigned value) noexcept {
    static constexpr char hex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned digit = (value >> shift) & 0xF;
        if (started || digit != 0 || shift == 0) {
            *out++ = hex[digit];
            started = true;
        }
    }
    return out;
}

// Appends `value` (0-255) in decimal.
char* write_decimal(char* out, unsigned value) noexcept {
    if (value >= 100) {
        *out++ = static_cast<char>('0' + value / 100);
    }
    if (value >= 10) {
        *out++ = static_cast<char>('0' + value / 10 % 10);
    }
    *out++ = static_cast<char>('0' + value % 10);
    return out;
}

} // namespace

std::error_code validate(const ip_key_config& config, config_issue* issue) noexcept {
    if (config.ipv4_prefix > max_v4_prefix) {
        return invalid_config(issue, "ip_key_config.ipv4_prefix", "must be at most 32");
    }
    if (config.ipv6_prefix > max_v6_prefix) {
        return invalid_config(issue, "ip_key_config.ipv6_prefix", "must be at most 128");
    }
    return {};
}

std::optional<ip_key> ip_key::parse(std::string_view text, const ip_key_config& config) noexcept {
    bool v6_only = false; // brackets and zones exist only in IPv6 syntax
    if (!text.empty() && text.front() == '[') {
        if (text.size() < 2 || text.back() != ']') {
            return std::nullopt;
        }
        text = text.substr(1, text.size() - 2);
        v6_only = true;
    }
    if (const auto percent = text.find('%'); percent != std::string_view::npos) {
        const std::string_view zone = text.substr(percent + 1);
        if (zone.empty() || !std::all_of(zone.begin(), zone.end(), is_zone_char)) {
            return std::nullopt;
        }
        text = text.substr(0, percent);
        v6_only = true;
    }
    if (text.find(':') != std::string_view::npos) {
        if (const auto v6 = parse_v6(text)) {
            return from_v6(*v6, config);
        }
        return std::nullopt;
    }
    if (!v6_only) {
        if (const auto v4 = parse_v4(text)) {
            return from_v4(*v4, config);
        }
    }
    return std::nullopt;
}

ip_key ip_key::from_v4(const std::array<std::uint8_t, 4>& bytes,
                       const ip_key_config& config) noexcept {
    ip_key key;
    key.size_ = fill_key(key.bytes_, '4', std::min(config.ipv4_prefix, max_v4_prefix), bytes);
    return key;
}

ip_key ip_key::from_v6(const std::array<std::uint8_t, 16>& bytes,
                       const ip_key_config& config) noexcept {
    constexpr std::array<std::uint8_t, 12> mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::equal(mapped_prefix.begin(), mapped_prefix.end(), bytes.begin())) {
        return from_v4({bytes[12], bytes[13], bytes[14], bytes[15]}, config);
    }
    ip_key key;
    key.size_ = fill_key(key.bytes_, '6', std::min(config.ipv6_prefix, max_v6_prefix), bytes);
    return key;
}

std::string ip_key::to_string() const {
    if (size_ == 0) {
        return {};
    }
    // Widen the truncated address back to full length; the dropped bytes were zero.
    std::array<std::uint8_t, 16> address{};
    for (std::size_t i = 2; i < size_; ++i) {
        address[i - 2] = static_cast<std::uint8_t>(bytes_[i]);
    }
    std::array<char, 48> buffer; // 39 for the longest IPv6 text, "/128", with room to spare
    char* out = buffer.data();
    if (is_v4()) {
        for (std::size_t i = 0; i < 4; ++i) {
            if (i != 0) {
                *out++ = '.';
            }
            out = write_decimal(out, address[i]);
        }
    } else {
        std::array<unsigned, 8> groups{};
        for (std::size_t i = 0; i < 8; ++i) {
            groups[i] = static_cast<unsigned>(address[2 * i]) << 8 | address[2 * i + 1];
        }
        // RFC 5952 section 4.2: compress the longest run of two or more zero groups, the first
        // such run on ties; a lone zero group stays "0".
        std::size_t best_start = 8;
        std::size_t best_length = 1;
        for (std::size_t i = 0; i < 8;) {
            if (groups[i] != 0) {
                ++i;
                continue;
            }
            std::size_t j = i;
            while (j < 8 && groups[j] == 0) {
                ++j;
            }
            if (j - i > best_length) {
                best_start = i;
                best_length = j - i;
            }
            i = j;
        }
        for (std::size_t i = 0; i < 8;) {
            if (i == best_start) {
                *out++ = ':';
                *out++ = ':';
                i += best_length;
                continue;
            }
            if (i != 0 && i != best_start + best_length) {
                *out++ = ':';
            }
            out = write_hex(out, groups[i]);
            ++i;
        }
    }
    *out++ = '/';
    out = write_decimal(out, prefix());
    return std::string(buffer.data(), out);
}

} // namespace bulwark
