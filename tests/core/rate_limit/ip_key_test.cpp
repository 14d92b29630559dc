#include <bulwark/core/rate_limit/ip_key.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

using bulwark::ip_key;
using bulwark::ip_key_config;

namespace {

// to_string() of the parsed key, or "<rejected>", so a failing CHECK shows what went wrong.
std::string keyed(std::string_view text, const ip_key_config& config = {}) {
    const auto key = ip_key::parse(text, config);
    return key ? key->to_string() : "<rejected>";
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values) {
        out.push_back(static_cast<char>(v));
    }
    return out;
}

constexpr ip_key_config v4_24{.ipv4_prefix = 24};
constexpr ip_key_config v4_0{.ipv4_prefix = 0};
constexpr ip_key_config v6_128{.ipv6_prefix = 128};
constexpr ip_key_config v6_0{.ipv6_prefix = 0};

} // namespace

TEST_CASE("ip_key is a small trivially copyable value", "[ip_key]") {
    STATIC_REQUIRE(std::is_trivially_copyable_v<ip_key>);
    STATIC_REQUIRE(sizeof(ip_key) == 19);
    const ip_key empty{};
    CHECK(empty.view().empty());
    CHECK_FALSE(empty.is_v4());
    CHECK(empty.to_string().empty());
    CHECK(empty != ip_key::from_v4({0, 0, 0, 0}, v4_0));
}

TEST_CASE("IPv4 parses and is kept whole under the default /32", "[ip_key]") {
    const auto key = ip_key::parse("203.0.113.7");
    REQUIRE(key);
    CHECK(key->is_v4());
    CHECK(key->prefix() == 32);
    CHECK(key->to_string() == "203.0.113.7/32");
    CHECK(*key == ip_key::from_v4({203, 0, 113, 7}));
    CHECK(*key != *ip_key::parse("203.0.113.8"));
    CHECK(keyed("0.0.0.0") == "0.0.0.0/32");
    CHECK(keyed("255.255.255.255") == "255.255.255.255/32");
    CHECK(keyed("10.0.0.10") == "10.0.0.10/32");
}

TEST_CASE("IPv4 is masked to the configured prefix", "[ip_key]") {
    SECTION("/24 groups one subnet") {
        const auto a = ip_key::parse("203.0.113.7", v4_24);
        const auto b = ip_key::parse("203.0.113.200", v4_24);
        const auto c = ip_key::parse("203.0.114.7", v4_24);
        REQUIRE(a);
        REQUIRE(b);
        REQUIRE(c);
        CHECK(*a == *b);
        CHECK(*a != *c);
        CHECK(a->prefix() == 24);
        CHECK(a->to_string() == "203.0.113.0/24");
    }
    SECTION("a prefix that is not a whole byte masks inside the byte") {
        const ip_key_config v4_20{.ipv4_prefix = 20};
        CHECK(keyed("203.0.127.255", v4_20) == "203.0.112.0/20");
        CHECK(ip_key::from_v4({203, 0, 127, 255}, v4_20).view() == bytes({'4', 20, 203, 0, 0x70}));
        CHECK(*ip_key::parse("203.0.112.1", v4_20) == *ip_key::parse("203.0.127.9", v4_20));
        CHECK(*ip_key::parse("203.0.112.1", v4_20) != *ip_key::parse("203.0.128.1", v4_20));
    }
    SECTION("/0 puts every IPv4 client in one key") {
        const auto a = ip_key::parse("1.2.3.4", v4_0);
        const auto b = ip_key::parse("254.253.252.251", v4_0);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(*a == *b);
        CHECK(a->view() == bytes({'4', 0}));
        CHECK(a->to_string() == "0.0.0.0/0");
    }
    SECTION("a prefix above 32 is clamped to 32") {
        const auto key = ip_key::parse("203.0.113.7", {.ipv4_prefix = 99});
        REQUIRE(key);
        CHECK(key->prefix() == 32);
        CHECK(*key == ip_key::from_v4({203, 0, 113, 7}));
    }
}

