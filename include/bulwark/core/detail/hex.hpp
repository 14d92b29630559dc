#ifndef BULWARK_CORE_DETAIL_HEX_HPP
#define BULWARK_CORE_DETAIL_HEX_HPP

namespace bulwark::detail {

/// The value of a hex digit of either case, or -1. Hand-written rather than std::isxdigit so
/// no locale is consulted.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// The value of a lower-case hex digit, or -1: W3C Trace Context and B3 allow no upper case.
constexpr int lower_hex_value(char c) noexcept {
    return c >= 'A' && c <= 'F' ? -1 : hex_value(c);
}

} // namespace bulwark::detail

#endif
