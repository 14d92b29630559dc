#include <bulwark/core/trace/baggage.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using bulwark::baggage;
using bulwark::baggage_limits;
using bulwark::baggage_member;

namespace {

std::vector<baggage_member> members(std::string_view header, baggage_limits limits = {}) {
    return baggage::parse(header, limits).members();
}

// The value of the only member, or "<dropped>".
std::string value_of(std::string_view header) {
    const auto m = members(header);
    return m.size() == 1 ? m[0].value : "<dropped>";
}

// The properties of the only member, or "<dropped>".
std::string properties_of(std::string_view header) {
    const auto m = members(header);
    return m.size() == 1 ? m[0].properties : "<dropped>";
}

// Every byte value, including ',', ';', '=', '%', space, CTLs and non-ASCII bytes.
std::string all_bytes() {
    std::string s;
    for (int b = 0; b < 256; ++b) {
        s.push_back(static_cast<char>(b));
    }
    return s;
}

// The RFC 7230 token characters.
bool is_tchar(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
           std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

} // namespace

TEST_CASE("baggage: usage", "[trace][baggage]") {
    //! [baggage]
    // Incoming: every `baggage` field of the request, in order.
    auto bag = bulwark::baggage::parse({"userId=alice,serverNode=DF%2028", "isProduction=false"});

    const bulwark::baggage_member* node = bag.find("serverNode");
    // node->value == "DF 28" (percent-decoded)

    bag.set("tenant", "acme corp", "ttl=60"); // replaces an existing "tenant", else appends
    bag.erase("isProduction");

    // Outgoing: one `baggage` field (omit it when the string is empty).
    const std::string header = bag.to_header();
    // "userId=alice,serverNode=DF%2028,tenant=acme%20corp;ttl=60"
    //! [baggage]
    REQUIRE(node != nullptr);
    CHECK(node->value == "DF 28");
    CHECK(header == "userId=alice,serverNode=DF%2028,tenant=acme%20corp;ttl=60");
}

TEST_CASE("baggage: the specification's examples", "[trace][baggage]") {
    const auto m = members(
        "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue");
    REQUIRE(m.size() == 3);
    CHECK(m[0] == baggage_member{"key1", "value1", "property1;property2"});
    CHECK(m[1] == baggage_member{"key2", "value2", ""});
    CHECK(m[2] == baggage_member{"key3", "value3", "propertyKey=propertyValue"});

    const auto single = baggage::parse("userId=alice,serverNode=DF%2028,isProduction=false");
    const auto split = baggage::parse({"userId=alice", "serverNode=DF%2028,isProduction=false"});
    const auto spaced =
        baggage::parse({"userId =   alice", "serverNode = DF%2028, isProduction = false"});
    REQUIRE(single.size() == 3);
    CHECK(single.find("serverNode")->value == "DF 28");
    CHECK(split == single);
    CHECK(spaced == single);
}

TEST_CASE("baggage: optional whitespace is trimmed everywhere the grammar allows it",
          "[trace][baggage]") {
    const auto m = members(" \t a \t= \t1 \t; \t p \t= \t v \t; \t q \t, \t b=2\t");
    REQUIRE(m.size() == 2);
    CHECK(m[0] == baggage_member{"a", "1", "p=v;q"});
    CHECK(m[1] == baggage_member{"b", "2", ""});

    // Whitespace inside a key, a value or a property breaks the member.
    CHECK(members("a b=1").empty());
    CHECK(members("a=1 2").empty());
    CHECK(members("a=1;p q").empty());
    CHECK(members("a=1;p=v w").empty());
    // Only SP and HTAB are OWS.
    CHECK(members("a=1\r").empty());
    CHECK(members("\na=1").empty());
}

TEST_CASE("baggage: keys are RFC 7230 tokens", "[trace][baggage]") {
    CHECK(members("!#$%&'*+-.^_`|~09azAZ=v").size() == 1);
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        if (c == ',' || c == '=' || c == ' ' || c == '\t') {
            continue; // separators and OWS have their own tests
        }
        std::string header = "k";
        header.push_back(c);
        header += "=v";
        INFO("byte " << b);
        CHECK(members(header).size() == (is_tchar(c) ? 1u : 0u));
    }
    CHECK(members("=v").empty());
    CHECK(members(" =v").empty());
    CHECK(members("novalue").empty());
    CHECK(members("ké=v").empty());
    // Keys are case-sensitive: no folding.
    const auto m = members("K=1,k=2");
    REQUIRE(m.size() == 2);
    CHECK(m[0].key == "K");
    CHECK(m[1].key == "k");
}