TEST_CASE("IPv4 octets with leading zeros are rejected", "[ip_key]") {
    CHECK_FALSE(ip_key::parse("010.1.1.1"));
    CHECK_FALSE(ip_key::parse("1.1.1.01"));
    CHECK_FALSE(ip_key::parse("1.00.1.1"));
    CHECK_FALSE(ip_key::parse("1.1.1.000"));
    CHECK_FALSE(ip_key::parse("0001.1.1.1"));
    CHECK(keyed("0.10.100.0") == "0.10.100.0/32"); // a lone 0 and inner zeros are fine
}

TEST_CASE("malformed IPv4 text is rejected", "[ip_key]") {
    for (const std::string_view text : {
             "",          "1.2.3",        "1.2.3.4.5",      "256.1.1.1", "1.2.3.999", "1.2.3.1234",
             "1..2.3",    ".1.2.3.4",     "1.2.3.4.",       "+1.2.3.4",  "-1.2.3.4",  " 1.2.3.4",
             "1.2.3.4 ",  "1.2.3.4\n",    "1.2.3.4x",       "0x1.2.3.4", "1.2.3.a",
             "16909060", // inet_aton would read this as 1.2.3.4
             "[1.2.3.4]", "1.2.3.4%eth0", "[1.2.3.4%eth0]",
         }) {
        INFO("text: \"" << text << '"');
        CHECK_FALSE(ip_key::parse(text));
    }
    CHECK_FALSE(ip_key::parse(std::string_view{"1.2.3.4\0", 8})); // embedded NUL
}

TEST_CASE("IPv6 full and compressed forms parse to the same address", "[ip_key]") {
    const auto full = ip_key::parse("2001:0db8:0000:0000:0000:0000:0000:0001", v6_128);
    REQUIRE(full);
    CHECK_FALSE(full->is_v4());
    CHECK(full->prefix() == 128);
    CHECK(full->to_string() == "2001:db8::1/128");
    CHECK(*ip_key::parse("2001:db8:0:0:0:0:0:1", v6_128) == *full);
    CHECK(*ip_key::parse("2001:db8::1", v6_128) == *full);
    CHECK(*ip_key::parse("2001:db8::0:1", v6_128) == *full);
    CHECK(*ip_key::parse("2001:DB8::1", v6_128) == *full);

    // "::" at the start, in the middle, at the end, and alone.
    CHECK(keyed("::1", v6_128) == "::1/128");
    CHECK(keyed("::", v6_128) == "::/128");
    CHECK(keyed("::2:3:4:5:6:7:8", v6_128) == "0:2:3:4:5:6:7:8/128");
    CHECK(keyed("1:2:3::6:7:8", v6_128) == "1:2:3::6:7:8/128");
    CHECK(keyed("1:2:3:4:5:6:7::", v6_128) == "1:2:3:4:5:6:7:0/128");
    CHECK(keyed("fe80::", v6_128) == "fe80::/128");
    CHECK(keyed("1:2:3:4:5:6:7:8", v6_128) == "1:2:3:4:5:6:7:8/128");
}

TEST_CASE("IPv6 hex digits are accepted in either case", "[ip_key]") {
    CHECK(keyed("ABCD:EF01:2345:6789:abcd:ef01:2345:6789", v6_128) ==
          "abcd:ef01:2345:6789:abcd:ef01:2345:6789/128");
    CHECK(*ip_key::parse("FE80::A", v6_128) == *ip_key::parse("fe80::a", v6_128));
    CHECK(*ip_key::parse("Fe80::aB", v6_128) == *ip_key::parse("fe80::ab", v6_128));
}

TEST_CASE("IPv6 with a trailing dotted IPv4 takes two groups", "[ip_key]") {
    CHECK(keyed("64:ff9b::192.0.2.33", v6_128) == "64:ff9b::c000:221/128");
    CHECK(keyed("1:2:3:4:5:6:1.2.3.4", v6_128) == "1:2:3:4:5:6:102:304/128");
    CHECK(keyed("::1.2.3.4", v6_128) == "::102:304/128"); // IPv4-compatible stays IPv6
    CHECK_FALSE(ip_key::parse("::1.2.3.4", v6_128)->is_v4());
    CHECK(keyed("1:2:3:4:5:6:7:1.2.3.4") == "<rejected>"); // nine groups
    CHECK(keyed("1.2.3.4::") == "<rejected>");             // IPv4 only at the end
    CHECK(keyed("::1.2.3.4:5") == "<rejected>");
    CHECK(keyed("::01.2.3.4") == "<rejected>"); // the embedded IPv4 is strict too
    CHECK(keyed("::256.2.3.4") == "<rejected>");
}

