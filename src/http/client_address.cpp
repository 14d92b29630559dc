#include <bulwark/core/rate_limit/ip_key.hpp>
#include <bulwark/http/client_address.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cstring>
#include <string>

namespace bulwark::http {
namespace {

using boost::asio::ip::address;
using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

constexpr unsigned mapped_v4_bits = 96; // ::ffff:0:0/96 holds the IPv4 space
constexpr std::array<std::uint8_t, 12> mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

// Full prefixes: ip_key then carries every address byte (tag, prefix, then 4 or 16 bytes).
constexpr ip_key_config whole_address{.ipv4_prefix = 32, .ipv6_prefix = 128};

constexpr std::string_view x_forwarded_for_name = "X-Forwarded-For";

// --- field names for validate() ---------------------------------------------------------------

// config_issue holds static strings, so the indexed field names validate() reports are built at
// compile time for the first entries (a CDN's published list has a few dozen). The constructor
// names any index, since it formats the message at once.
constexpr std::size_t named_entries = 256;
constexpr std::string_view entries_field = "client_address_config.trusted_proxies";

struct indexed_field_names {
    static constexpr std::size_t width = 48; // "client_address_config.trusted_proxies[255]" is 43
    std::array<std::array<char, width>, named_entries> text{};
    std::array<std::uint8_t, named_entries> size{};
};

constexpr indexed_field_names make_indexed_field_names() {
    indexed_field_names names;
    for (std::size_t i = 0; i < named_entries; ++i) {
        auto& out = names.text[i];
        std::size_t n = 0;
        for (const char c : entries_field) {
            out[n++] = c;
        }
        out[n++] = '[';
        if (i >= 100) {
            out[n++] = static_cast<char>('0' + i / 100);
        }
        if (i >= 10) {
            out[n++] = static_cast<char>('0' + i / 10 % 10);
        }
        out[n++] = static_cast<char>('0' + i % 10);
        out[n++] = ']';
        names.size[i] = static_cast<std::uint8_t>(n);
    }
    return names;
}

constexpr indexed_field_names field_names = make_indexed_field_names();

std::string_view entry_field(std::size_t index) noexcept {
    if (index >= named_entries) {
        return entries_field;
    }
    return {field_names.text[index].data(), field_names.size[index]};
}

// --- addresses ------------------------------------------------------------------------------

// Whether the first `prefix` bits of a and b are equal.
bool prefix_equal(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                  unsigned prefix) noexcept {
    const std::size_t whole = prefix / 8;
    if (std::memcmp(a.data(), b.data(), whole) != 0) {
        return false;
    }
    const unsigned rest = prefix % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - rest));
    return ((a[whole] ^ b[whole]) & mask) == 0;
}