TEST_CASE("baggage: values are baggage-octets", "[trace][baggage]") {
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        if (c == ',' || c == ';' || c == ' ' || c == '\t' || c == '%') {
            continue; // separators, OWS and escapes have their own tests
        }
        const bool octet = b == 0x21 || (b >= 0x23 && b <= 0x2b) || (b >= 0x2d && b <= 0x3a) ||
                           (b >= 0x3c && b <= 0x5b) || (b >= 0x5d && b <= 0x7e);
        std::string header = "k=a";
        header.push_back(c);
        header += "b";
        INFO("byte " << b);
        const auto m = members(header);
        REQUIRE(m.size() == (octet ? 1u : 0u));
        if (octet) {
            CHECK(m[0].value == std::string{"a"} + c + "b");
        }
    }
    // '=' may appear in a value any number of times; only the first one ends the key.
    const auto m = members("k==a==b=");
    REQUIRE(m.size() == 1);
    CHECK(m[0].value == "=a==b=");
    // An empty value is valid.
    CHECK(members("k=") == std::vector<baggage_member>{{"k", "", ""}});
    CHECK(members("k = ;p") == std::vector<baggage_member>{{"k", "", "p"}});
}

TEST_CASE("baggage: values are percent-decoded and bad escapes drop the member",
          "[trace][baggage]") {
    CHECK(value_of("k=DF%2028") == "DF 28");
    CHECK(value_of("k=%c3%A9t%C3%a9") == "\xc3\xa9t\xc3\xa9");
    CHECK(value_of("k=%25%2C%3B%3D") == "%,;=");
    CHECK(value_of("k=%00") == std::string(1, '\0'));
    CHECK(value_of("k=a+b") == "a+b"); // not form encoding: '+' is literal
    // Invalid UTF-8 after decoding is kept as bytes.
    CHECK(value_of("k=%FF%FE%C3") == "\xff\xfe\xc3");

    for (const char* bad : {"k=%", "k=%2", "k=a%", "k=%2g", "k=%g2", "k=%%41", "k=100%"}) {
        INFO(bad);
        CHECK(members(bad).empty());
    }
    // A truncated escape at the end of the view is invalid even when the bytes after the view
    // would complete it (the parser must not read past its input).
    constexpr std::string_view buffer = "k=%2F";
    CHECK(members(buffer.substr(0, 4)).empty());
    CHECK(members(buffer.substr(0, 3)).empty());
    CHECK(value_of(buffer) == "/");
}

TEST_CASE("baggage: properties", "[trace][baggage]") {
    CHECK(properties_of("k=v;p") == "p");
    CHECK(properties_of("k=v;p=") == "p=");
    CHECK(properties_of("k=v;p=a=b") == "p=a=b");
    // Property values are opaque: kept as received, not decoded.
    CHECK(properties_of("k=v;p=%41%zz") == "p=%41%zz");
    CHECK(properties_of("k=v ; a ; b = 1 ; c") == "a;b=1;c");

    for (const char* bad : {"k=v;", "k=v; ", "k=v;;p", "k=v;p;", "k=v;=1", "k=v;p q", "k=v;p=\"x\"",
                            "k=v;p=a\\b", "k=v;p\x01", "k=v;p=\xff"}) {
        INFO(bad);
        CHECK(members(bad).empty());
    }
}

TEST_CASE("baggage: invalid members are dropped, valid ones survive", "[trace][baggage]") {
    const auto m = members("a=1,noequals,=x,b c=2,c=has space,d=q\"uote,e=back\\slash,"
                           "f=bad%zz,g=1;,h=\x7f,ok=yes;p=1,z=2");
    REQUIRE(m.size() == 3);
    CHECK(m[0] == baggage_member{"a", "1", ""});
    CHECK(m[1] == baggage_member{"ok", "yes", "p=1"});
    CHECK(m[2] == baggage_member{"z", "2", ""});
}

