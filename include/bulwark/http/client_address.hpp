#ifndef BULWARK_HTTP_CLIENT_ADDRESS_HPP
#define BULWARK_HTTP_CLIENT_ADDRESS_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/http/message.hpp>

#include <boost/asio/ip/address.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bulwark::http {

/**
 * An IP network in CIDR notation: "10.0.0.0/8", "2001:db8::/32", or a bare address standing for
 * itself ("192.0.2.7" is 192.0.2.7/32, "2001:db8::1" is 2001:db8::1/128).
 *
 * IPv4 and IPv4-mapped IPv6 (::ffff:a.b.c.d) are one address space here, because a dual-stack
 * socket reports an IPv4 peer in the mapped form: contains() answers the same for 192.0.2.7 and
 * ::ffff:192.0.2.7, whether the network was written as "192.0.2.0/24" or "::ffff:192.0.2.0/120".
 *
 * @par Thread Safety
 * A plain value: concurrent calls to const members are safe; parse() is reentrant.
 */
class ip_network {
public:
    /**
     * Parses a network; std::nullopt if `text` is not one.
     *
     * The address is parsed as strictly as ip_key::parse (dotted quad without leading zeros,
     * RFC 4291 IPv6), without brackets or zone ("%eth0"). The prefix length is decimal without
     * sign or leading zero, at most 32 for IPv4 and 128 for IPv6. Address bits beyond the prefix
     * must be zero: "10.0.0.1/8" is refused rather than masked to 10.0.0.0/8, because it is
     * ambiguous (one host meant, or a whole /8?) and the wrong guess trusts 16 million addresses.
     * No whitespace is accepted anywhere.
     *
     * @param text the network, e.g. "10.0.0.0/8".
     * @param reason if non-null and `text` is refused, receives why (a static string).
     */
    [[nodiscard]] BULWARK_HTTP_API static std::optional<ip_network>
    parse(std::string_view text, std::string_view* reason = nullptr) noexcept;

    /// Whether `a` lies in this network (IPv4 and IPv4-mapped IPv6 compare as one; an IPv6
    /// scope id is ignored). Compares masked bytes: no allocation, no branch on the family
    /// beyond picking the bytes.
    [[nodiscard]] BULWARK_HTTP_API bool contains(const boost::asio::ip::address& a) const noexcept;

    /// True when the network was written as IPv4.
    [[nodiscard]] bool is_v4() const noexcept { return v4_; }
    /// The prefix length: 0-32 for IPv4, 0-128 for IPv6.
    [[nodiscard]] unsigned prefix() const noexcept {
        return v4_ ? mapped_prefix_ - 96u : mapped_prefix_;
    }
    /// The network address (its bits beyond the prefix are zero).
    [[nodiscard]] BULWARK_HTTP_API boost::asio::ip::address address() const noexcept;
    /// The network in CIDR notation, "10.0.0.0/8", "2001:db8::/32" (for logs and tests).
    [[nodiscard]] BULWARK_HTTP_API std::string to_string() const;

    friend bool operator==(const ip_network&, const ip_network&) noexcept = default;

private:
    friend class client_address_resolver;

    using bytes_type = std::array<std::uint8_t, 16>;

    // Whether `mapped` (an address in the form mapped_bytes() gives) is in the network.
    [[nodiscard]] bool contains_mapped(const bytes_type& mapped) const noexcept;
    // The address as 16 bytes, IPv4 as ::ffff:a.b.c.d: one address space for both families.
    [[nodiscard]] static bytes_type mapped_bytes(const boost::asio::ip::address& a) noexcept;

    // Stored in the mapped space: an IPv4 network a.b.c.d/n is ::ffff:a.b.c.d/(96 + n), so
    // matching is one masked compare of 16 bytes whatever the families involved.
    bytes_type bytes_{};
    std::uint8_t mapped_prefix_ = 0;
    bool v4_ = false;
};

/// Which header a trusted proxy writes the client's address into.
enum class forwarded_header : unsigned char {
    /// `X-Forwarded-For: client, proxy1, proxy2` (the de-facto standard; nginx, HAProxy, AWS
    /// ALB, Cloudflare, Kubernetes ingress controllers).
    x_forwarded_for,
    /// `Forwarded: for=client, for="[2001:db8::1]:4711"` (RFC 7239): only the `for=`
    /// parameter of each element is used.
    forwarded,
};

/**
 * Configuration of client_address_resolver.
 *
 * The default trusts no proxy: the TCP peer is the client and forwarding headers are ignored,
 * whoever sends them. List exactly the proxies that sit in front of this server and overwrite
 * or append to the configured header; see docs/client_address.md.
 */
