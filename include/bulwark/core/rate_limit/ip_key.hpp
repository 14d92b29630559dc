#ifndef BULWARK_CORE_RATE_LIMIT_IP_KEY_HPP
#define BULWARK_CORE_RATE_LIMIT_IP_KEY_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace bulwark {

/**
 * How much of a client address identifies one client for rate limiting.
 *
 * Per-address keys are the wrong grain for IPv6: a customer is routinely delegated a whole /64
 * (often a /56 or /48), so a client that rotates source addresses inside its subnet would get
 * a fresh budget per request. IPv4 addresses are scarce enough that one address is one client.
 *
 * Values above the family's maximum are clamped by ip_key (32 for IPv4, 128 for IPv6) so that
 * keying never fails on the request path; validate() is how a component rejects them up front.
 */
struct ip_key_config {
    /// Bits of an IPv4 address kept in the key, 0-32. Default 32 (one address).
    /// 0: all IPv4 clients share one key.
    unsigned ipv4_prefix = 32;
    /// Bits of an IPv6 address kept in the key, 0-128. Default 64 (one subnet: a single customer
    /// usually owns a whole /64, so per-address keys are trivially evaded). 128: one address.
    /// 0: all IPv6 clients share one key.
    unsigned ipv6_prefix = 64;
};

/**
 * Checks that both prefixes are within their family's range.
 *
 * @param config the configuration to check.
 * @param issue if non-null and the config is invalid, receives the first offending field
 *        ("ip_key_config.ipv4_prefix" or "ip_key_config.ipv6_prefix") and its valid range;
 *        left untouched when the config is valid.
 * @return std::error_code{} or bulwark::error::invalid_config.
 *
 * @par Thread Safety
 * Reentrant.
 */
[[nodiscard]] BULWARK_CORE_API std::error_code validate(const ip_key_config& config,
                                                        config_issue* issue = nullptr) noexcept;

/**
 * A compact binary rate-limit key: a client IP address masked to a prefix.
 *
 * The key is a fixed-size value (no heap) whose view() is meant to be hashed or stored by a
 * keyed rate limiter. Bits beyond the prefix are zeroed, so every address of one subnet yields
 * the same key: under /64, 2001:db8:1:2:aaaa::1 and 2001:db8:1:2:bbbb::2 are equal, and under
 * /24, 203.0.113.7 and 203.0.113.200 are equal. IPv4 and IPv6 keys never compare equal, whatever
 * their bytes, because the first byte names the family.
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are keyed as the IPv4 address they carry, with
 * the IPv4 prefix: a dual-stack socket reports IPv4 clients in that form, and without the
 * unmapping one client would have two budgets depending on which listener accepted it. Other
 * IPv4-embedding forms (the deprecated IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96) stay
 * IPv6: they name IPv6 endpoints, not IPv4 clients.
 *
 * A default-constructed key is empty: view() is empty, it equals no key made from an address,
 * and to_string() returns "".
 *
 * @par Thread Safety
 * A plain value: concurrent calls to const members are safe; the factories are reentrant.
 *
 * @par Example
 * @code
 * auto key = bulwark::ip_key::parse("2001:db8:1:2:aaaa::1");   // /64 by default
 * assert(key && key->to_string() == "2001:db8:1:2::/64");
 * limiter.try_acquire(key->view());
 * @endcode
 */
class ip_key {
public:
    /**
     * Parses a textual address and keys it under `config`.
     *
     * Accepts dotted-quad IPv4 ("203.0.113.7") and RFC 4291 section 2.2 IPv6 ("2001:db8::1",
     * "::ffff:192.0.2.1"), the latter optionally with a zone suffix ("fe80::1%eth0": the zone
     * is checked then dropped, since it names a local interface, not the client) and optionally
     * in brackets ("[2001:db8::1]", "[fe80::1%eth0]"), as found in Host headers and URIs.
     *
     * Parsing is strict because the text often comes from a header a client controls, and two
     * spellings accepted for one address are two budgets: an IPv4 octet has no leading zero
     * (some parsers read "010" as octal 8), no sign, no whitespace; an IPv6 group has 1-4 hex
     * digits, there is at most one "::" and it stands for at least one zero group; a zone is
     * one or more of the RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~); brackets and
     * zones are refused on IPv4. Anything else, including leading or trailing garbage, is
     * std::nullopt.
     */
    [[nodiscard]] BULWARK_CORE_API static std::optional<ip_key>
    parse(std::string_view text, const ip_key_config& config = {}) noexcept;

    /// Keys an IPv4 address given in network byte order; config.ipv4_prefix is clamped to 32.
    [[nodiscard]] BULWARK_CORE_API static ip_key from_v4(const std::array<std::uint8_t, 4>& bytes,
                                                         const ip_key_config& config = {}) noexcept;

    /**
     * Keys an IPv6 address given in network byte order; config.ipv6_prefix is clamped to 128.
     *
     * IPv4-mapped addresses (::ffff:a.b.c.d) are keyed as the IPv4 address they carry, with
     * config.ipv4_prefix, so one client is one key whichever socket family accepted it.
     */
    [[nodiscard]] BULWARK_CORE_API static ip_key from_v6(const std::array<std::uint8_t, 16>& bytes,
                                                         const ip_key_config& config = {}) noexcept;

    /**
     * The key bytes: one family tag byte ('4' or '6'), one byte holding the prefix length, then
     * the masked address truncated to ceil(prefix / 8) bytes (network byte order).
     *
     * For example 203.0.113.7 under /24 is "4", "\x18", "\xCB\x00\x71" (5 bytes) and
     * 2001:db8::1 under /64 is "6", "\x40" and 8 address bytes. The layout is stable across
     * versions of bulwark within a major version, so keys may be stored (e.g. in Redis).
     * The view points into this object and is valid as long as it is.
     */
    [[nodiscard]] std::string_view view() const noexcept { return {bytes_.data(), size_}; }

    /// True for an IPv4 key, including one made from an IPv4-mapped IPv6 address.
    [[nodiscard]] bool is_v4() const noexcept { return size_ != 0 && bytes_[0] == '4'; }

    /// The prefix length in bits, after clamping: 0-32 for IPv4, 0-128 for IPv6.
    [[nodiscard]] unsigned prefix() const noexcept { return static_cast<unsigned char>(bytes_[1]); }

    /**
     * The key for logs: the masked address and its prefix, "203.0.113.0/24", "203.0.113.7/32",
     * "2001:db8:1:2::/64".
     *
     * IPv6 is written in RFC 5952 canonical form: lower-case hex without leading zeros, the
     * longest run of two or more zero groups compressed to "::" (the first one on ties), a
     * single zero group written as "0".
     */
    [[nodiscard]] BULWARK_CORE_API std::string to_string() const;

    friend bool operator==(const ip_key&, const ip_key&) noexcept = default;

private:
    // Bytes past size_ are always zero, so the defaulted operator== compares keys exactly.
    std::array<char, 18> bytes_{};
    std::uint8_t size_ = 0;
};

} // namespace bulwark

#endif