// The address ip_key parsed (IPv4-mapped text comes back as IPv4).
address to_address(const ip_key& key) noexcept {
    const std::string_view v = key.view();
    if (key.is_v4()) {
        address_v4::bytes_type b{};
        for (std::size_t i = 0; i < b.size(); ++i) {
            b[i] = static_cast<unsigned char>(v[2 + i]);
        }
        return address{address_v4{b}};
    }
    address_v6::bytes_type b{};
    for (std::size_t i = 0; i < b.size(); ++i) {
        b[i] = static_cast<unsigned char>(v[2 + i]);
    }
    return address{address_v6{b}};
}

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 7239 node-port: a decimal port (1-5 digits, at most 65535) or an obfuscated one,
// "_" 1*(ALPHA / DIGIT / "." / "_" / "-"). The port is validated, then dropped.
bool is_port(std::string_view p) noexcept {
    if (p.empty()) {
        return false;
    }
    if (p.front() == '_') {
        return p.size() > 1 && std::all_of(p.begin() + 1, p.end(), [](char c) {
                   return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-';
               });
    }
    if (p.size() > 5) {
        return false;
    }
    unsigned value = 0;
    for (const char c : p) {
        if (!is_digit(c)) {
            return false;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value <= 65535;
}

/*
 * One hop's address: "192.0.2.7", "192.0.2.7:5678", "2001:db8::1", "[2001:db8::1]",
 * "[2001:db8::1]:80". A bare IPv6 address cannot carry a port (its last group would be read as
 * one), which is why RFC 7239 brackets it. Zones ("fe80::1%eth0") are refused: they name an
 * interface of the proxy's host, nothing this server can use. Everything else, including
 * "unknown" and obfuscated identifiers, is std::nullopt.
 */
std::optional<address> parse_node(std::string_view s) noexcept {
    std::string_view host = s;
    bool bracketed = false;
    if (!s.empty() && s.front() == '[') {
        const std::size_t close = s.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        host = s.substr(1, close - 1);
        const std::string_view rest = s.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) {
            return std::nullopt;
        }
        bracketed = true;
    } else if (const std::size_t colon = s.find(':');
               colon != std::string_view::npos &&
               s.find(':', colon + 1) == std::string_view::npos) {
        // Exactly one colon: IPv4 with a port (IPv6 text has at least two).
        host = s.substr(0, colon);
        if (!is_port(s.substr(colon + 1))) {
            return std::nullopt;
        }
    }
    if (host.empty() || host.find_first_of("[]%") != std::string_view::npos ||
        (bracketed && host.find(':') == std::string_view::npos)) {
        return std::nullopt;
    }
    const auto key = ip_key::parse(host, whole_address);
    if (!key) {
        return std::nullopt;
    }
    return to_address(*key);
}

// --- header scanning --------------------------------------------------------------------------

constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// RFC 9110 tchar.
constexpr bool is_tchar(char c) noexcept {
    return is_alpha(c) || is_digit(c) ||
           std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

// Characters of an unquoted Forwarded value. RFC 7239 allows only tchar, so "192.0.2.7:80" and
// "[2001:db8::1]" must be quoted; some proxies do not, and accepting ':' '[' ']' here costs no
// safety (the syntax decides whether a hop can be read, never whether it is trusted).
constexpr bool is_value_char(char c) noexcept {
    return is_tchar(c) || c == ':' || c == '[' || c == ']';
}

// RFC 9110 qdtext: HTAB, SP, VCHAR except '"' and '\', obs-text.
constexpr bool is_qdtext(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || u == ' ' || u == 0x21 || (u >= 0x23 && u <= 0x5B) ||
           (u >= 0x5D && u <= 0x7E) || u >= 0x80;
}

// A quoted-pair's second character: HTAB, SP, VCHAR, obs-text.
constexpr bool is_escapable(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
}

/*
 * The node of an RFC 7239 forwarded-element's `for=` parameter. Pairs are separated by ';'
 * (with optional whitespace, which the RFC does not allow but costs nothing to skip), names
 * are case-insensitive tokens, values are tokens or quoted strings. Any syntax error, a
 * repeated `for`, a missing `for`, or a `for` value using a quoted-pair escape (no address
 * needs one) makes the whole element unreadable: std::nullopt.
 */
std::optional<address> parse_forwarded_element(std::string_view e) noexcept {
    std::optional<std::string_view> node;
    bool node_escaped = false;
    std::size_t pos = 0;
    const std::size_t n = e.size();
    while (true) {
        while (pos < n && is_ows(e[pos])) {
            ++pos;
        }
        if (pos == n) {
            break;
        }
        if (e[pos] == ';') { // an empty pair is allowed: [ forwarded-pair ] *( ";" ... )
            ++pos;
            continue;
        }
        const std::size_t name_begin = pos;
        while (pos < n && is_tchar(e[pos])) {
            ++pos;
        }
        const std::string_view name = e.substr(name_begin, pos - name_begin);
        if (name.empty() || pos == n || e[pos] != '=') {
            return std::nullopt;
        }
        ++pos;
        std::string_view value;
        bool escaped = false;
        if (pos < n && e[pos] == '"') {
            const std::size_t value_begin = ++pos;
            while (pos < n && e[pos] != '"') {
                if (e[pos] == '\\') {
                    if (pos + 1 == n || !is_escapable(e[pos + 1])) {
                        return std::nullopt;
                    }
                    escaped = true;
                    pos += 2;
                    continue;
                }
                if (!is_qdtext(e[pos])) {
                    return std::nullopt;
                }
                ++pos;
            }
            if (pos == n) {
                return std::nullopt; // unterminated
            }
            value = e.substr(value_begin, pos - value_begin);
            ++pos;
        } else {
            const std::size_t value_begin = pos;
            while (pos < n && is_value_char(e[pos])) {
                ++pos;
            }
            value = e.substr(value_begin, pos - value_begin);
            if (value.empty()) {
                return std::nullopt;
            }
        }
        while (pos < n && is_ows(e[pos])) {
            ++pos;
        }
        if (pos < n) {
            if (e[pos] != ';') {
                return std::nullopt;
            }
            ++pos;
        }
        if (boost::beast::iequals(boost::beast::string_view{name.data(), name.size()}, "for")) {
            if (node) {
                return std::nullopt; // RFC 7239: a parameter occurs at most once per element
            }
            node = value;
            node_escaped = escaped;
        }
    }
    if (!node || node_escaped) {
        return std::nullopt;
    }
    return parse_node(*node);
}

// The walk from the right: `current` is the last trusted address seen (the peer at first).
struct hop_walk {
    const client_address_resolver& resolver;
    address current;
    std::size_t remaining; // hops still allowed (max_hops at first, never 0 while walking)

    // Takes the next hop to the left; false when the client is found (it is then `current`).
    bool visit(const std::optional<address>& hop) noexcept {
        if (!hop) {
            return false; // unreadable: nothing further left can be attributed to a proxy
        }
        current = *hop;
        --remaining;
        return resolver.trusts(*hop) && remaining != 0;
    }
};

// X-Forwarded-For: comma-separated nodes without quoting, so the line is read right to left
// and only as far as the walk goes.
bool walk_x_forwarded_for(std::string_view line, hop_walk& walk) noexcept {
    std::size_t end = line.size();
    while (true) {
        const std::size_t comma = end == 0 ? std::string_view::npos : line.rfind(',', end - 1);
        const std::size_t begin = comma == std::string_view::npos ? 0 : comma + 1;
        const std::string_view item = trim(line.substr(begin, end - begin));
        // Empty list elements are ignored (RFC 9110 section 5.6.1), not counted as hops.
        if (!item.empty() && !walk.visit(parse_node(item))) {
            return false;
        }
        if (comma == std::string_view::npos) {
            return true;
        }
        end = comma;
    }
}

// Forwarded: a quoted string may hold ',' and escaped quotes, so element boundaries are only known
// reading left to right. One pass records the last `walk.remaining` elements in a ring on the
// stack (max_hops is at most 64), then they are walked right to left. A quote left open
// swallows the rest of its line into one unreadable element; lines are scanned separately so
// an open quote in a client's line cannot reach into a proxy's.
bool walk_forwarded(std::string_view line, hop_walk& walk) noexcept {
    struct element {
        std::size_t begin;
        std::size_t end;
        bool open_quote;
    };
    // Left uninitialised (1.5 KiB per line otherwise): only slots already written are read.
    std::array<element, client_address_resolver::max_hops_limit> ring; // NOLINT
    const std::size_t capacity = std::min(walk.remaining, ring.size());
    std::size_t count = 0;
    const auto keep = [&](std::size_t begin, std::size_t end, bool open_quote) noexcept {
        if (trim(line.substr(begin, end - begin)).empty()) {
            return; // empty list element (an open quote is never empty: it holds the '"')
        }
        ring[count % capacity] = {begin, end, open_quote};
        ++count;
    };
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '\\') {
                ++i; // the escaped character, whatever it is (checked when the element is read)
            } else if (c == '"') {
                quoted = false;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            keep(start, i, false);
            start = i + 1;
        }
    }
    keep(start, line.size(), quoted);
    for (std::size_t k = 0; k < std::min(count, capacity); ++k) {
        const element& e = ring[(count - 1 - k) % capacity];
        const auto hop = e.open_quote
                             ? std::nullopt
                             : parse_forwarded_element(line.substr(e.begin, e.end - e.begin));
        if (!walk.visit(hop)) {
            return false;
        }
    }
    return true;
}

} // namespace

