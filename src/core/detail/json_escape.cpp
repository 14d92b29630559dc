#include <bulwark/core/detail/json_escape.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace bulwark::detail {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode table 3-7), or 0.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[i + k]); };
    const auto in = [](std::uint8_t b, std::uint8_t lo, std::uint8_t hi) {
        return b >= lo && b <= hi;
    };
    const std::size_t left = s.size() - i;
    const std::uint8_t b0 = byte(0);
    if (in(b0, 0xC2, 0xDF)) {
        return left >= 2 && in(byte(1), 0x80, 0xBF) ? 2 : 0;
    }
    if (in(b0, 0xE0, 0xEF)) {
        if (left < 3) {
            return 0;
        }
        const std::uint8_t lo = b0 == 0xE0 ? 0xA0 : 0x80; // no overlong forms
        const std::uint8_t hi = b0 == 0xED ? 0x9F : 0xBF; // no UTF-16 surrogates
        return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
    }
    if (in(b0, 0xF0, 0xF4)) {
        if (left < 4) {
            return 0;
        }
        const std::uint8_t lo = b0 == 0xF0 ? 0x90 : 0x80; // no overlong forms
        const std::uint8_t hi = b0 == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
        return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

// The length of the prefix of `s` from `i` that needs no escaping: printable ASCII other than
// '"' and '\\'. Eight bytes per step (SWAR); the bit tricks find whether any byte of a word is
// below 0x20, has its top bit set, or equals '"' or '\\'.
[[gnu::always_inline]] inline std::size_t plain_run_end(std::string_view s,
                                                        std::size_t i) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    while (i + 8 <= s.size()) {
        std::uint64_t w = 0;
        std::memcpy(&w, s.data() + i, 8);
        const std::uint64_t special = (w & highs) | ((w - ones * 0x20) & ~w & highs) |
                                      has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\'));
        if (special != 0) {
            break;
        }
        i += 8;
    }
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
            break;
        }
        ++i;
    }
    return i;
}

} // namespace

void append_json_string(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    // Most strings (log keys, routes, ids) need no escaping: one append for all of them.
    const std::size_t plain = plain_run_end(value, 0);
    if (plain == value.size()) {
        out.push_back('"');
        out.append(value);
        out.push_back('"');
        return;
    }
    out.push_back('"');
    std::size_t run_start = 0; // bytes [run_start, i) need no escaping and are copied at once
    std::size_t i = plain;
    while (i < value.size()) {
        i = plain_run_end(value, i);
        if (i == value.size()) {
            break;
        }
        const auto c = static_cast<unsigned char>(value[i]);
        if (c >= 0x80) {
            if (const auto n = utf8_sequence_length(value, i); n != 0) {
                i += n;
                continue;
            }
        }
        out.append(value.substr(run_start, i - run_start));
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
            if (c < 0x20) {
                out.append("\\u00");
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xF]);
            } else {
                out.append(replacement); // one ill-formed byte -> one U+FFFD
            }
        }
        ++i;
        run_start = i;
    }
    out.append(value.substr(run_start));
    out.push_back('"');
}

} // namespace bulwark::detail
