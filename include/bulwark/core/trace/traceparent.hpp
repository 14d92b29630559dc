#ifndef BULWARK_CORE_TRACE_TRACEPARENT_HPP
#define BULWARK_CORE_TRACE_TRACEPARENT_HPP

#include <bulwark/config.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark {

/// A 16-byte trace id (W3C Trace Context "trace-id"). All zero is invalid.
struct trace_id {
    std::array<std::uint8_t, 16> bytes{};

    [[nodiscard]] bool valid() const noexcept;
    /// 32 lower-case hex digits.
    [[nodiscard]] BULWARK_CORE_API std::string to_hex() const;
    /// Parses exactly 32 lower-case hex digits; nullopt otherwise (upper case included). An
    /// all-zero id parses: check valid().
    [[nodiscard]] BULWARK_CORE_API static std::optional<trace_id>
    from_hex(std::string_view s) noexcept;
    friend bool operator==(const trace_id&, const trace_id&) = default;
};

/// An 8-byte span id (W3C Trace Context "parent-id"). All zero is invalid.
struct span_id {
    std::array<std::uint8_t, 8> bytes{};

    [[nodiscard]] bool valid() const noexcept;
    /// 16 lower-case hex digits.
    [[nodiscard]] BULWARK_CORE_API std::string to_hex() const;
    /// Parses exactly 16 lower-case hex digits; nullopt otherwise.
    [[nodiscard]] BULWARK_CORE_API static std::optional<span_id>
    from_hex(std::string_view s) noexcept;
    friend bool operator==(const span_id&, const span_id&) = default;
};

inline bool trace_id::valid() const noexcept {
    for (const auto b : bytes) {
        if (b != 0) {
            return true;
        }
    }
    return false;
}

inline bool span_id::valid() const noexcept {
    for (const auto b : bytes) {
        if (b != 0) {
            return true;
        }
    }
    return false;
}

/// trace-flags bit 0: the caller may have recorded the trace.
inline constexpr std::uint8_t trace_flag_sampled = 0x01;
/// trace-flags bit 1 (Trace Context Level 2): the trace id's right 7 bytes are random.
inline constexpr std::uint8_t trace_flag_random = 0x02;

/**
 * A `traceparent` header (W3C Trace Context): version, trace id, parent id, flags.
 *
 * parse() follows the Recommendation's processing rules:
 * - version `00`: exactly 55 characters `00-<32 hex>-<16 hex>-<2 hex>`;
 * - a higher version is parsed by the version-00 prefix: at least 55 characters, and if more,
 *   the 56th is '-' (what follows is ignored); version `ff` is invalid;
 * - hex is lower case only; an all-zero trace id or parent id is invalid.
 *
 * format() always writes version 00 with the flags this implementation knows (sampled and
 * random); unknown flag bits are not forwarded.
 */
struct traceparent {
    std::uint8_t version = 0;
    trace_id trace = {};
    span_id parent = {};
    std::uint8_t flags = 0;

    [[nodiscard]] bool sampled() const noexcept { return (flags & trace_flag_sampled) != 0; }

    /// The parsed header, or nullopt when it breaks any rule above (then start a new trace and
    /// drop tracestate).
    [[nodiscard]] BULWARK_CORE_API static std::optional<traceparent>
    parse(std::string_view header) noexcept;

    /// The 55-character version-00 header value.
    [[nodiscard]] BULWARK_CORE_API std::string format() const;
    /// Writes the same 55 characters to `out` (no allocation).
    BULWARK_CORE_API void format_to(char* out) const noexcept;

    static constexpr std::size_t size = 55;

    friend bool operator==(const traceparent&, const traceparent&) = default;
};

} // namespace bulwark

#endif
