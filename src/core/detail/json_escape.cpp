#include <bulwark/core/detail/json_escape.hpp>

#include <cstddef>
#include <cstdint>

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

} // namespace

void append_json_string(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    // Most strings (log keys, routes, ids) need no escaping: one append for all of them.
    std::size_t plain = 0;
    while (plain < value.size()) {
        const auto c = static_cast<unsigned char>(value[plain]);
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
            break;
        }
        ++plain;
    }
    if (plain == value.size()) {
        const auto at = out.size();
        out.resize(at + value.size() + 2);
        out[at] = '"';
        value.copy(out.data() + at + 1, value.size());
        out[at + value.size() + 1] = '"';
        return;
    }
    out.push_back('"');
    std::size_t run_start = 0; // bytes [run_start, i) need no escaping and are copied at once
    std::size_t i = plain;
    while (i < value.size()) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
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