TEST_CASE("baggage: empty list elements are ignored", "[trace][baggage]") {
    CHECK(members("a=1,,b=2, ,\t,c=3").size() == 3);
    CHECK(members(",a=1,").size() == 1);
    CHECK(members("").empty());
    CHECK(members(" \t ").empty());
    CHECK(members(",,,").empty());
    CHECK(baggage::parse({"", "a=1", ""}).size() == 1);
}

TEST_CASE("baggage: several headers combine as one list", "[trace][baggage]") {
    CHECK(baggage::parse({"a=1", "b=2,c=3"}) == baggage::parse("a=1,b=2,c=3"));
    // A header boundary also ends a member: no member spans two fields.
    CHECK(baggage::parse({"a=1;p", "q=2"}).members() ==
          std::vector<baggage_member>{{"a", "1", "p"}, {"q", "2", ""}});
    const std::vector<std::string_view> fields{"a=1", "b=2"};
    CHECK(baggage::parse(fields).size() == 2);
}

TEST_CASE("baggage: a duplicate key replaces the earlier member in place", "[trace][baggage]") {
    CHECK(members("k=1;p,x=2,k=3") == std::vector<baggage_member>{{"k", "3", ""}, {"x", "2", ""}});
    CHECK(baggage::parse({"k=1,x=2", "k=3;q"}).members() ==
          std::vector<baggage_member>{{"k", "3", "q"}, {"x", "2", ""}});
    // An invalid later duplicate does not touch the earlier member.
    CHECK(members("k=1,k=%zz") == std::vector<baggage_member>{{"k", "1", ""}});
}

TEST_CASE("baggage: at most max_members members are kept", "[trace][baggage]") {
    CHECK(baggage_limits{}.max_members == 64);
    CHECK(baggage_limits{}.max_bytes == 8192);

    std::string header;
    for (int i = 0; i < 65; ++i) {
        header += "k" + std::to_string(i) + "=" + std::to_string(i) + ",";
        if (i == 10) {
            header += "bad key=1,"; // invalid members do not count
        }
    }
    header += "k3=replaced"; // a duplicate beyond the limit still replaces in place
    const auto bag = baggage::parse(header);
    REQUIRE(bag.size() == 64);
    CHECK(bag.members().front().key == "k0");
    CHECK(bag.members().back().key == "k63");
    CHECK(bag.find("k64") == nullptr);
    CHECK(bag.find("k3")->value == "replaced");

    CHECK(members("a=1,b=2,c=3", {.max_members = 2}).size() == 2);
    CHECK(members("a=1,b=2", {.max_members = 0}).empty());
}

TEST_CASE("baggage: at most max_bytes of serialized header are kept", "[trace][baggage]") {
    // 8192 bytes exactly: "a=" + 4094 x + "," + "b=" + 4093 y.
    const std::string a = "a=" + std::string(4094, 'x');
    const std::string b = "b=" + std::string(4093, 'y');
    const auto exact = baggage::parse(a + "," + b);
    REQUIRE(exact.size() == 2);
    CHECK(exact.to_header().size() == 8192);

    // One byte more: the second member is dropped whole, never cut; a later one that fits stays.
    const auto over = baggage::parse(a + "," + b + "y,c=1");
    REQUIRE(over.size() == 2);
    CHECK(over.members()[0].key == "a");
    CHECK(over.members()[1] == baggage_member{"c", "1", ""});
    CHECK(over.to_header().size() <= 8192);

    // Bytes are counted as the member will be re-serialized, not as received: "%41" is one
    // byte once decoded, a decoded space takes three.
    CHECK(members("k=%41%41%41", {.max_bytes = 5}).size() == 1);
    CHECK(members("k=%20", {.max_bytes = 4}).empty());
    CHECK(members("k=%20", {.max_bytes = 5}).size() == 1);
    // Properties and the ',' separator count too.
    CHECK(members("k=1;p", {.max_bytes = 4}).empty());
    CHECK(members("k=1;p", {.max_bytes = 5}).size() == 1);
    CHECK(members("a=1,b=2", {.max_bytes = 6}).size() == 1);
    CHECK(members("a=1,b=2", {.max_bytes = 7}).size() == 2);
    CHECK(members("a=1", {.max_bytes = 0}).empty());

    // A replacement that would not fit leaves the earlier value.
    CHECK(members("a=1,a=12345", {.max_bytes = 4}) == std::vector<baggage_member>{{"a", "1", ""}});
}

