#ifndef BULWARK_CORE_REDACT_REDACTOR_CONFIG_HPP
#define BULWARK_CORE_REDACT_REDACTOR_CONFIG_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/redact/detector.hpp>
#include <bulwark/core/redact/keyed_hash.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bulwark {

/// The most custom detectors a redactor takes.
inline constexpr std::size_t max_custom_detectors = 16;

/// The mode of each built-in detector. All mask by default: redaction is on unless turned off.
struct detector_modes {
    redact_mode email = redact_mode::mask;
    redact_mode card = redact_mode::mask;
    redact_mode iban = redact_mode::mask;
    redact_mode phone = redact_mode::mask;
    redact_mode ipv4 = redact_mode::mask;
    redact_mode ipv6 = redact_mode::mask;
    redact_mode jwt = redact_mode::mask;
    redact_mode bearer = redact_mode::mask;
    redact_mode basic = redact_mode::mask;
    redact_mode aws_key = redact_mode::mask;
    redact_mode secret = redact_mode::mask;
    redact_mode ssn = redact_mode::mask;

    /// The mode of `d`.
    [[nodiscard]] BULWARK_CORE_API redact_mode& operator[](detector d) noexcept;
    [[nodiscard]] BULWARK_CORE_API redact_mode operator[](detector d) const noexcept;

    /// Every detector in mode `m`.
    [[nodiscard]] BULWARK_CORE_API static detector_modes all(redact_mode m) noexcept;
};

/**
 * A detector of the user's own: a literal prefix the pre-filter can trigger on, followed by a
 * run of allowed characters, confirmed by an optional validator. This is the shape of almost
 * every vendor secret (GitHub `ghp_`, Stripe `sk_live_`, Slack `xoxb-`, GitLab `glpat-`).
 *
 * A match starts at a word boundary (the byte before it is not a letter, digit or '_'), is the
 * prefix plus `min_length` to `max_length` body bytes from `body_chars`, and ends where the
 * next byte is not in `body_chars`.
 */
struct custom_detector {
    /// The label in `[REDACTED:<name>]` and in metrics: 1-32 of [a-z0-9_], not a built-in
    /// detector's name. No default: required.
    std::string name = {};
    /// The literal the match starts with, 1-32 bytes, case-sensitive. Required.
    std::string prefix = {};
    /// The bytes allowed after the prefix. Default: letters, digits, '_' and '-'.
    std::string body_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    /// Minimum body length in bytes after the prefix. Default 16; 0 is allowed.
    std::size_t min_length = 16;
    /// Maximum body length in bytes; a longer run is not a match. Default 256, at most 4096.
    std::size_t max_length = 256;
    /// Optional check of the whole match (prefix included), for a checksum or a structure the
    /// character class cannot express. Called only on candidates; may throw, which fails the
    /// redaction closed. Empty: every candidate matches.
    std::function<bool(std::string_view match)> validator = {};
    /// What replaces a match. `partial` masks.
    redact_mode mode = redact_mode::mask;
};

/**
 * Configuration of a `redactor`. The defaults redact everything the built-in detectors find,
 * with `[REDACTED:<label>]`.
 */
struct redactor_config {
    /// Mode per built-in detector. Default: all `mask`.
    detector_modes modes = {};

    /// Whether the built-in list of secret key names is used: password, passwd, pwd,
    /// passphrase, secret, token, api_key, apikey, access_token, refresh_token, client_secret,
    /// authorization, credential, credentials, private_key, secret_key, access_key, signature,
    /// cookie, session_id, sessionid, cvv, cvc. Default true.
    bool builtin_secret_keys = true;

    /// More key names whose values the `secret` detector redacts, and which `sensitive_field`
    /// reports. A key matches a name when the key, lower-cased and with '_', '-' and '.'
    /// removed, ends with the name normalized the same way: "password" covers db_password,
    /// DB-PASSWORD and dbPassword. 1-64 bytes of [A-Za-z0-9_.-] each. Default: none.
    std::vector<std::string> extra_secret_keys = {};

    /// Values that are never redacted, compared byte for byte with the matched text (for
    /// example a support address or a documentation IP). An entry starting with '@'
    /// (`@example.com`) allows every email address at that domain, compared case-insensitively.
    /// Default: none.
    std::vector<std::string> allowlist = {};

    /// The user's own detectors, at most `max_custom_detectors` (16). Default: none.
    std::vector<custom_detector> custom = {};

    /// The keyed hash of `pseudonymize` mode; required when any detector uses that mode,
    /// ignored otherwise. See `bulwark::telemetry::make_hmac_sha256`. Default: none.
    std::shared_ptr<const keyed_hash> pseudonymizer = {};

    /// Hex characters of a pseudonym: 8-64, even. Default 16 (64 bits): collisions between
    /// distinct values in one log stay negligible up to hundreds of millions of values.
    std::size_t pseudonym_hex_chars = 16;

    /// Bits of an IPv4 address `partial` mode keeps: 8, 16 or 24. Default 24.
    std::size_t ipv4_prefix_bits = 24;

    /// Bits of an IPv6 address `partial` mode keeps: a multiple of 16 from 16 to 112. Default
    /// 48.
    std::size_t ipv6_prefix_bits = 48;
};

/**
 * Checks `c`: the key names, custom detectors (name grammar and uniqueness, prefix, lengths,
 * body characters), pseudonym length, IP prefixes, and that a pseudonymizer is set when a mode
 * needs it.
 *
 * @return error::invalid_config with `issue` naming the field, e.g.
 *         "redactor_config.pseudonymizer", or an empty error_code.
 */
[[nodiscard]] BULWARK_CORE_API std::error_code validate(const redactor_config& c,
                                                        config_issue* issue = nullptr) noexcept;

} // namespace bulwark

#endif
