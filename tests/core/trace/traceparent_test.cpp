#include <bulwark/core/trace/traceparent.hpp>

#include <catch2/catch.hpp>

#include <string>

using bulwark::span_id;
using bulwark::trace_id;
using bulwark::traceparent;

namespace {
constexpr std::string_view valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
} // namespace

TEST_CASE("traceparent: a version-00 header parses into its fields", "[trace][traceparent]") {
    //! [traceparent]
    const auto tp = traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    REQUIRE(tp);
    CHECK(tp->trace.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(tp->parent.to_hex() == "00f067aa0ba902b7");
    CHECK(tp->sampled());
    //! [traceparent]
    CHECK(tp->version == 0);
    CHECK(tp->flags == 1);
    CHECK(tp->format() == valid);
    // Optional whitespace around a field value is not part of it.
    CHECK(traceparent::parse(" \t" + std::string{valid} + " ").has_value());
}

TEST_CASE("traceparent: the format rules reject bad headers", "[trace][traceparent]") {
    const auto bad = [](std::string s) { return !traceparent::parse(s).has_value(); };
    std::string s{valid};
    CHECK(bad(""));
    CHECK(bad(s.substr(0, 54))); // short
    CHECK(bad(s + "-"));         // 00 is exactly 55
    CHECK(bad(s + "0"));
    CHECK(bad("ff" + s.substr(2)));                                        // version ff
    CHECK(bad("0g" + s.substr(2)));                                        // version not hex
    CHECK(bad("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")); // upper case
    CHECK(bad("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
    CHECK(bad("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
    CHECK(bad("00-00000000000000000000000000000000-00f067aa0ba902b7-01")); // zero trace id
    CHECK(bad("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")); // zero parent id
    CHECK(bad("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")); // separators
    CHECK(bad("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01"));
    CHECK(bad("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01"));
    CHECK(bad("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01")); // shifted fields
    CHECK(bad("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"));
    CHECK(bad("00-4bf92f3577b34da6a3ce929d0e0e47 6-00f067aa0ba902b7-01"));
}

TEST_CASE("traceparent: a future version is read by its version-00 prefix",
          "[trace][traceparent]") {
    const std::string body{valid.substr(2)};
    auto tp = traceparent::parse("01" + body);
    REQUIRE(tp);
    CHECK(tp->version == 1);
    tp = traceparent::parse("cc" + body + "-what-the-future-adds");
    REQUIRE(tp);
    CHECK(tp->version == 0xcc);
    CHECK(tp->trace.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
    // What follows the prefix must start with '-'.
    CHECK_FALSE(traceparent::parse("cc" + body + "x"));
    CHECK_FALSE(traceparent::parse("cc" + body + "0-more"));
    // Forwarded as version 00.
    CHECK(tp->format() == valid);
}

TEST_CASE("traceparent: flags keep sampled and random, and drop unknown bits on output",
          "[trace][traceparent]") {
    auto tp = traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
    REQUIRE(tp);
    CHECK(tp->sampled());
    CHECK((tp->flags & bulwark::trace_flag_random) != 0);
    CHECK(tp->format().substr(53) == "03");
    tp = traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff");
    REQUIRE(tp);
    CHECK(tp->flags == 0xff);
    CHECK(tp->format().substr(53) == "03");
    tp = traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    REQUIRE(tp);
    CHECK_FALSE(tp->sampled());
}

TEST_CASE("trace and span ids: lower-case hex both ways", "[trace][traceparent]") {
    CHECK_FALSE(trace_id::from_hex("4bf92f3577b34da6a3ce929d0e0e473").has_value());
    CHECK_FALSE(span_id::from_hex("00f067aa0ba902B7").has_value());
    const auto id = span_id::from_hex("0000000000000000");
    REQUIRE(id);
    CHECK_FALSE(id->valid());
    const auto t = trace_id::from_hex("0123456789abcdeffedcba9876543210");
    REQUIRE(t);
    CHECK(t->bytes[0] == 0x01);
    CHECK(t->bytes[15] == 0x10);
    CHECK(t->to_hex() == "0123456789abcdeffedcba9876543210");
    char out[traceparent::size];
    traceparent{.trace = *t, .parent = *span_id::from_hex("00f067aa0ba902b7"), .flags = 1}
        .format_to(out);
    CHECK(std::string_view{out, sizeof out} ==
          "00-0123456789abcdeffedcba9876543210-00f067aa0ba902b7-01");
}
