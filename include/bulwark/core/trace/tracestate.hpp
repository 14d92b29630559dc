#ifndef BULWARK_CORE_TRACE_TRACESTATE_HPP
#define BULWARK_CORE_TRACE_TRACESTATE_HPP

#include <bulwark/config.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {

/// One `key=value` entry of a tracestate header.
struct tracestate_member {
    std::string key;
    std::string value;
    friend bool operator==(const tracestate_member&, const tracestate_member&) = default;
};

/**
 * The `tracestate` header of W3C Trace Context: vendor-specific entries, most recent first.
 *
 * Parsing keeps what can be kept:
 * - several tracestate header lines combine into one list, in order;
 * - empty entries and whitespace around entries are skipped;
 * - an entry whose key or value breaks the grammar is dropped, not the whole header;
 * - a key seen again is dropped (the first, left-most, entry is the most recent);
 * - entries after the 32nd valid one are dropped.
 *
 * Keys: `simple-key` (a lower-case letter, then up to 255 of `a-z 0-9 _ - * /`) or
 * `tenant@system` (tenant: a lower-case letter or digit and up to 240 more; system: a lower-case
 * letter and up to 13 more). Values: 1 to 256 printable ASCII characters other than ',' and
 * '=', spaces allowed inside but not at the end.
 *
 * Only the traceparent's owner changes its own entry: put() moves it to the front.
 *
 * @par Thread Safety
 * A value type: distinct objects are independent.
 */
class tracestate {
public:
    static constexpr std::size_t max_members = 32;
    /// What to_header() keeps by default: the Recommendation asks to propagate at least 512.
    static constexpr std::size_t default_max_length = 512;

    /// Parses one header line.
    [[nodiscard]] BULWARK_CORE_API static tracestate parse(std::string_view header);
    /// Parses several header lines as one list.
    [[nodiscard]] BULWARK_CORE_API static tracestate
    parse(std::initializer_list<std::string_view> headers);

    [[nodiscard]] const std::vector<tracestate_member>& members() const noexcept {
        return members_;
    }
    [[nodiscard]] bool empty() const noexcept { return members_.empty(); }
    /// The value for `key`, or null.
    [[nodiscard]] BULWARK_CORE_API const std::string* find(std::string_view key) const noexcept;

    /**
     * Sets `key` to `value` and moves it to the front (the Recommendation's rule for the
     * vendor that owns the new span). When the list is full, the right-most entry makes room.
     *
     * @return false, changing nothing, when the key or value breaks the grammar.
     */
    BULWARK_CORE_API bool put(std::string_view key, std::string_view value);
    /// Removes `key`; false if it was not there.
    BULWARK_CORE_API bool erase(std::string_view key);

    /**
     * The header value to propagate, at most `max_length` characters. When the whole list is
     * longer, entries longer than 128 characters go first, then entries from the right, until
     * it fits (entries are never cut). Empty when nothing fits or the list is empty.
     */
    [[nodiscard]] BULWARK_CORE_API std::string
    to_header(std::size_t max_length = default_max_length) const;

    [[nodiscard]] BULWARK_CORE_API static bool valid_key(std::string_view key) noexcept;
    [[nodiscard]] BULWARK_CORE_API static bool valid_value(std::string_view value) noexcept;

    friend bool operator==(const tracestate&, const tracestate&) = default;

private:
    void append_line(std::string_view header);
    std::vector<tracestate_member> members_;
};

} // namespace bulwark

#endif