// --- ip_network -------------------------------------------------------------------------------

std::optional<ip_network> ip_network::parse(std::string_view text,
                                            std::string_view* reason) noexcept {
    const auto fail = [reason](std::string_view why) noexcept -> std::optional<ip_network> {
        if (reason != nullptr) {
            *reason = why;
        }
        return std::nullopt;
    };
    const std::size_t slash = text.find('/');
    const std::string_view host = text.substr(0, slash);
    if (host.find_first_of("[]%") != std::string_view::npos) {
        return fail("must be an address or address/prefix without brackets or zone id");
    }
    const auto key = ip_key::parse(host, whole_address);
    if (!key) {
        return fail("must be an IPv4 or IPv6 network such as 10.0.0.0/8 or 2001:db8::/32");
    }
    ip_network net;
    net.bytes_ = mapped_bytes(to_address(*key));
    // ip_key returns IPv4-mapped text as IPv4; the network keeps the family it was written in.
    net.v4_ = key->is_v4() && host.find(':') == std::string_view::npos;
    const unsigned max_prefix = net.v4_ ? 32 : 128;
    unsigned prefix = max_prefix;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits.front() == '0') ||
            !std::all_of(digits.begin(), digits.end(), is_digit)) {
            return fail("the prefix length must be a decimal number without leading zero");
        }
        prefix = 0;
        for (const char c : digits) {
            prefix = prefix * 10 + static_cast<unsigned>(c - '0');
        }
        if (prefix > max_prefix) {
            return fail(net.v4_ ? "an IPv4 prefix length must be at most 32"
                                : "an IPv6 prefix length must be at most 128");
        }
    }
    net.mapped_prefix_ = static_cast<std::uint8_t>(net.v4_ ? prefix + mapped_v4_bits : prefix);
    bytes_type masked{};
    for (std::size_t i = 0; i < masked.size(); ++i) {
        const unsigned bit = 8 * static_cast<unsigned>(i);
        if (bit + 8 <= net.mapped_prefix_) {
            masked[i] = net.bytes_[i];
        } else if (bit < net.mapped_prefix_) {
            const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - (net.mapped_prefix_ - bit)));
            masked[i] = static_cast<std::uint8_t>(net.bytes_[i] & mask);
        }
    }
    if (masked != net.bytes_) {
        return fail("address bits beyond the prefix length must be zero "
                    "(10.0.0.0/8, not 10.0.0.1/8)");
    }
    return net;
}