TEST_CASE("IPv6 zones are stripped and brackets removed", "[ip_key]") {
    const auto plain = ip_key::parse("fe80::1", v6_128);
    REQUIRE(plain);
    for (const std::string_view text : {"fe80::1%eth0", "fe80::1%1", "fe80::1%en0.100", "[fe80::1]",
                                        "[fe80::1%eth0]", "[FE80::1]"}) {
        INFO("text: " << text);
        const auto key = ip_key::parse(text, v6_128);
        REQUIRE(key);
        CHECK(*key == *plain);
    }
    CHECK(keyed("[2001:db8::1]") == "2001:db8::/64");
    CHECK(keyed("[::ffff:192.0.2.1]") == "192.0.2.1/32");
}

TEST_CASE("malformed IPv6 text is rejected", "[ip_key]") {
    for (const std::string_view text : {
             ":::",
             "1::2::3",
             "::1::",
             "12345::",
             "::12345",
             "1:2:3:4:5:6:7:8:9",
             "1:2:3:4:5:6:7",
             "1:2:3:4:5:6:7:8::",
             "::1:2:3:4:5:6:7:8",
             "1:2:3:4::5:6:7:8",
             "::1.2.3",
             "::1.2.3.4.5",
             ":",
             ":1::",
             "1::2:",
             ":1:2:3:4:5:6:7:8",
             "1:2:3:4:5:6:7:8:",
             "1:2:3:4:5:6:7:",
             "g::1",
             "1:2:3:4:5:6:7:-8",
             " ::1",
             "::1 ",
             "::1x",
             "2001:db8::1/64",
             "[::1",
             "::1]",
             "[[::1]]",
             "[]",
             "[",
             "[::1]:443",
             "[::1]%eth0",
             "fe80::1%",
             "[fe80::1%]",
             "fe80::1%eth 0",
             "fe80::1%eth0%1",
             "%eth0",
         }) {
        INFO("text: \"" << text << '"');
        CHECK_FALSE(ip_key::parse(text));
    }
}

TEST_CASE("IPv6 is grouped by /64 by default", "[ip_key]") {
    const auto a = ip_key::parse("2001:db8:1:2:aaaa::1");
    const auto b = ip_key::parse("2001:db8:1:2:bbbb::2");
    const auto c = ip_key::parse("2001:db8:1:3:aaaa::1");
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(c);
    CHECK(a->prefix() == 64);
    CHECK(*a == *b);
    CHECK(*a != *c);
    CHECK(a->to_string() == "2001:db8:1:2::/64");
    CHECK(c->to_string() == "2001:db8:1:3::/64");
    CHECK(*ip_key::parse("2001:db8:0:1:ffff:ffff:ffff:ffff") == *ip_key::parse("2001:db8:0:1::"));
    CHECK(*ip_key::parse("2001:db8:0:1::") != *ip_key::parse("2001:db8:0:2::"));
    CHECK(*ip_key::parse("2001:db8:0:1::") != *ip_key::parse("2001:db9:0:1::"));
}

