#include <bulwark/http/client_address.hpp>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include <cassert>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace net = boost::asio::ip;
namespace bh = boost::beast::http;
using bulwark::http::client_address_config;
using bulwark::http::client_address_resolver;
using bulwark::http::forwarded_header;
using bulwark::http::ip_network;
using bulwark::http::request_header;

namespace {

// A request header holding one line per value of `name`, in order, around unrelated fields.
request_header with_lines(std::string_view name, std::initializer_list<std::string_view> lines) {
    request_header h;
    h.method(bh::verb::get);
    h.target("/");
    h.set(bh::field::host, "api.example.com");
    for (const auto line : lines) {
        h.insert(name, line);
    }
    h.set(bh::field::user_agent, "test");
    return h;
}

request_header xff(std::initializer_list<std::string_view> lines) {
    return with_lines("X-Forwarded-For", lines);
}

request_header forwarded(std::initializer_list<std::string_view> lines) {
    return with_lines("Forwarded", lines);
}

// The resolved client as text, so a failing CHECK shows the address.
std::string client(const client_address_resolver& r, std::string_view peer,
                   const request_header& h) {
    return r.resolve(net::make_address(peer), h).to_string();
}

// Trusts 10.0.0.0/8 and 2001:db8:f::/48 (the "proxies" of most tests).
client_address_resolver proxies(forwarded_header header = forwarded_header::x_forwarded_for,
                                std::size_t max_hops = 16) {
    return client_address_resolver{{.trusted_proxies = {"10.0.0.0/8", "2001:db8:f::/48"},
                                    .header = header,
                                    .max_hops = max_hops}};
}

std::string network(std::string_view text) {
    std::string_view reason;
    const auto net = ip_network::parse(text, &reason);
    return net ? net->to_string() : "<rejected: " + std::string{reason} + ">";
}

} // namespace

TEST_CASE("the default config ignores forwarding headers from every peer", "[client_address]") {
    const client_address_resolver r;
    CHECK(r.trusted_networks().empty());
    for (const auto* peer : {"203.0.113.9", "10.0.0.1", "127.0.0.1", "::1", "2001:db8::5"}) {
        INFO(peer);
        CHECK(client(r, peer, xff({"198.51.100.1"})) == peer);
        CHECK(client(r, peer, forwarded({"for=198.51.100.1"})) == peer);
        CHECK_FALSE(r.trusts(net::make_address(peer)));
    }
}

TEST_CASE("an untrusted peer is the client whatever its headers say", "[client_address]") {
    const auto r = proxies();
    CHECK(client(r, "203.0.113.9", xff({"198.51.100.1"})) == "203.0.113.9");
    // Even when the header names only trusted proxies: the peer itself is not one.
    CHECK(client(r, "203.0.113.9", xff({"10.0.0.1, 10.0.0.2"})) == "203.0.113.9");
    CHECK(client(r, "2001:db8:e::1", xff({"198.51.100.1"})) == "2001:db8:e::1");
}

TEST_CASE("a trusted proxy's X-Forwarded-For names the client", "[client_address]") {
    const auto r = proxies();
    CHECK(client(r, "10.0.0.1", xff({"198.51.100.7"})) == "198.51.100.7");
    // client, proxy1: proxy1 (trusted) forwarded to the peer (trusted).
    CHECK(client(r, "10.0.0.1", xff({"198.51.100.7, 10.0.0.2"})) == "198.51.100.7");
    CHECK(client(r, "2001:db8:f::1", xff({"198.51.100.7"})) == "198.51.100.7");
    // Tabs and spaces around entries are trimmed.
    CHECK(client(r, "10.0.0.1", xff({"\t198.51.100.7 ,\t10.0.0.2 "})) == "198.51.100.7");
}

