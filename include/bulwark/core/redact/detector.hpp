#ifndef BULWARK_CORE_REDACT_DETECTOR_HPP
#define BULWARK_CORE_REDACT_DETECTOR_HPP

#include <bulwark/config.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bulwark {

/**
 * The redactor's built-in detectors. The name of each (`to_string`) is the label written into
 * a masked value (`[REDACTED:email]`) and the `detector` label of
 * `bulwark_redactions_total`. docs/redaction.md lists what each one accepts.
 */
enum class detector : std::uint8_t {
    email,   ///< addresses with a dotted domain and a letters-only TLD
    card,    ///< payment cards: 13-19 digits, card-network IIN, Luhn-valid
    iban,    ///< IBANs: registry length per country, mod 97-10 valid
    phone,   ///< E.164 (+...) and separated national formats
    ipv4,    ///< dotted quads with octets 0-255
    ipv6,    ///< RFC 4291 text forms, including embedded IPv4
    jwt,     ///< JWS/JWE compact tokens whose header starts "eyJ"
    bearer,  ///< the credential after "Bearer "
    basic,   ///< the credential after "Basic "
    aws_key, ///< AWS access key ids (AKIA..., ASIA..., 20 characters)
    secret,  ///< the value of a key named like a secret (password=, "token":, X-Api-Key:)
    ssn,     ///< US Social Security numbers ddd-dd-dddd in issued ranges
};

/// How many built-in detectors there are.
inline constexpr std::size_t builtin_detector_count = 12;

/// The label of `d`: "email", "card", ..., "aws_key", "secret", "ssn".
[[nodiscard]] BULWARK_CORE_API std::string_view to_string(detector d) noexcept;

/// The detector whose label is `name`, if any.
[[nodiscard]] BULWARK_CORE_API std::optional<detector>
detector_from_string(std::string_view name) noexcept;

/**
 * What the redactor writes in place of a match.
 *
 * - `mask`: `[REDACTED:<label>]`.
 * - `partial`: keeps a part that identifies nothing on its own:
 *   `[REDACTED:card:1111]` (last four digits; also iban, phone, ssn),
 *   `[REDACTED:email:example.com]` (the domain),
 *   `[REDACTED:ipv4:203.0.113.0/24]` (the configured prefix; also ipv6). Detectors without a
 *   meaningful part (tokens, keys, secrets) mask.
 * - `pseudonymize`: `[HMAC:<label>:<hex>]`, a truncated keyed hash (HMAC-SHA256 with the key
 *   of `redactor_config::pseudonymizer`) of the normalized value: equal values give equal
 *   tokens, so lines can be correlated, but without the key a token cannot be reversed by
 *   hashing candidate values. Unkeyed hashes are deliberately not offered: the space of phone
 *   numbers or card numbers is small enough to enumerate.
 * - `off`: the detector does not run.
 */
enum class redact_mode : std::uint8_t { off, mask, partial, pseudonymize };

/// "off", "mask", "partial", "pseudonymize".
[[nodiscard]] BULWARK_CORE_API std::string_view to_string(redact_mode m) noexcept;

/// The mode whose name is `name`, if any.
[[nodiscard]] BULWARK_CORE_API std::optional<redact_mode>
redact_mode_from_string(std::string_view name) noexcept;

} // namespace bulwark

#endif