TEST_CASE("baggage: set, find and erase", "[trace][baggage]") {
    baggage bag;
    CHECK(bag.empty());
    CHECK(bag.find("a") == nullptr);
    CHECK(bag.set("a", "1"));
    CHECK(bag.set("b", "2", " ttl = 5 ; secure "));
    CHECK(bag.set("a", "3")); // replaces in place
    REQUIRE(bag.size() == 2);
    CHECK(bag.members()[0] == baggage_member{"a", "3", ""});
    CHECK(bag.members()[1] == baggage_member{"b", "2", "ttl=5;secure"});

    // Invalid keys and properties are refused without changing anything.
    const baggage before = bag;
    CHECK_FALSE(bag.set("", "v"));
    CHECK_FALSE(bag.set("a b", "v"));
    CHECK_FALSE(bag.set("a=", "v"));
    CHECK_FALSE(bag.set("a", "v", ";"));
    CHECK_FALSE(bag.set("a", "v", " "));
    CHECK_FALSE(bag.set("a", "v", "p q"));
    CHECK_FALSE(bag.set("c", "v", "p=a,b"));
    CHECK(bag == before);

    CHECK(bag.erase("a"));
    CHECK_FALSE(bag.erase("a"));
    CHECK(bag.find("a") == nullptr);
    REQUIRE(bag.find("b") != nullptr);
    CHECK(bag.find("b")->value == "2");
}

TEST_CASE("baggage: to_header percent-encodes values", "[trace][baggage]") {
    baggage bag;
    REQUIRE(bag.set("k", std::string{"a b,c;d=e%f\"g\\h\x01"} + "\xff+~!"));
    CHECK(bag.to_header() == "k=a%20b%2Cc%3Bd%3De%25f%22g%5Ch%01%FF+~!");
    REQUIRE(bag.set("empty", ""));
    REQUIRE(bag.set("p", "v", "x;y=%41"));
    CHECK(bag.to_header() == "k=a%20b%2Cc%3Bd%3De%25f%22g%5Ch%01%FF+~!,empty=,p=v;x;y=%41");
    CHECK(baggage{}.to_header().empty());
}

TEST_CASE("baggage: to_header applies the limits by leaving whole members out",
          "[trace][baggage]") {
    baggage bag;
    for (int i = 0; i < 70; ++i) {
        REQUIRE(bag.set("k" + std::to_string(i), "v"));
    }
    const auto kept = baggage::parse(bag.to_header());
    REQUIRE(kept.size() == 64);
    CHECK(kept.members().back().key == "k63");

    baggage big;
    REQUIRE(big.set("a", "1"));
    REQUIRE(big.set("huge", std::string(9000, 'x')));
    REQUIRE(big.set("b", std::string(100, ' '))); // 300 bytes encoded
    std::string encoded_spaces;
    for (int i = 0; i < 100; ++i) {
        encoded_spaces += "%20";
    }
    CHECK(big.to_header() == "a=1,b=" + encoded_spaces);
    CHECK(big.to_header({.max_members = 1}) == "a=1");
    CHECK(big.to_header({.max_bytes = 2}).empty());
    CHECK(big.to_header({.max_members = 0}).empty());
    // Raised limits let everything through.
    CHECK(baggage::parse(big.to_header({.max_bytes = 20000}), {.max_bytes = 20000}) == big);
}