TEST_CASE("entries left of the rightmost untrusted hop are ignored", "[client_address]") {
    const auto r = proxies();
    // The client wrote "1.2.3.4, 10.9.9.9" itself; the trusted proxy appended the real address.
    CHECK(client(r, "10.0.0.1", xff({"1.2.3.4, 198.51.100.7"})) == "198.51.100.7");
    CHECK(client(r, "10.0.0.1", xff({"10.9.9.9, 198.51.100.7"})) == "198.51.100.7");
    CHECK(client(r, "10.0.0.1", xff({"1.2.3.4, 198.51.100.7, 10.0.0.2"})) == "198.51.100.7");
}

TEST_CASE("when every hop is a trusted proxy the leftmost is the client", "[client_address]") {
    const auto r = proxies();
    CHECK(client(r, "10.0.0.1", xff({"10.0.0.3, 10.0.0.2"})) == "10.0.0.3");
    CHECK(client(r, "10.0.0.1", xff({"2001:db8:f::9"})) == "2001:db8:f::9");
}

TEST_CASE("no header or only empty entries: the peer is the client", "[client_address]") {
    const auto r = proxies();
    CHECK(client(r, "10.0.0.1", xff({})) == "10.0.0.1");
    CHECK(client(r, "10.0.0.1", xff({""})) == "10.0.0.1");
    CHECK(client(r, "10.0.0.1", xff({" , ,"})) == "10.0.0.1");
    // Empty list elements are skipped, not read as garbage.
    CHECK(client(r, "10.0.0.1", xff({", 198.51.100.7 ,, "})) == "198.51.100.7");
    // The other header is not read.
    CHECK(client(r, "10.0.0.1", forwarded({"for=198.51.100.7"})) == "10.0.0.1");
}

TEST_CASE("several header lines are one list in arrival order", "[client_address]") {
    const auto r = proxies();
    CHECK(client(r, "10.0.0.1", xff({"198.51.100.1", "198.51.100.2"})) == "198.51.100.2");
    CHECK(client(r, "10.0.0.1", xff({"1.2.3.4, 198.51.100.1", "10.0.0.3", "10.0.0.2"})) ==
          "198.51.100.1");
    CHECK(client(r, "10.0.0.1", xff({"198.51.100.1", "", "10.0.0.2"})) == "198.51.100.1");

    // Interleaved with other fields on the wire: Beast keeps same-named lines together.
    request_header h;
    h.insert("X-Forwarded-For", "198.51.100.1, 10.0.0.4");
    h.insert(bh::field::host, "api.example.com");
    h.insert("x-forwarded-for", "10.0.0.3");
    h.insert(bh::field::accept, "*/*");
    h.insert("X-FORWARDED-FOR", "10.0.0.2");
    CHECK(client(r, "10.0.0.1", h) == "198.51.100.1");
}

TEST_CASE("X-Forwarded-For hops may be IPv6 and carry ports", "[client_address]") {
    const auto r = proxies();
    const std::vector<std::pair<std::string_view, std::string_view>> table{
        {"198.51.100.7", "198.51.100.7"},
        {"198.51.100.7:5678", "198.51.100.7"},
        {"2001:db8:1::7", "2001:db8:1::7"},
        {"[2001:db8:1::7]", "2001:db8:1::7"},
        {"[2001:db8:1::7]:443", "2001:db8:1::7"},
        {"[2001:db8:1::7]:_obf-port", "2001:db8:1::7"},
        // Without brackets a trailing ":80" is read as the last IPv6 group.
        {"2001:db8:1::7:80", "2001:db8:1::7:80"},
        // IPv4-mapped hops are returned as IPv4.
        {"::ffff:198.51.100.7", "198.51.100.7"},
        {"[::ffff:198.51.100.7]:80", "198.51.100.7"},
    };
    for (const auto& [hop, expected] : table) {
        INFO(hop);
        CHECK(client(r, "10.0.0.1", xff({hop})) == expected);
        CHECK(client(r, "2001:db8:f::1", xff({hop})) == expected);
    }
}