TEST_CASE("IPv6 at /128, /0, an odd prefix and a clamped prefix", "[ip_key]") {
    SECTION("/128 keeps every address apart") {
        const auto a = ip_key::parse("2001:db8:1:2:aaaa::1", v6_128);
        const auto b = ip_key::parse("2001:db8:1:2:aaaa::2", v6_128);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(*a != *b);
        CHECK(a->view().size() == 18);
        CHECK(a->to_string() == "2001:db8:1:2:aaaa::1/128");
    }
    SECTION("/0 puts every IPv6 client in one key") {
        const auto a = ip_key::parse("2001:db8::1", v6_0);
        const auto b = ip_key::parse("fe80::abcd", v6_0);
        REQUIRE(a);
        REQUIRE(b);
        CHECK(*a == *b);
        CHECK(a->view() == bytes({'6', 0}));
        CHECK(a->to_string() == "::/0");
    }
    SECTION("a prefix that is not a whole byte masks inside the byte") {
        const ip_key_config v6_61{.ipv6_prefix = 61};
        CHECK(keyed("2001:db8:1:7:ffff::", v6_61) == "2001:db8:1::/61");
        CHECK(keyed("2001:db8:1:f:ffff::", v6_61) == "2001:db8:1:8::/61");
        CHECK(ip_key::parse("2001:db8:1:f::", v6_61)->view().size() == 2 + 8);
    }
    SECTION("a prefix above 128 is clamped to 128") {
        const auto key = ip_key::parse("2001:db8::1", {.ipv6_prefix = 1000});
        REQUIRE(key);
        CHECK(key->prefix() == 128);
        CHECK(*key == *ip_key::parse("2001:db8::1", v6_128));
    }
}

TEST_CASE("IPv4-mapped IPv6 is keyed as the IPv4 address it carries", "[ip_key]") {
    const auto v4 = ip_key::parse("192.0.2.1");
    REQUIRE(v4);
    for (const std::string_view text :
         {"::ffff:192.0.2.1", "::FFFF:192.0.2.1", "::ffff:c000:201", "0:0:0:0:0:ffff:c000:0201",
          "[::ffff:192.0.2.1]", "::ffff:192.0.2.1%eth0"}) {
        INFO("text: " << text);
        const auto mapped = ip_key::parse(text);
        REQUIRE(mapped);
        CHECK(mapped->is_v4());
        CHECK(*mapped == *v4);
    }
    const std::array<std::uint8_t, 16> mapped_bytes{0, 0, 0,    0,    0,   0, 0, 0,
                                                    0, 0, 0xFF, 0xFF, 192, 0, 2, 1};
    CHECK(ip_key::from_v6(mapped_bytes) == *v4);
    CHECK(ip_key::from_v6(mapped_bytes).to_string() == "192.0.2.1/32");

    // The IPv4 prefix applies, not the IPv6 one.
    CHECK(ip_key::from_v6(mapped_bytes, v4_24) == ip_key::from_v4({192, 0, 2, 99}, v4_24));
    CHECK(keyed("::ffff:192.0.2.1", v4_24) == "192.0.2.0/24");

    // Near misses of the mapped prefix stay IPv6.
    CHECK_FALSE(ip_key::parse("::fffe:192.0.2.1")->is_v4());
    CHECK_FALSE(ip_key::parse("1::ffff:192.0.2.1")->is_v4());
    CHECK_FALSE(ip_key::parse("::1:ffff:192.0.2.1")->is_v4());
}

TEST_CASE("view() lays out tag, prefix and truncated masked address", "[ip_key]") {
    const auto v4 = ip_key::parse("203.0.113.7", v4_24);
    REQUIRE(v4);
    CHECK(v4->view() == bytes({'4', 24, 203, 0, 113}));
    CHECK(ip_key::from_v4({203, 0, 113, 7}).view() == bytes({'4', 32, 203, 0, 113, 7}));

    const auto v6 = ip_key::parse("2001:db8:1:2:aaaa::1");
    REQUIRE(v6);
    CHECK(v6->view() == bytes({'6', 64, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02}));

    const std::array<std::uint8_t, 16> raw{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2,
                                           0xaa, 0xaa, 0,    0,    0, 0, 0, 1};
    CHECK(ip_key::from_v6(raw) == *v6);
    CHECK(ip_key::from_v6(raw, v6_128).view() ==
          bytes({'6', 128, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0xaa, 0xaa, 0, 0, 0, 0, 0, 1}));
}

