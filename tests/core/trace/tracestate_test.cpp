#include <bulwark/core/trace/tracestate.hpp>

#include <catch2/catch.hpp>

#include <string>

using bulwark::tracestate;
using bulwark::tracestate_member;

TEST_CASE("tracestate: entries parse in order, whitespace and empty entries skipped",
          "[trace][tracestate]") {
    //! [tracestate]
    auto ts = tracestate::parse("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE,,\t");
    CHECK(ts.members() ==
          std::vector<tracestate_member>{{"rojo", "00f067aa0ba902b7"}, {"congo", "t61rcWkgMzE"}});
    ts.put("bulwark", "s1"); // our entry goes to the front
    CHECK(ts.to_header() == "bulwark=s1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    //! [tracestate]
    REQUIRE(ts.find("congo") != nullptr);
    CHECK(*ts.find("congo") == "t61rcWkgMzE");
    CHECK(ts.find("nope") == nullptr);
}

TEST_CASE("tracestate: the key and value grammar", "[trace][tracestate]") {
    CHECK(tracestate::valid_key("a"));
    CHECK(tracestate::valid_key("a0_-*/"));
    CHECK(tracestate::valid_key(std::string(256, 'a')));
    CHECK_FALSE(tracestate::valid_key(std::string(257, 'a')));
    CHECK_FALSE(tracestate::valid_key("0abc")); // a simple key starts with a letter
    CHECK_FALSE(tracestate::valid_key("Rojo"));
    CHECK_FALSE(tracestate::valid_key(""));
    CHECK(tracestate::valid_key("0tenant@sys"));
    CHECK(tracestate::valid_key(std::string(241, 't') + "@" + std::string(14, 's')));
    CHECK_FALSE(tracestate::valid_key(std::string(242, 't') + "@s"));
    CHECK_FALSE(tracestate::valid_key("t@" + std::string(15, 's')));
    CHECK_FALSE(tracestate::valid_key("t@0sys"));
    CHECK_FALSE(tracestate::valid_key("@sys"));
    CHECK_FALSE(tracestate::valid_key("t@"));
    CHECK_FALSE(tracestate::valid_key("a@b@c"));

    CHECK(tracestate::valid_value("x"));
    CHECK(tracestate::valid_value("a b"));
    CHECK(tracestate::valid_value(std::string(256, 'v')));
    CHECK_FALSE(tracestate::valid_value(std::string(257, 'v')));
    CHECK_FALSE(tracestate::valid_value(""));
    CHECK_FALSE(tracestate::valid_value("ends with space "));
    CHECK_FALSE(tracestate::valid_value("a=b"));
    CHECK_FALSE(tracestate::valid_value("a,b"));
    CHECK_FALSE(tracestate::valid_value("tab\there"));
    CHECK_FALSE(tracestate::valid_value("\x7f"));
    CHECK_FALSE(tracestate::valid_value("caf\xc3\xa9"));
}

TEST_CASE("tracestate: invalid and duplicate entries are dropped, the rest kept",
          "[trace][tracestate]") {
    const auto ts = tracestate::parse("a=1,Bad=2,b=,c=3=3,a=4,d=5,noequals,e=6 ");
    CHECK(ts.members() == std::vector<tracestate_member>{{"a", "1"}, {"d", "5"}, {"e", "6"}});
}

TEST_CASE("tracestate: several header lines combine into one list", "[trace][tracestate]") {
    const auto ts = tracestate::parse({"a=1,b=2", "", "c=3", "b=9"});
    CHECK(ts.to_header() == "a=1,b=2,c=3");
}

TEST_CASE("tracestate: at most 32 entries", "[trace][tracestate]") {
    std::string header;
    for (int i = 0; i < 40; ++i) {
        header += "k" + std::to_string(i) + "=v,";
    }
    auto ts = tracestate::parse(header);
    REQUIRE(ts.members().size() == 32);
    CHECK(ts.members().back().key == "k31");
    // put() on a full list pushes the right-most entry out.
    CHECK(ts.put("new", "x"));
    CHECK(ts.members().size() == 32);
    CHECK(ts.members().front().key == "new");
    CHECK(ts.members().back().key == "k30");
    // Updating an existing key moves it, without evicting anything.
    CHECK(ts.put("k10", "y"));
    CHECK(ts.members().size() == 32);
    CHECK(ts.members().front() == tracestate_member{"k10", "y"});
    CHECK_FALSE(ts.put("Bad", "x"));
    CHECK_FALSE(ts.put("ok", "bad=value"));
    CHECK(ts.members().front().key == "k10");
    CHECK(ts.erase("k10"));
    CHECK_FALSE(ts.erase("k10"));
}

TEST_CASE("tracestate: truncation drops long entries first, then from the right",
          "[trace][tracestate]") {
    tracestate ts;
    const std::string long_value(200, 'L');
    // Built right to left: put() prepends.
    for (int i = 9; i >= 0; --i) {
        ts.put("k" + std::to_string(i), i == 3 ? long_value : std::string(40, 'v'));
    }
    const auto full = ts.to_header(100000);
    CHECK(full.size() == 9 * (3 + 40) + (3 + 200) + 9);
    // 512: the long entry goes first; the rest (9 * 43 + 8 = 395) fits.
    const auto cut = ts.to_header();
    CHECK(cut.size() == 395);
    CHECK(cut.find("k3=") == std::string::npos);
    CHECK(cut.rfind("k9=", 0) == std::string::npos);
    CHECK(cut.substr(0, 3) == "k0=");
    // Tighter: then from the right.
    const auto tight = ts.to_header(131); // exactly three 43-character entries and two commas
    CHECK(tight == "k0=" + std::string(40, 'v') + ",k1=" + std::string(40, 'v') +
                       ",k2=" + std::string(40, 'v'));
    CHECK(ts.to_header(130).size() == 2 * 43 + 1);
    CHECK(ts.to_header(10).empty());
    CHECK(tracestate{}.to_header().empty());
}

TEST_CASE("tracestate: parse is total on random bytes, and what it keeps round-trips",
          "[trace][tracestate]") {
    std::uint64_t x = 0x9E3779B97F4A7C15ull; // fixed seed
    const auto next = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    const std::string alphabet = "ab0_-*/@=, \t\x7f~Z\xc3";
    for (int i = 0; i < 5000; ++i) {
        std::string s(next() % 64, ' ');
        for (auto& c : s) {
            c = alphabet[next() % alphabet.size()];
        }
        const auto ts = tracestate::parse(s);
        for (const auto& m : ts.members()) {
            REQUIRE(tracestate::valid_key(m.key));
            REQUIRE(tracestate::valid_value(m.value));
        }
        REQUIRE(tracestate::parse(ts.to_header(100000)) == ts);
    }
}