TEST_CASE("an unreadable hop stops the walk at the last trusted address", "[client_address]") {
    const auto r = proxies();
    const std::vector<std::string_view> garbage{
        "garbage",        "unknown",          "_hidden",           "198.51.100.7:99999",
        "198.51.100.7:",  "198.051.100.7",    "[198.51.100.7]",    "[2001:db8::1",
        "[2001:db8::1]x", "fe80::1%eth0",     "2001:db8::1::2",    "198.51.100.7 1.2.3.4",
        "1.2.3.4.5",      "\"198.51.100.7\"", "198.51.100.7:80:1", "::ffff:1.2.3"};
    for (const auto hop : garbage) {
        INFO(hop);
        // Rightmost hop unreadable: the peer is the last trusted address.
        CHECK(client(r, "10.0.0.1", xff({std::string{"203.0.113.9, "} + std::string{hop}})) ==
              "10.0.0.1");
        // Behind a readable trusted hop: that hop.
        CHECK(client(r, "10.0.0.1",
                     xff({std::string{"203.0.113.9, "} + std::string{hop} + ", 10.0.0.2"})) ==
              "10.0.0.2");
    }
}

TEST_CASE("Forwarded: the for= node of each element", "[client_address]") {
    const auto r = proxies(forwarded_header::forwarded);
    CHECK(client(r, "10.0.0.1", forwarded({"for=198.51.100.7"})) == "198.51.100.7");
    CHECK(client(r, "10.0.0.1", forwarded({"for=192.0.2.60;proto=http;by=203.0.113.43"})) ==
          "192.0.2.60");
    CHECK(client(r, "10.0.0.1", forwarded({"proto=https; For=198.51.100.7 ;host=a.example"})) ==
          "198.51.100.7");
    CHECK(client(r, "10.0.0.1", forwarded({"FOR=198.51.100.7"})) == "198.51.100.7");
    CHECK(client(r, "10.0.0.1", forwarded({R"(for="[2001:db8:cafe::17]:4711")"})) ==
          "2001:db8:cafe::17");
    CHECK(client(r, "10.0.0.1", forwarded({R"(for="[2001:db8:cafe::17]")"})) ==
          "2001:db8:cafe::17");
    CHECK(client(r, "10.0.0.1", forwarded({R"(for="198.51.100.7:4711")"})) == "198.51.100.7");
    // Rightmost untrusted, over elements and lines.
    CHECK(client(r, "10.0.0.1",
                 forwarded({"for=1.2.3.4, for=198.51.100.7;proto=https", "for=10.0.0.2"})) ==
          "198.51.100.7");
    // A comma inside a quoted string does not split the element.
    CHECK(client(r, "10.0.0.1", forwarded({R"(for=198.51.100.9;ext="a,b", for=10.0.0.2)"})) ==
          "198.51.100.9");
    // X-Forwarded-For is not read when Forwarded is configured.
    CHECK(client(r, "10.0.0.1", xff({"198.51.100.7"})) == "10.0.0.1");
}

TEST_CASE("Forwarded: unknown, obfuscated and malformed elements stop the walk",
          "[client_address]") {
    const auto r = proxies(forwarded_header::forwarded);
    const std::vector<std::string_view> unreadable{
        "for=unknown",
        R"(for="unknown")",
        "for=_hidden",
        R"(for="_SEVKISEK")",
        "proto=https",                  // no for=
        "for=198.51.100.7;for=1.2.3.4", // for= twice
        "for =198.51.100.7",            // space before '='
        "for=",                         // empty value
        R"(for="198.51.\100.7")",       // quoted-pair in the node
        "for=198.51.100.7 proto=https", // missing ';'
        R"(for=198.51.100.7;x="a"b)",   // junk after a quoted string
        "for=198.51.100.7/24",          // not a value character
        R"(for="[2001:db8::1]:99999")", // bad port
    };
    for (const auto element : unreadable) {
        INFO(element);
        CHECK(client(r, "10.0.0.1",
                     forwarded({std::string{"for=203.0.113.9, "} + std::string{element}})) ==
              "10.0.0.1");
        CHECK(client(r, "10.0.0.1",
                     forwarded({std::string{"for=203.0.113.9, "} + std::string{element} +
                                ", for=10.0.0.2"})) == "10.0.0.2");
    }
}