ip_network::bytes_type ip_network::mapped_bytes(const boost::asio::ip::address& a) noexcept {
    bytes_type out{};
    if (a.is_v4()) {
        const auto v4 = a.to_v4().to_bytes();
        std::copy(mapped_prefix.begin(), mapped_prefix.end(), out.begin());
        std::copy(v4.begin(), v4.end(), out.begin() + 12);
    } else {
        const auto v6 = a.to_v6().to_bytes();
        std::copy(v6.begin(), v6.end(), out.begin());
    }
    return out;
}

bool ip_network::contains_mapped(const bytes_type& mapped) const noexcept {
    return prefix_equal(bytes_, mapped, mapped_prefix_);
}

bool ip_network::contains(const boost::asio::ip::address& a) const noexcept {
    return contains_mapped(mapped_bytes(a));
}

boost::asio::ip::address ip_network::address() const noexcept {
    if (v4_) {
        address_v4::bytes_type b{};
        std::copy(bytes_.begin() + 12, bytes_.end(), b.begin());
        return boost::asio::ip::address{address_v4{b}};
    }
    address_v6::bytes_type b{};
    std::copy(bytes_.begin(), bytes_.end(), b.begin());
    return boost::asio::ip::address{address_v6{b}};
}

std::string ip_network::to_string() const {
    return address().to_string() + '/' + std::to_string(prefix());
}

// --- client_address_resolver ------------------------------------------------------------------

client_address_resolver::client_address_resolver(const client_address_config& config)
    : header_{config.header}, max_hops_{config.max_hops} {
    networks_.reserve(config.trusted_proxies.size());
    for (std::size_t i = 0; i < config.trusted_proxies.size(); ++i) {
        std::string_view why;
        const auto net = ip_network::parse(config.trusted_proxies[i], &why);
        if (!net) {
            // Formatted here rather than taken from validate() so any index can be named.
            throw_invalid_config(std::string{entries_field} + '[' + std::to_string(i) + ']', why);
        }
        networks_.push_back(*net);
    }
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue);
    }
}

std::error_code client_address_resolver::validate(const client_address_config& config,
                                                  config_issue* issue) noexcept {
    for (std::size_t i = 0; i < config.trusted_proxies.size(); ++i) {
        std::string_view why;
        if (!ip_network::parse(config.trusted_proxies[i], &why)) {
            return invalid_config(issue, entry_field(i), why);
        }
    }
    if (config.header != forwarded_header::x_forwarded_for &&
        config.header != forwarded_header::forwarded) {
        return invalid_config(issue, "client_address_config.header",
                              "must be forwarded_header::x_forwarded_for or ::forwarded");
    }
    if (config.max_hops == 0 || config.max_hops > max_hops_limit) {
        return invalid_config(issue, "client_address_config.max_hops",
                              "must be 1-64 (to ignore forwarding headers, trust no proxy)");
    }
    return {};
}

bool client_address_resolver::trusts(const address& a) const noexcept {
    const auto mapped = ip_network::mapped_bytes(a);
    return std::any_of(networks_.begin(), networks_.end(),
                       [&](const ip_network& n) { return n.contains_mapped(mapped); });
}

address client_address_resolver::resolve(const address& peer,
                                         const request_header& h) const noexcept {
    if (!trusts(peer)) { // also when no proxy is configured
        return peer;
    }
    hop_walk walk{*this, peer, max_hops_};
    const bool xff = header_ == forwarded_header::x_forwarded_for;
    const boost::beast::string_view name =
        xff ? boost::beast::string_view{x_forwarded_for_name.data(), x_forwarded_for_name.size()}
            : boost::beast::http::to_string(boost::beast::http::field::forwarded);
    // Beast keeps lines of one name together, in arrival order; walk them last to first.
    auto [first, last] = h.equal_range(name);
    while (last != first) {
        --last;
        if (!boost::beast::iequals(last->name_string(), name)) {
            continue; // defensive: the range holds only this name
        }
        const std::string_view line{last->value().data(), last->value().size()};
        if (!(xff ? walk_x_forwarded_for(line, walk) : walk_forwarded(line, walk))) {
            break;
        }
    }
    return walk.current;
}

std::vector<std::string> client_address_resolver::private_networks() {
    return {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "::1/128", "fc00::/7"};
}

} // namespace bulwark::http