struct client_address_config {
    /// Networks of the proxies allowed to report the client's address, in CIDR notation
    /// ("10.0.0.0/8", "2001:db8::/32", or a bare address for one host); see ip_network::parse.
    /// Default empty: trust no one, the peer is the client and headers are ignored.
    /// client_address_resolver::private_networks() is a ready list for a private cluster.
    std::vector<std::string> trusted_proxies = {};
    /// The header the trusted proxies write. Default X-Forwarded-For. The other header is
    /// ignored entirely (a client could send it through the proxy unchanged).
    forwarded_header header = forwarded_header::x_forwarded_for;
    /// Most header hops examined per request, 1-64. Default 16. When that many hops (counted
    /// from the right) are all trusted proxies, the leftmost of them is taken as the client
    /// without looking further: the work per request is bounded even if a trusted network
    /// holds an attacker. Zero is invalid (to ignore headers, trust no proxy).
    std::size_t max_hops = 16;
};

/**
 * Finds a request's client address: the TCP peer, or, when the peer is a trusted proxy, the
 * rightmost address in the forwarding header that is not a trusted proxy.
 *
 * Proxies append the address they received a connection from to the right of the header, so
 * only the entries written by trusted proxies are facts; everything to the left of the first
 * untrusted entry was written by someone the server does not trust (typically the client,
 * who can put any address there). Walking from the right:
 *
 * - the peer is not trusted (or no proxy is configured): the peer is the client, headers
 *   are not even read;
 * - the header is absent (or holds only empty entries): the peer is the client;
 * - the first hop that is not a trusted proxy is the client;
 * - a hop that does not parse as an address ("unknown", an obfuscated "_node", garbage, an
 *   element without `for=`) stops the walk: the client is the last trusted address seen (the
 *   hop to its right, or the peer), since nothing written left of unreadable text can be
 *   attributed to a trusted proxy;
 * - every hop examined (at most max_hops) is trusted: the leftmost of them is the client.
 *
 * All header lines of the configured header are one list, in the order received. Hops may
 * be IPv4 or IPv6, with a port ("192.0.2.7:5678", "[2001:db8::1]:80") or not; IPv6 with a
 * port needs brackets. An IPv4-mapped IPv6 hop (::ffff:a.b.c.d) is returned as IPv4. The
 * peer, when it is the answer, is returned unchanged.
 *
 * resolve() is the request-path operation: noexcept, no allocation, work linear in the
 * header's size and in max_hops × the number of trusted networks.
 *
 * @par Thread Safety
 * Immutable after construction: resolve() and trusts() may be called concurrently.
 */
class client_address_resolver {
public:
    /**
     * Parses the trusted networks once.
     *
     * @throws std::system_error (bulwark::error::invalid_config) naming the first bad field,
     *         e.g. "client_address_config.trusted_proxies[2]: ...".
     */
    BULWARK_HTTP_API explicit client_address_resolver(const client_address_config& config = {});

    /**
     * Checks a configuration without building a resolver.
     *
     * @param config the configuration to check.
     * @param issue if non-null and the config is invalid, receives the first offending field
     *        ("client_address_config.trusted_proxies[<i>]" for i below 256, otherwise
     *        "client_address_config.trusted_proxies"; or "client_address_config.max_hops") and
     *        why; left untouched when the config is valid.
     * @return std::error_code{} or bulwark::error::invalid_config.
     */
    [[nodiscard]] BULWARK_HTTP_API static std::error_code
    validate(const client_address_config& config, config_issue* issue = nullptr) noexcept;

    /**
     * The client's address for a request received from `peer` with header `h` (see the class
     * comment for the rules).
     */
    [[nodiscard]] BULWARK_HTTP_API boost::asio::ip::address
    resolve(const boost::asio::ip::address& peer, const request_header& h) const noexcept;

    /// Whether `a` is in one of the trusted networks.
    [[nodiscard]] BULWARK_HTTP_API bool trusts(const boost::asio::ip::address& a) const noexcept;

    /// The parsed trusted networks, in configuration order.
    [[nodiscard]] std::span<const ip_network> trusted_networks() const noexcept {
        return networks_;
    }

    /**
     * Private and loopback networks: RFC 1918 (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16),
     * 127.0.0.0/8, ::1/128 and IPv6 unique local fc00::/7.
     *
     * Convenient behind a Kubernetes ingress or a load balancer inside a private network, but
     * not a default and not free of risk: it trusts every host of those networks, so any pod,
     * sidecar or compromised machine that can reach the server directly chooses its own client
     * address by sending the header. Prefer the proxies' own ranges when they are known.
     */
    [[nodiscard]] BULWARK_HTTP_API static std::vector<std::string> private_networks();

    /// Most hops a configuration may ask to examine (client_address_config::max_hops).
    static constexpr std::size_t max_hops_limit = 64;

private:
    std::vector<ip_network> networks_;
    forwarded_header header_;
    std::size_t max_hops_;
};

} // namespace bulwark::http

#endif