TEST_CASE("Forwarded: an open quote cannot hide a proxy's element", "[client_address]") {
    const auto r = proxies(forwarded_header::forwarded);
    // One line: the open quote swallows the rest of it, which becomes one unreadable element;
    // the client does not get to choose an address, the answer degrades to the peer.
    CHECK(client(r, "10.0.0.1", forwarded({R"(for="1.2.3.4, for=198.51.100.7)"})) == "10.0.0.1");
    CHECK(client(r, "10.0.0.1", forwarded({R"(for=1.2.3.4;x=", for="198.51.100.7")"})) ==
          "10.0.0.1");
    // A proxy that adds its own line is unaffected by the client's open quote.
    CHECK(client(r, "10.0.0.1", forwarded({R"(for="1.2.3.4)", "for=198.51.100.7"})) ==
          "198.51.100.7");
}

TEST_CASE("max_hops bounds the hops examined", "[client_address]") {
    const std::string chain = "203.0.113.9, 10.0.0.6, 10.0.0.5, 10.0.0.4, 10.0.0.3, 10.0.0.2";
    CHECK(client(proxies(), "10.0.0.1", xff({chain})) == "203.0.113.9");
    // Three hops examined from the right, all trusted: the leftmost of them is the client.
    CHECK(client(proxies(forwarded_header::x_forwarded_for, 3), "10.0.0.1", xff({chain})) ==
          "10.0.0.4");
    CHECK(client(proxies(forwarded_header::x_forwarded_for, 1), "10.0.0.1", xff({chain})) ==
          "10.0.0.2");
    // The bound counts hops across lines.
    CHECK(client(proxies(forwarded_header::x_forwarded_for, 3), "10.0.0.1",
                 xff({"203.0.113.9, 10.0.0.4", "10.0.0.3", "10.0.0.2"})) == "10.0.0.4");
    // An untrusted hop within the bound is found as usual.
    CHECK(client(proxies(forwarded_header::x_forwarded_for, 3), "10.0.0.1",
                 xff({"1.1.1.1, 10.0.0.9, 10.0.0.8, 203.0.113.9, 10.0.0.2"})) == "203.0.113.9");

    const std::string elements = "for=203.0.113.9, for=10.0.0.6, for=10.0.0.5, for=10.0.0.4, "
                                 "for=10.0.0.3, for=10.0.0.2";
    CHECK(client(proxies(forwarded_header::forwarded), "10.0.0.1", forwarded({elements})) ==
          "203.0.113.9");
    CHECK(client(proxies(forwarded_header::forwarded, 3), "10.0.0.1", forwarded({elements})) ==
          "10.0.0.4");
    CHECK(client(proxies(forwarded_header::forwarded, 3), "10.0.0.1",
                 forwarded({"for=203.0.113.9, for=10.0.0.5, for=10.0.0.4", "for=10.0.0.3",
                            "for=10.0.0.2"})) == "10.0.0.4");
    CHECK(client(proxies(forwarded_header::forwarded, 64), "10.0.0.1", forwarded({elements})) ==
          "203.0.113.9");

    // A long list of trusted hops is cut at the bound.
    std::string many = "203.0.113.9";
    for (int i = 0; i < 1000; ++i) {
        many += ", 10.0.0.2";
    }
    CHECK(client(proxies(), "10.0.0.1", xff({many})) == "10.0.0.2");
}

TEST_CASE("an IPv4-mapped peer matches IPv4 networks", "[client_address]") {
    const auto r = proxies();
    CHECK(r.trusts(net::make_address("::ffff:10.1.2.3")));
    CHECK_FALSE(r.trusts(net::make_address("::ffff:11.1.2.3")));
    CHECK(client(r, "::ffff:10.0.0.1", xff({"198.51.100.7"})) == "198.51.100.7");
    // The peer, when it is the answer, is returned as it came.
    CHECK(client(r, "::ffff:203.0.113.9", xff({"198.51.100.7"})) == "::ffff:203.0.113.9");
    // IPv4-compatible (::a.b.c.d) and NAT64 addresses are IPv6, not IPv4.
    CHECK_FALSE(r.trusts(net::make_address("::10.1.2.3")));
    CHECK_FALSE(r.trusts(net::make_address("64:ff9b::10.1.2.3")));

    // And a network written in mapped form matches plain IPv4.
    const client_address_resolver mapped{{.trusted_proxies = {"::ffff:10.0.0.0/104"}}};
    CHECK(mapped.trusts(net::make_address("10.9.8.7")));
    CHECK(mapped.trusts(net::make_address("::ffff:10.9.8.7")));
    CHECK_FALSE(mapped.trusts(net::make_address("11.9.8.7")));
}

TEST_CASE("ip_network parsing accepts CIDR and bare addresses, strictly", "[client_address]") {
    const std::vector<std::pair<std::string_view, std::string_view>> accepted{
        {"10.0.0.0/8", "10.0.0.0/8"},
        {"172.16.0.0/12", "172.16.0.0/12"},
        {"192.0.2.7", "192.0.2.7/32"},
        {"192.0.2.7/32", "192.0.2.7/32"},
        {"0.0.0.0/0", "0.0.0.0/0"},
        {"2001:db8::/32", "2001:db8::/32"},
        {"2001:DB8::/32", "2001:db8::/32"},
        {"2001:db8::1", "2001:db8::1/128"},
        {"::/0", "::/0"},
        {"::1/128", "::1/128"},
        {"fc00::/7", "fc00::/7"},
        {"::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"},
        {"2a06:98c0::/29", "2a06:98c0::/29"},
    };
    for (const auto& [text, expected] : accepted) {
        INFO(text);
        CHECK(network(text) == expected);
    }
    const std::vector<std::pair<std::string_view, std::string_view>> rejected{
        {"10.0.0.1/8", "address bits beyond the prefix length must be zero"},
        {"2001:db8::1/32", "address bits beyond the prefix length must be zero"},
        {"fd00::/7", "address bits beyond the prefix length must be zero"},
        {"10.0.0.0/33", "an IPv4 prefix length must be at most 32"},
        {"2001:db8::/129", "an IPv6 prefix length must be at most 128"},
        {"10.0.0.0/", "the prefix length must be a decimal number"},
        {"10.0.0.0/08", "the prefix length must be a decimal number"},
        {"10.0.0.0/+8", "the prefix length must be a decimal number"},
        {"10.0.0.0/8/8", "the prefix length must be a decimal number"},
        {"10.0.0.0/1000", "the prefix length must be a decimal number"},
        {"10.0.0.0 /8", "must be an IPv4 or IPv6 network"},
        {" 10.0.0.0/8", "must be an IPv4 or IPv6 network"},
        {"10.0.0/8", "must be an IPv4 or IPv6 network"},
        {"010.0.0.0/8", "must be an IPv4 or IPv6 network"},
        {"10.0.0.0.0/8", "must be an IPv4 or IPv6 network"},
        {"", "must be an IPv4 or IPv6 network"},
        {"/8", "must be an IPv4 or IPv6 network"},
        {"localhost", "must be an IPv4 or IPv6 network"},
        {"[2001:db8::]/32", "without brackets or zone id"},
        {"fe80::%eth0/10", "without brackets or zone id"},
    };
    for (const auto& [text, reason] : rejected) {
        INFO(text);
        CHECK_THAT(network(text),
                   Catch::StartsWith("<rejected: ") && Catch::Contains(std::string{reason}));
        CHECK_FALSE(ip_network::parse(text));
    }
}

TEST_CASE("ip_network::contains compares the prefix bits only", "[client_address]") {
    const auto slash12 = *ip_network::parse("172.16.0.0/12");
    CHECK(slash12.is_v4());
    CHECK(slash12.prefix() == 12);
    CHECK(slash12.address() == net::make_address("172.16.0.0"));
    CHECK(slash12.contains(net::make_address("172.16.0.0")));
    CHECK(slash12.contains(net::make_address("172.31.255.255")));
    CHECK_FALSE(slash12.contains(net::make_address("172.32.0.0")));
    CHECK_FALSE(slash12.contains(net::make_address("172.15.255.255")));
    CHECK_FALSE(slash12.contains(net::make_address("2001:db8::1")));

    const auto host = *ip_network::parse("192.0.2.7");
    CHECK(host.contains(net::make_address("192.0.2.7")));
    CHECK_FALSE(host.contains(net::make_address("192.0.2.6")));

    const auto everything_v4 = *ip_network::parse("0.0.0.0/0");
    CHECK(everything_v4.contains(net::make_address("203.0.113.9")));
    CHECK_FALSE(everything_v4.contains(net::make_address("2001:db8::1")));

    const auto v6 = *ip_network::parse("2a06:98c0::/29");
    CHECK_FALSE(v6.is_v4());
    CHECK(v6.prefix() == 29);
    CHECK(v6.contains(net::make_address("2a06:98c7:ffff::1")));
    CHECK_FALSE(v6.contains(net::make_address("2a06:98c8::1")));
    CHECK_FALSE(v6.contains(net::make_address("10.0.0.1")));
    // A scope id does not change which network an address is in.
    CHECK(ip_network::parse("fe80::/10")->contains(net::make_address("fe80::1%1")));

    CHECK(*ip_network::parse("10.0.0.0/8") == *ip_network::parse("10.0.0.0/8"));
    CHECK_FALSE(*ip_network::parse("10.0.0.0/8") == *ip_network::parse("10.0.0.0/9"));
}

TEST_CASE("an invalid config names the field and its index", "[client_address]") {
    bulwark::config_issue issue;
    const client_address_config bad{.trusted_proxies = {"10.0.0.0/8", "::1", "10.0.0.1/8"}};
    CHECK(client_address_resolver::validate(bad, &issue) == bulwark::error::invalid_config);
    CHECK(issue.field == "client_address_config.trusted_proxies[2]");
    CHECK(issue.reason.starts_with("address bits beyond the prefix length must be zero"));
    CHECK_THROWS_WITH(client_address_resolver{bad},
                      Catch::StartsWith("client_address_config.trusted_proxies[2]: address bits"));
    try {
        const client_address_resolver r{bad};
        FAIL("no exception");
    } catch (const std::system_error& e) {
        CHECK(e.code() == bulwark::error::invalid_config);
    }

    // Past the indices validate() can name statically, the constructor still names the index.
    client_address_config long_list;
    long_list.trusted_proxies.assign(300, "192.0.2.1");
    long_list.trusted_proxies.push_back("192.0.2.300");
    CHECK(client_address_resolver::validate(long_list, &issue) == bulwark::error::invalid_config);
    CHECK(issue.field == "client_address_config.trusted_proxies");
    CHECK_THROWS_WITH(client_address_resolver{long_list},
                      Catch::StartsWith("client_address_config.trusted_proxies[300]: "));
    long_list.trusted_proxies[255] = "x";
    CHECK(client_address_resolver::validate(long_list, &issue) == bulwark::error::invalid_config);
    CHECK(issue.field == "client_address_config.trusted_proxies[255]");

    for (const std::size_t hops : {std::size_t{0}, std::size_t{65}}) {
        INFO(hops);
        const client_address_config c{.trusted_proxies = {"10.0.0.0/8"}, .max_hops = hops};
        CHECK(client_address_resolver::validate(c, &issue) == bulwark::error::invalid_config);
        CHECK(issue.field == "client_address_config.max_hops");
        CHECK_THROWS_WITH(client_address_resolver{c}, Catch::Contains("max_hops"));
    }
    CHECK(client_address_resolver::validate({.max_hops = 64}) == std::error_code{});
    CHECK(client_address_resolver::validate({.max_hops = 1}) == std::error_code{});
    CHECK(client_address_resolver::validate({.header = static_cast<forwarded_header>(7)}, &issue) ==
          bulwark::error::invalid_config);
    CHECK(issue.field == "client_address_config.header");

    // A valid config leaves the issue untouched.
    issue = {"untouched", "untouched"};
    CHECK(client_address_resolver::validate({}, &issue) == std::error_code{});
    CHECK(issue.field == "untouched");
}

TEST_CASE("private_networks covers RFC 1918, loopback and unique local", "[client_address]") {
    const auto list = client_address_resolver::private_networks();
    CHECK(client_address_resolver::validate({.trusted_proxies = list}) == std::error_code{});
    const client_address_resolver r{{.trusted_proxies = list}};
    for (const auto* inside : {"10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1",
                               "127.0.0.1", "::1", "fd12:3456::1", "fc00::1", "::ffff:10.0.0.1"}) {
        INFO(inside);
        CHECK(r.trusts(net::make_address(inside)));
    }
    for (const auto* outside : {"172.32.0.1", "192.169.0.1", "100.64.0.1", "169.254.1.1",
                                "203.0.113.9", "fe80::1", "2001:db8::1", "::"}) {
        INFO(outside);
        CHECK_FALSE(r.trusts(net::make_address(outside)));
    }
}

TEST_CASE("documented deployments", "[client_address]") {
    SECTION("one reverse proxy on the same host") {
        //! [one_proxy]
        // nginx on the same host: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        const bulwark::http::client_address_resolver resolver{
            {.trusted_proxies = {"127.0.0.1", "::1"}}};

        request_header h;
        h.set("X-Forwarded-For", "6.6.6.6, 198.51.100.7"); // "6.6.6.6" was sent by the client
        const auto client = resolver.resolve(net::make_address("127.0.0.1"), h);
        assert(client == net::make_address("198.51.100.7"));
        //! [one_proxy]
        CHECK(client == net::make_address("198.51.100.7"));
        // The same request sent directly, not through nginx:
        CHECK(resolver.resolve(net::make_address("6.6.6.7"), h) == net::make_address("6.6.6.7"));
    }
    SECTION("a Kubernetes ingress controller") {
        //! [kubernetes]
        // The ingress controller's pods are somewhere in the cluster's private pod network.
        const bulwark::http::client_address_resolver resolver{
            {.trusted_proxies = bulwark::http::client_address_resolver::private_networks()}};
        //! [kubernetes]
        request_header h;
        h.set("X-Forwarded-For", "198.51.100.7");
        CHECK(resolver.resolve(net::make_address("10.244.1.17"), h) ==
              net::make_address("198.51.100.7"));
    }
    SECTION("Cloudflare in front, then a load balancer in the VPC") {
        //! [cdn]
        // https://www.cloudflare.com/ips-v4 and /ips-v6 (fetch them at deploy time: they change)
        const bulwark::http::client_address_config config{
            .trusted_proxies = {
                // Cloudflare, IPv4
                "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",
                "141.101.64.0/18", "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20",
                "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
                "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
                // Cloudflare, IPv6
                "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32",
                "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32",
                // the load balancer between Cloudflare and this server
                "10.20.0.0/16"}};
        const bulwark::http::client_address_resolver resolver{config};
        //! [cdn]
        request_header h;
        // client → Cloudflare (appends the client) → load balancer (appends Cloudflare's edge)
        h.set("X-Forwarded-For", "6.6.6.6, 198.51.100.7, 162.158.1.2");
        CHECK(resolver.resolve(net::make_address("10.20.3.4"), h) ==
              net::make_address("198.51.100.7"));
        // A client reaching the load balancer directly gets its own address, not the one it wrote.
        h.set("X-Forwarded-For", "6.6.6.6, 203.0.113.9");
        CHECK(resolver.resolve(net::make_address("10.20.3.4"), h) ==
              net::make_address("203.0.113.9"));
    }
}
