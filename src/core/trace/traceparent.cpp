#include <bulwark/core/detail/hex.hpp>
#include <bulwark/core/trace/traceparent.hpp>

namespace bulwark {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

template <std::size_t N>
bool parse_hex(std::string_view s, std::array<std::uint8_t, N>& out) noexcept {
    if (s.size() != 2 * N) {
        return false;
    }
    for (std::size_t i = 0; i < N; ++i) {
        const int hi = detail::lower_hex_value(s[2 * i]);
        const int lo = detail::lower_hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

template <std::size_t N>
char* write_hex(char* out, const std::array<std::uint8_t, N>& bytes) noexcept {
    for (const auto b : bytes) {
        *out++ = hex_digits[b >> 4];
        *out++ = hex_digits[b & 0x0f];
    }
    return out;
}

bool parse_byte(std::string_view s, std::uint8_t& out) noexcept {
    std::array<std::uint8_t, 1> b{};
    if (!parse_hex(s, b)) {
        return false;
    }
    out = b[0];
    return true;
}

} // namespace

std::string trace_id::to_hex() const {
    std::string s(32, '0');
    write_hex(s.data(), bytes);
    return s;
}

std::optional<trace_id> trace_id::from_hex(std::string_view s) noexcept {
    trace_id id;
    if (!parse_hex(s, id.bytes)) {
        return std::nullopt;
    }
    return id;
}

std::string span_id::to_hex() const {
    std::string s(16, '0');
    write_hex(s.data(), bytes);
    return s;
}

std::optional<span_id> span_id::from_hex(std::string_view s) noexcept {
    span_id id;
    if (!parse_hex(s, id.bytes)) {
        return std::nullopt;
    }
    return id;
}

std::optional<traceparent> traceparent::parse(std::string_view h) noexcept {
    // Surrounding optional whitespace is not part of the value (RFC 9110 field values).
    while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) {
        h.remove_prefix(1);
    }
    while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) {
        h.remove_suffix(1);
    }
    if (h.size() < size) {
        return std::nullopt;
    }
    traceparent tp;
    if (!parse_byte(h.substr(0, 2), tp.version) || tp.version == 0xff) {
        return std::nullopt;
    }
    // Version 00 is exactly 55 characters. A later version keeps the version-00 layout as its
    // prefix and may append fields after a '-'.
    if (tp.version == 0 ? h.size() != size : h.size() > size && h[size] != '-') {
        return std::nullopt;
    }
    if (h[2] != '-' || h[35] != '-' || h[52] != '-') {
        return std::nullopt;
    }
    if (!parse_hex(h.substr(3, 32), tp.trace.bytes) ||
        !parse_hex(h.substr(36, 16), tp.parent.bytes) || !parse_byte(h.substr(53, 2), tp.flags)) {
        return std::nullopt;
    }
    if (!tp.trace.valid() || !tp.parent.valid()) {
        return std::nullopt;
    }
    return tp;
}

void traceparent::format_to(char* out) const noexcept {
    *out++ = '0';
    *out++ = '0';
    *out++ = '-';
    out = write_hex(out, trace.bytes);
    *out++ = '-';
    out = write_hex(out, parent.bytes);
    *out++ = '-';
    const auto f = static_cast<std::uint8_t>(flags & (trace_flag_sampled | trace_flag_random));
    *out++ = hex_digits[f >> 4];
    *out = hex_digits[f & 0x0f];
}

std::string traceparent::format() const {
    std::string s(size, '0');
    format_to(s.data());
    return s;
}

} // namespace bulwark