TEST_CASE("baggage: parse(to_header()) round-trips arbitrary bytes", "[trace][baggage]") {
    baggage bag;
    REQUIRE(bag.set("all", all_bytes()));
    REQUIRE(bag.set("separators", ",;=% \t,,;;==%%"));
    REQUIRE(bag.set("utf8", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80"));
    REQUIRE(bag.set("invalid-utf8", "\xff\xfe\xc3\x28\xe2\x82\xed\xa0\x80"));
    REQUIRE(bag.set("escapes", "%41%zz%"));
    REQUIRE(bag.set("empty", "", "flag;x=1"));
    REQUIRE(bag.set("nul", std::string(3, '\0')));
    for (int b = 0; b < 256; ++b) {
        REQUIRE(bag.set("b" + std::to_string(b), std::string(1, static_cast<char>(b))));
    }
    REQUIRE(bag.size() > 64);
    const baggage_limits unlimited{.max_members = 1000, .max_bytes = 100000};
    CHECK(baggage::parse(bag.to_header(unlimited), unlimited) == bag);

    // Within the default limits: the first 64 survive.
    const auto limited = baggage::parse(bag.to_header());
    REQUIRE(limited.size() == 64);
    for (std::size_t i = 0; i < limited.size(); ++i) {
        CHECK(limited.members()[i] == bag.members()[i]);
    }
}

TEST_CASE("baggage: seeded fuzz never crashes and re-serializes stably", "[trace][baggage]") {
    std::mt19937 rng(20240530);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> percent(0, 99);
    const auto one_of = [&](std::string_view chars) {
        return chars[std::uniform_int_distribution<std::size_t>(0, chars.size() - 1)(rng)];
    };
    constexpr std::string_view key_chars = "abcXYZ019!#$%&'*+-.^_`|~";
    constexpr std::string_view value_chars = "abc019!#$&'()*+-./:<=>?@[]^_`{|}~";
    constexpr std::string_view noise = ",;= \t%\"\\\x01\x7f\x80\xc3\xff";
    const auto append = [&](std::string& s, std::string_view chars, int max_len) {
        for (int n = percent(rng) % max_len + 1; n > 0; --n) {
            s.push_back(one_of(chars));
        }
    };
    const auto maybe_ows = [&](std::string& s) {
        if (percent(rng) < 20) {
            s.push_back(one_of(" \t"));
        }
    };
    // Grammatical members (OWS, escapes, properties, empty elements), then random mutations so
    // that many are near-misses: a byte inserted, replaced or deleted.
    const auto generate = [&] {
        std::string s;
        for (int members = percent(rng) % 8; members > 0; --members) {
            maybe_ows(s);
            append(s, key_chars, 6);
            maybe_ows(s);
            s.push_back('=');
            maybe_ows(s);
            if (percent(rng) < 80) {
                append(s, value_chars, 8);
            }
            if (percent(rng) < 30) {
                s.push_back('%');
                s.push_back(one_of("0123456789abcdefABCDEF"));
                s.push_back(one_of("0123456789abcdefABCDEF"));
            }
            for (int props = percent(rng) < 25 ? percent(rng) % 3 + 1 : 0; props > 0; --props) {
                maybe_ows(s);
                s.push_back(';');
                maybe_ows(s);
                append(s, key_chars, 4);
                if (percent(rng) < 50) {
                    s.push_back('=');
                    append(s, value_chars, 4);
                }
            }
            maybe_ows(s);
            s.push_back(',');
            if (percent(rng) < 10) {
                s.push_back(',');
            }
        }
        for (int mutations = percent(rng) % 4; mutations > 0 && !s.empty(); --mutations) {
            const auto at = std::uniform_int_distribution<std::size_t>(0, s.size() - 1)(rng);
            const char c = percent(rng) < 70 ? one_of(noise) : static_cast<char>(byte(rng));
            switch (percent(rng) % 3) {
            case 0: s.insert(at, 1, c); break;
            case 1: s[at] = c; break;
            default: s.erase(at, 1); break;
            }
        }
        return s;
    };

    std::size_t parsed_members = 0;
    for (int i = 0; i < 10000; ++i) {
        const std::string input = generate();
        const std::string second = generate();
        const baggage_limits limits{.max_members = static_cast<std::size_t>(percent(rng) % 8 + 1),
                                    .max_bytes = static_cast<std::size_t>(percent(rng) + 1)};
        INFO("input: '" << input << "' + '" << second << "'");
        for (const auto& bag : {baggage::parse(input), baggage::parse({input, second}, limits)}) {
            const std::string header = bag.to_header();
            REQUIRE(baggage::parse(header) == bag);
            for (const auto& m : bag.members()) {
                REQUIRE(!m.key.empty());
                for (const char c : m.key) {
                    REQUIRE(is_tchar(c));
                }
            }
        }
        parsed_members += baggage::parse(input).size();
        const auto limited = baggage::parse({input, second}, limits);
        REQUIRE(limited.size() <= limits.max_members);
        const std::string header = limited.to_header(limits);
        REQUIRE(header.size() <= limits.max_bytes);
        REQUIRE(baggage::parse(header, limits) == limited);
    }
    // The generator must exercise the parser, not only its rejection paths.
    CHECK(parsed_members > 15000);
}