TEST_CASE("IPv4 and IPv6 keys never collide", "[ip_key]") {
    // Same address bytes and prefix length, different family.
    const auto v4 = ip_key::from_v4({1, 2, 3, 4});
    const std::array<std::uint8_t, 16> v6_bytes{1, 2, 3, 4};
    const auto v6 = ip_key::from_v6(v6_bytes, {.ipv6_prefix = 32});
    CHECK(v4.view().substr(1) == v6.view().substr(1));
    CHECK(v4 != v6);
    CHECK(v4.view() != v6.view());
    CHECK(v4.view()[0] == '4');
    CHECK(v6.view()[0] == '6');

    // Everything collapses within a family at /0, but never across families.
    CHECK(ip_key::from_v4({1, 2, 3, 4}, v4_0) != ip_key::from_v6(v6_bytes, v6_0));
    CHECK(ip_key::from_v4({0, 0, 0, 0}, v4_0).view() != ip_key::from_v6({}, v6_0).view());
}

TEST_CASE("IPv6 to_string follows RFC 5952", "[ip_key]") {
    CHECK(keyed("2001:db8::1", v6_128) == "2001:db8::1/128");
    CHECK(keyed("::", v6_128) == "::/128");
    CHECK(keyed("::1", v6_128) == "::1/128");
    CHECK(keyed("2001:db8:0:1::") == "2001:db8:0:1::/64");
    CHECK(keyed("2001:0DB8:0000:0001:0000:0000:0000:0000") == "2001:db8:0:1::/64");
    // A single zero group is not compressed.
    CHECK(keyed("2001:db8:0:1:1:1:1:1", v6_128) == "2001:db8:0:1:1:1:1:1/128");
    CHECK(keyed("2001:db8::1:1:1:1:1", v6_128) == "2001:db8:0:1:1:1:1:1/128");
    // The longest run wins, the first one on ties.
    CHECK(keyed("2001:0:0:1:0:0:0:1", v6_128) == "2001:0:0:1::1/128");
    CHECK(keyed("2001:db8:0:0:1:0:0:1", v6_128) == "2001:db8::1:0:0:1/128");
    CHECK(keyed("1:0:0:2:3:0:0:4", v6_128) == "1::2:3:0:0:4/128");
    // Leading zeros go, lower case, and zero runs at either end.
    CHECK(keyed("0ABC:00d0:000f:0:0:0:0:0", v6_128) == "abc:d0:f::/128");
    CHECK(keyed("0:0:0:0:0:0:0:1:", v6_128) == "<rejected>");
    CHECK(keyed("0:0:1:0:0:0:0:0", v6_128) == "0:0:1::/128");
    CHECK(keyed("0:0:0:1:0:0:0:0", v6_128) == "0:0:0:1::/128");
    CHECK(keyed("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", v6_128) ==
          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
    CHECK(keyed("fe80::1ff:fe23:4567:890a", {.ipv6_prefix = 10}) == "fe80::/10");
}

TEST_CASE("validate accepts in-range prefixes and names the bad field", "[ip_key]") {
    bulwark::config_issue issue{"untouched", ""};
    CHECK_FALSE(bulwark::validate(ip_key_config{}, &issue));
    CHECK(issue.field == "untouched");
    CHECK_FALSE(bulwark::validate({.ipv4_prefix = 0, .ipv6_prefix = 0}, &issue));
    CHECK_FALSE(bulwark::validate({.ipv4_prefix = 32, .ipv6_prefix = 128}, &issue));
    CHECK(issue.field == "untouched");
    CHECK_FALSE(bulwark::validate({.ipv4_prefix = 32, .ipv6_prefix = 128}));

    CHECK(bulwark::validate({.ipv4_prefix = 33}, &issue) == bulwark::error::invalid_config);
    CHECK(issue.field == "ip_key_config.ipv4_prefix");
    CHECK(bulwark::validate({.ipv6_prefix = 129}, &issue) == bulwark::error::invalid_config);
    CHECK(issue.field == "ip_key_config.ipv6_prefix");
    CHECK(bulwark::validate({.ipv4_prefix = 33, .ipv6_prefix = 129}, &issue) ==
          bulwark::error::invalid_config);
    CHECK(issue.field == "ip_key_config.ipv4_prefix"); // the first offending field
    CHECK(bulwark::validate({.ipv6_prefix = 4'000'000'000u}) == bulwark::error::invalid_config);
}
