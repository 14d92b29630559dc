#ifndef BULWARK_CORE_TRACE_BAGGAGE_HPP
#define BULWARK_CORE_TRACE_BAGGAGE_HPP

#include <bulwark/config.hpp>

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {

/// One list-member of a `baggage` header.
struct baggage_member {
    /// An RFC 7230 token, compared case-sensitively (the specification does not fold case).
    std::string key = {};
    /// The percent-decoded value: arbitrary bytes, not necessarily UTF-8 (see baggage).
    std::string value = {};
    /// The property list without the leading ';', with the optional whitespace around every
    /// property, property key, '=' and property value removed, e.g. "ttl=5;secure". Property
    /// values are opaque to the specification and kept as received (not percent-decoded).
    /// Empty when the member has no properties.
    std::string properties = {};

    friend bool operator==(const baggage_member&, const baggage_member&) = default;
};

/**
 * How much baggage is kept and propagated.
 *
 * The defaults are the minimum W3C Baggage requires a platform to propagate (section "Limits":
 * at least 64 list-members and at least 8192 bytes); raise them only if every hop downstream
 * accepts more.
 */
struct baggage_limits {
    /// Most members kept. Default 64; zero keeps none.
    std::size_t max_members = 64;
    /// Most bytes of the serialized header value (members as to_header() writes them, plus the
    /// ',' between them). Default 8192; zero keeps none.
    std::size_t max_bytes = 8192;
};

/**
 * The W3C Baggage `baggage` header (W3C "Propagation format for distributed context: Baggage"):
 * an ordered list of application key/value pairs propagated with a request.
 *
 * Parsing follows the specification's grammar
 * `list-member = key OWS "=" OWS value *( OWS ";" OWS property )`, with `key` an RFC 7230 token,
 * `value` a string of baggage-octets (printable US-ASCII except space, '"', ',', ';' and '\\')
 * holding a percent-encoded string, and `property = key OWS "=" OWS value / key OWS`:
 * - members are separated by ','; several header fields combine as one list (RFC 9110 5.3);
 *   empty list elements (", ,") are ignored, as RFC 9110 5.6.1 asks of recipients;
 * - optional whitespace (SP, HTAB) around members, keys, '=', values and properties is trimmed;
 * - a member that breaks the grammar (no '=', a key that is not a token, a byte outside
 *   baggage-octet in the value, a '%' not followed by two hex digits, an empty or malformed
 *   property) is dropped; the other members survive. Hex digits of escapes may be either case;
 * - decoded values are kept as bytes even when they are not valid UTF-8: the value is opaque
 *   to a propagator, dropping it would lose data a downstream hop may understand, and the
 *   bytes re-encode losslessly. Code that needs text must validate it;
 * - keys are unique: a later member with the key of an earlier one replaces that member's value
 *   and properties in place (last wins, as the OpenTelemetry propagators do; the specification
 *   lets an implementation deduplicate either way and asks producers not to send duplicates);
 * - limits: members are taken in order, and one that would exceed `max_members` or `max_bytes`
 *   (measured as to_header() would write the kept members) is dropped, whole; later members
 *   that still fit are kept. A too-large duplicate leaves the earlier value in place. So the
 *   result always serializes within the limits, and an oversized member cannot push out the
 *   ones after it.
 *
 * @par Thread Safety
 * Distinct objects: safe. Shared objects: const members are safe to call concurrently; any
 * mutation needs exclusive access.
 */
class baggage {
public:
    /// Parses the values of every `baggage` field of a message, in order; see the class comment.
    /// Never throws on malformed input (only std::bad_alloc).
    [[nodiscard]] BULWARK_CORE_API static baggage parse(std::span<const std::string_view> headers,
                                                        baggage_limits limits = {});
    /// Same, for a braced list of header values.
    [[nodiscard]] static baggage parse(std::initializer_list<std::string_view> headers,
                                       baggage_limits limits = {}) {
        return parse(std::span<const std::string_view>(headers.begin(), headers.size()), limits);
    }
    /// Same, for a single header value.
    [[nodiscard]] static baggage parse(std::string_view header, baggage_limits limits = {}) {
        return parse(std::span<const std::string_view>(&header, 1), limits);
    }

    /// The members in header order.
    [[nodiscard]] const std::vector<baggage_member>& members() const noexcept { return members_; }
    [[nodiscard]] bool empty() const noexcept { return members_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }

    /// The member with exactly this key, or nullptr.
    [[nodiscard]] BULWARK_CORE_API const baggage_member* find(std::string_view key) const noexcept;

    /**
     * Sets `key` to `value` (any bytes; to_header() percent-encodes them) with `properties`
     * (the header syntax without the leading ';', e.g. "ttl=5;secure"; whitespace around the
     * parts is trimmed). An existing member with this key is replaced in place, otherwise the
     * member is appended. Limits are not applied here but by to_header().
     *
     * @return false, changing nothing, when `key` is not a token or `properties` does not follow
     * the property grammar.
     */
    BULWARK_CORE_API bool set(std::string key, std::string value, std::string properties = {});

    /// Removes the member with this key; false if there was none.
    BULWARK_CORE_API bool erase(std::string_view key);

    /**
     * The header value to propagate: `key=value;properties` members joined by ','. Values are
     * percent-encoded with upper-case hex for every byte outside baggage-octet and for '%' and
     * '=' (so parsers that split at the first '=' or decode '%' cannot misread them); keys and
     * properties are written as kept. Members are written in order; one that would exceed
     * `limits` is left out whole, and later members that fit are still written. Empty when
     * nothing fits or there are no members (then send no `baggage` field).
     */
    [[nodiscard]] BULWARK_CORE_API std::string to_header(baggage_limits limits = {}) const;

    friend bool operator==(const baggage&, const baggage&) = default;

private:
    std::vector<baggage_member> members_;
};

} // namespace bulwark

#endif
