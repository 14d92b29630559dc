#ifndef BULWARK_CORE_SECURITY_HEADERS_CONTENT_SECURITY_POLICY_HPP
#define BULWARK_CORE_SECURITY_HEADERS_CONTENT_SECURITY_POLICY_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bulwark {

/// One directive of a Content Security Policy: its name ("script-src") and its values, each a
/// source expression ("'self'", "https:", "cdn.example.com") or, for the few directives that take
/// something else, that directive's token ("report-to"'s endpoint name, "sandbox"'s flags).
struct csp_directive {
    /// Lower-case directive name. Default empty (invalid).
    std::string name;
    /// The values in the order they are sent. Default empty: right for directives that take no
    /// value (upgrade-insecure-requests); a source-list directive needs at least one.
    std::vector<std::string> values = {};
};

/**
 * A Content Security Policy (W3C CSP Level 3): an ordered list of directives, built once and
 * validated once, then serialized into the header value.
 *
 * It is an aggregate (designated initializers work) with a few builder helpers:
 * @code
 * auto policy = bulwark::content_security_policy::helmet_defaults()
 *                   .append("script-src", "https://cdn.example.com")
 *                   .set("report-to", {"csp"});
 * @endcode
 *
 * validate() checks what a browser would silently ignore or misread, the way helmet does and a
 * little further: directive names against the CSP Level 3 list (a typo such as "scirpt-src" is
 * ignored by browsers, leaving the page unprotected), values for `;`, `,`, whitespace and control
 * characters (which would start a new directive or policy), the keywords ('self', 'none', ...)
 * single-quoted (an unquoted `self` is a host named "self"), 'none' alone in its directive, a
 * source-list directive not empty, and default-src present unless explicitly waived.
 *
 * Serialization is helmet's: `name value value;name2 value` — directives joined by ";" without
 * a space, values by one space, a directive without values as its bare name.
 *
 * @par Thread Safety
 * A value type: concurrent reads are safe, writes need exclusive access.
 */
struct content_security_policy {
    /// The directives in serialization order. Default empty (invalid: a policy needs one).
    std::vector<csp_directive> directives = {};
    /// Accept a policy without default-src (helmet's dangerouslyDisableDefaultSrc). Default
    /// false: without default-src every fetch kind the policy does not name is unrestricted.
    bool allow_missing_default_src = false;
    /// Accept directive names outside the CSP Level 3 list (a directive newer than this
    /// library). Default false: an unknown name is far more often a typo, which browsers ignore.
    /// Names must still be lower-case letters, digits and '-', and values are still checked for
    /// ';', ',' and control characters.
    bool allow_unknown_directives = false;

    /**
     * helmet 8's default policy, directive for directive:
     * `default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';`
     * `frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';`
     * `script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests`
     */
    [[nodiscard]] BULWARK_CORE_API static content_security_policy helmet_defaults();

    /// Sets directive `name` to `values`: replaces it where it is, or appends it.
    BULWARK_CORE_API content_security_policy& set(std::string_view name,
                                                  std::vector<std::string> values = {});
    /// Appends one value to directive `name`, creating the directive (at the end) if absent.
    /// Appending to a directive holding 'none' replaces the 'none' (adding a source to "nothing"
    /// means allowing that source).
    BULWARK_CORE_API content_security_policy& append(std::string_view name, std::string_view value);
    /// Removes directive `name` if present.
    BULWARK_CORE_API content_security_policy& remove(std::string_view name) noexcept;
    /// The directive named `name`, or null.
    [[nodiscard]] BULWARK_CORE_API const csp_directive* find(std::string_view name) const noexcept;

    /// The header value, helmet's form. Meaningful for a policy that passes validate().
    [[nodiscard]] BULWARK_CORE_API std::string to_string() const;
};

/**
 * Checks a policy. On failure `issue->field` names the directive as
 * "content_security_policy.<directive>" (e.g. "content_security_policy.script-src"), or
 * "content_security_policy.directives" for a name that is malformed or unknown, and
 * `issue->reason` says what is valid.
 */
[[nodiscard]] BULWARK_CORE_API std::error_code validate(const content_security_policy& policy,
                                                        config_issue* issue = nullptr) noexcept;

/// The single-quoted keywords of CSP Level 3 source lists, unquoted ("self", "none",
/// "unsafe-inline", ...). Sorted.
[[nodiscard]] BULWARK_CORE_API const std::vector<std::string_view>& csp_keywords();

namespace detail {

/// validate() with the field prefix chosen: "content_security_policy." (report_only false) or
/// "content_security_policy_report_only.". The fields stay static strings.
[[nodiscard]] BULWARK_CORE_API std::error_code
validate_csp(const content_security_policy& policy, bool report_only, config_issue* issue) noexcept;

/// Serializes `policy` (as to_string()) and records, in directive order, the offset just past the
/// last value of each directive named in `slot_directives` that the policy has: where a
/// per-request " 'nonce-...'" goes.
[[nodiscard]] BULWARK_CORE_API std::string
serialize_csp(const content_security_policy& policy,
              const std::vector<std::string>& slot_directives,
              std::vector<std::size_t>* slot_offsets);

/// Whether CSP directive `name` may carry a nonce (default-src, script-src, script-src-elem,
/// style-src, style-src-elem).
[[nodiscard]] BULWARK_CORE_API bool csp_accepts_nonce(std::string_view name) noexcept;

} // namespace detail

} // namespace bulwark

#endif
