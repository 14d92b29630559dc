#include <bulwark/core/trace/b3.hpp>

#include <catch2/catch.hpp>

#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using bulwark::b3_context;
using bulwark::b3_multi_headers;
using bulwark::b3_multi_values;
using bulwark::b3_sampling;
using bulwark::span_id;
using bulwark::trace_id;

namespace {

constexpr std::string_view trace_hex = "80f198ee56343ba864fe8b2a57d3eff7";
constexpr std::string_view span_hex = "e457b5a2e4d86bd1";
constexpr std::string_view parent_hex = "05e3ac9a4f6e3b90";
constexpr std::string_view trace64_hex = "a3ce929d0e0e4736";

trace_id tid(std::string_view hex) {
    return trace_id::from_hex(hex).value();
}
span_id sid(std::string_view hex) {
    return span_id::from_hex(hex).value();
}

std::string join(std::initializer_list<std::string_view> parts) {
    std::string s;
    for (const auto p : parts) {
        if (!s.empty()) {
            s.push_back('-');
        }
        s.append(p);
    }
    return s;
}

// Contexts covering every sampling state, with and without parent, 128- and 64-bit trace ids.
std::vector<b3_context> canonical_contexts() {
    std::vector<b3_context> out;
    for (const auto sampling :
         {b3_sampling::unspecified, b3_sampling::deny, b3_sampling::accept, b3_sampling::debug}) {
        for (const bool with_parent : {false, true}) {
            for (const bool is_64bit : {false, true}) {
                b3_context c;
                c.trace =
                    is_64bit ? tid("0000000000000000" + std::string{trace64_hex}) : tid(trace_hex);
                c.trace_id_64bit = is_64bit;
                c.span = sid(span_hex);
                if (with_parent) {
                    c.parent = sid(parent_hex);
                }
                c.sampling = sampling;
                out.push_back(c);
            }
        }
        b3_context sampling_only;
        sampling_only.sampling = sampling;
        if (sampling != b3_sampling::unspecified) {
            out.push_back(sampling_only);
        }
    }
    return out;
}

} // namespace

TEST_CASE("b3: usage", "[trace][b3]") {
    //! [b3]
    // Extract: the single `b3` header takes precedence over the X-B3-* headers.
    std::optional<bulwark::b3_context> incoming = bulwark::parse_b3_single(
        "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90");
    if (!incoming) {
        incoming = bulwark::parse_b3_multi({.trace_id = "80f198ee56343ba864fe8b2a57d3eff7",
                                            .span_id = "e457b5a2e4d86bd1",
                                            .sampled = "1"});
    }

    // Bridge to W3C Trace Context: the B3 span id becomes the traceparent parent-id.
    std::optional<bulwark::traceparent> tp = bulwark::to_traceparent(*incoming);
    // tp->format() == "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01"

    // Inject: either encoding.
    const std::string b3 = bulwark::format_b3_single(*incoming);
    const bulwark::b3_multi_values multi = bulwark::format_b3_multi(*incoming);
    // multi.trace_id, multi.span_id, multi.parent_span_id, multi.sampled ("1"), multi.flags ("")
    //! [b3]
    REQUIRE(incoming.has_value());
    REQUIRE(tp.has_value());
    CHECK(tp->format() == "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01");
    CHECK(b3 == "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90");
    CHECK(multi == b3_multi_values{std::string{trace_hex}, std::string{span_hex},
                                   std::string{parent_hex}, "1", ""});
}

TEST_CASE("b3: single header with every field", "[trace][b3]") {
    const auto c = bulwark::parse_b3_single(join({trace_hex, span_hex, "1", parent_hex}));
    REQUIRE(c);
    CHECK(c->trace == tid(trace_hex));
    CHECK(c->span == sid(span_hex));
    REQUIRE(c->parent);
    CHECK(*c->parent == sid(parent_hex));
    CHECK(c->sampling == b3_sampling::accept);
    CHECK_FALSE(c->trace_id_64bit);
    CHECK(c->has_ids());
}

TEST_CASE("b3: single header optional fields", "[trace][b3]") {
    auto c = bulwark::parse_b3_single(join({trace_hex, span_hex}));
    REQUIRE(c);
    CHECK(c->sampling == b3_sampling::unspecified);
    CHECK_FALSE(c->parent);

    c = bulwark::parse_b3_single(join({trace_hex, span_hex, "0"}));
    REQUIRE(c);
    CHECK(c->sampling == b3_sampling::deny);

    c = bulwark::parse_b3_single(join({trace_hex, span_hex, "d"}));
    REQUIRE(c);
    CHECK(c->sampling == b3_sampling::debug);

    c = bulwark::parse_b3_single(join({trace_hex, span_hex, "d", parent_hex}));
    REQUIRE(c);
    CHECK(c->sampling == b3_sampling::debug);
    CHECK(c->parent == sid(parent_hex));

    // Deferred decision with a parent: the third field is the 16-digit parent.
    c = bulwark::parse_b3_single(join({trace_hex, span_hex, parent_hex}));
    REQUIRE(c);
    CHECK(c->sampling == b3_sampling::unspecified);
    CHECK(c->parent == sid(parent_hex));
    CHECK(bulwark::format_b3_single(*c) == join({trace_hex, span_hex, parent_hex}));
}

TEST_CASE("b3: 64-bit trace ids are left-padded and formatted back as 16 digits", "[trace][b3]") {
    const auto c = bulwark::parse_b3_single(join({trace64_hex, span_hex, "1"}));
    REQUIRE(c);
    CHECK(c->trace_id_64bit);
    CHECK(c->trace.to_hex() == "0000000000000000" + std::string{trace64_hex});
    CHECK(bulwark::format_b3_single(*c) == join({trace64_hex, span_hex, "1"}));
    CHECK(bulwark::format_b3_multi(*c).trace_id == trace64_hex);

    // A 32-digit id whose upper half is zero stays 32 digits.
    const std::string padded = "0000000000000000" + std::string{trace64_hex};
    const auto p = bulwark::parse_b3_single(join({padded, span_hex}));
    REQUIRE(p);
    CHECK_FALSE(p->trace_id_64bit);
    CHECK(p->trace == c->trace);
    CHECK(bulwark::format_b3_single(*p) == join({padded, span_hex}));

    // The flag only shortens an id that fits in 64 bits.
    b3_context wide = *c;
    wide.trace = tid(trace_hex);
    CHECK(bulwark::format_b3_single(wide) == join({trace_hex, span_hex, "1"}));
}

TEST_CASE("b3: sampling-only single header", "[trace][b3]") {
    const std::pair<std::string_view, b3_sampling> cases[] = {
        {"0", b3_sampling::deny}, {"1", b3_sampling::accept}, {"d", b3_sampling::debug}};
    for (const auto& [text, sampling] : cases) {
        INFO(text);
        const auto c = bulwark::parse_b3_single(text);
        REQUIRE(c);
        CHECK_FALSE(c->has_ids());
        CHECK_FALSE(c->trace.valid());
        CHECK_FALSE(c->span.valid());
        CHECK_FALSE(c->parent);
        CHECK(c->sampling == sampling);
        CHECK(bulwark::format_b3_single(*c) == text);
        CHECK_FALSE(bulwark::to_traceparent(*c));
    }
    CHECK(bulwark::format_b3_single(b3_context{}).empty());
}

TEST_CASE("b3: optional whitespace around the value is ignored", "[trace][b3]") {
    const auto c = bulwark::parse_b3_single(" \t" + join({trace_hex, span_hex, "1"}) + "\t ");
    REQUIRE(c);
    CHECK(c->sampling == b3_sampling::accept);
    CHECK(bulwark::parse_b3_single(" 0 ") == bulwark::parse_b3_single("0"));
}

TEST_CASE("b3: invalid single headers are rejected", "[trace][b3]") {
    const std::string t{trace_hex};
    const std::string s{span_hex};
    const std::string p{parent_hex};
    const std::string zero16(16, '0');
    const std::string zero32(32, '0');
    const std::vector<std::string> bad{
        "",
        " ",
        "2",
        "D",
        "x",
        "-",
        "00",
        "true",
        "1-1",
        "0-" + s,
        t,
        t + "-",
        "-" + s,
        t + "--1",
        t + "-" + s + "-",
        t + "-" + s + "--" + p,
        t + "-" + s + "-1-",
        t + "-" + s + "-1-" + p + "-1", // legacy trailing debug field
        t + "-" + s + "-1-" + p + "-",
        t + "-" + s + "-2",
        t + "-" + s + "-D",
        t + "-" + s + "-true",
        t + "-" + s + "-10",
        t + "-" + s + "-" + p.substr(1),
        t + "-" + s + "-1-" + p.substr(1),
        t + "-" + s + "-1-" + p + "0",
        t.substr(1) + "-" + s,
        t + "0-" + s,
        std::string{trace64_hex}.substr(1) + "-" + s,
        std::string{trace64_hex} + "0-" + s,
        t + "-" + s.substr(1),
        t + "-" + s + "0",
        "80F198EE56343BA864FE8B2A57D3EFF7-" + s, // upper-case hex
        t + "-E457B5A2E4D86BD1",
        t + "-" + s + "-1-05E3AC9A4F6E3B90",
        "g0f198ee56343ba864fe8b2a57d3eff7-" + s,
        zero32 + "-" + s,
        zero16 + "-" + s,
        t + "-" + zero16,
        t + "-" + s + "-1-" + zero16,
        t + "-" + s + "-" + zero16,
        t + " -" + s,
        t + "- " + s,
        t + "-" + s + " -1",
        t + "_" + s,
    };
    for (const auto& h : bad) {
        INFO("b3: '" << h << "'");
        CHECK_FALSE(bulwark::parse_b3_single(h));
    }
}

TEST_CASE("b3: multi headers", "[trace][b3]") {
    const b3_multi_headers full{
        .trace_id = trace_hex, .span_id = span_hex, .parent_span_id = parent_hex, .sampled = "1"};
    const auto c = bulwark::parse_b3_multi(full);
    REQUIRE(c);
    CHECK(c == bulwark::parse_b3_single(join({trace_hex, span_hex, "1", parent_hex})));

    auto h = full;
    h.parent_span_id = {};
    h.sampled = {};
    const auto root = bulwark::parse_b3_multi(h);
    REQUIRE(root);
    CHECK_FALSE(root->parent);
    CHECK(root->sampling == b3_sampling::unspecified);

    // Pre-specification tracers sent true/false; accepted leniently, in any case.
    for (const auto& [text, sampling] :
         std::vector<std::pair<std::string_view, b3_sampling>>{{"0", b3_sampling::deny},
                                                               {"1", b3_sampling::accept},
                                                               {"true", b3_sampling::accept},
                                                               {"TRUE", b3_sampling::accept},
                                                               {"False", b3_sampling::deny},
                                                               {" 1 ", b3_sampling::accept}}) {
        INFO(text);
        h.sampled = text;
        const auto r = bulwark::parse_b3_multi(h);
        REQUIRE(r);
        CHECK(r->sampling == sampling);
    }

    // X-B3-Flags: 1 is debug and overrides X-B3-Sampled; other flag values are ignored.
    h.sampled = "0";
    h.flags = "1";
    CHECK(bulwark::parse_b3_multi(h)->sampling == b3_sampling::debug);
    h.flags = "0";
    CHECK(bulwark::parse_b3_multi(h)->sampling == b3_sampling::deny);
    h.flags = "7";
    CHECK(bulwark::parse_b3_multi(h)->sampling == b3_sampling::deny);

    // 64-bit trace id.
    const auto c64 = bulwark::parse_b3_multi({.trace_id = trace64_hex, .span_id = span_hex});
    REQUIRE(c64);
    CHECK(c64->trace_id_64bit);
    CHECK(c64->trace.to_hex() == "0000000000000000" + std::string{trace64_hex});
}

TEST_CASE("b3: sampling-only multi headers", "[trace][b3]") {
    auto c = bulwark::parse_b3_multi({.sampled = "0"});
    REQUIRE(c);
    CHECK_FALSE(c->has_ids());
    CHECK(c->sampling == b3_sampling::deny);

    c = bulwark::parse_b3_multi({.flags = "1"});
    REQUIRE(c);
    CHECK(c->sampling == b3_sampling::debug);

    CHECK_FALSE(bulwark::parse_b3_multi({}));
    CHECK_FALSE(bulwark::parse_b3_multi({.flags = "0"}));
}

TEST_CASE("b3: invalid multi headers are rejected", "[trace][b3]") {
    const b3_multi_headers good{.trace_id = trace_hex, .span_id = span_hex};
    REQUIRE(bulwark::parse_b3_multi(good));

    auto h = good;
    h.span_id = {};
    CHECK_FALSE(bulwark::parse_b3_multi(h)); // trace id without span id
    h = good;
    h.trace_id = {};
    CHECK_FALSE(bulwark::parse_b3_multi(h)); // span id without trace id
    CHECK_FALSE(bulwark::parse_b3_multi({.parent_span_id = parent_hex, .sampled = "1"}));

    for (const std::string_view sampled : {"2", "yes", "d", "01", "truee", "-1"}) {
        INFO(sampled);
        h = good;
        h.sampled = sampled;
        CHECK_FALSE(bulwark::parse_b3_multi(h));
        CHECK_FALSE(bulwark::parse_b3_multi({.sampled = sampled}));
    }
    for (const std::string_view trace :
         {"80F198EE56343BA864FE8B2A57D3EFF7", "80f198ee56343ba864fe8b2a57d3eff", "0",
          "00000000000000000000000000000000", "0000000000000000", "a3ce929d0e0e473"}) {
        INFO(trace);
        h = good;
        h.trace_id = trace;
        CHECK_FALSE(bulwark::parse_b3_multi(h));
    }
    for (const std::string_view id :
         {"E457B5A2E4D86BD1", "e457b5a2e4d86bd", "0000000000000000", "e457b5a2e4d86bd1e"}) {
        INFO(id);
        h = good;
        h.span_id = id;
        CHECK_FALSE(bulwark::parse_b3_multi(h));
        h = good;
        h.parent_span_id = id;
        CHECK_FALSE(bulwark::parse_b3_multi(h));
    }
}

TEST_CASE("b3: multi values follow the specification", "[trace][b3]") {
    b3_context c = *bulwark::parse_b3_single(join({trace_hex, span_hex, "d", parent_hex}));
    auto v = bulwark::format_b3_multi(c);
    // Debug implies accept: X-B3-Flags: 1 and no X-B3-Sampled.
    CHECK(v == b3_multi_values{std::string{trace_hex}, std::string{span_hex},
                               std::string{parent_hex}, "", "1"});
    c.sampling = b3_sampling::deny;
    c.parent.reset();
    CHECK(bulwark::format_b3_multi(c) ==
          b3_multi_values{std::string{trace_hex}, std::string{span_hex}, "", "0", ""});
    c.sampling = b3_sampling::unspecified;
    CHECK(bulwark::format_b3_multi(c) ==
          b3_multi_values{std::string{trace_hex}, std::string{span_hex}, "", "", ""});
    CHECK(bulwark::format_b3_multi(*bulwark::parse_b3_single("0")) ==
          b3_multi_values{"", "", "", "0", ""});
    CHECK(bulwark::format_b3_multi(b3_context{}) == b3_multi_values{});
}

TEST_CASE("b3: single and multi round trips", "[trace][b3]") {
    for (const auto& c : canonical_contexts()) {
        const std::string single = bulwark::format_b3_single(c);
        INFO("b3: " << single);
        CHECK(bulwark::parse_b3_single(single) == c);
        const auto v = bulwark::format_b3_multi(c);
        CHECK(bulwark::parse_b3_multi({.trace_id = v.trace_id,
                                       .span_id = v.span_id,
                                       .parent_span_id = v.parent_span_id,
                                       .sampled = v.sampled,
                                       .flags = v.flags}) == c);
    }
}

TEST_CASE("b3: conversion to and from traceparent", "[trace][b3]") {
    b3_context c = *bulwark::parse_b3_single(join({trace_hex, span_hex, "1", parent_hex}));
    const std::string expected_prefix =
        "00-" + std::string{trace_hex} + "-" + std::string{span_hex};
    const std::pair<b3_sampling, std::string_view> flags[] = {{b3_sampling::accept, "-01"},
                                                              {b3_sampling::debug, "-01"},
                                                              {b3_sampling::deny, "-00"},
                                                              {b3_sampling::unspecified, "-00"}};
    for (const auto& [sampling, suffix] : flags) {
        c.sampling = sampling;
        const auto tp = bulwark::to_traceparent(c);
        REQUIRE(tp);
        CHECK(tp->version == 0);
        CHECK(tp->format() == expected_prefix + std::string{suffix});
    }

    // 64-bit B3 ids become the left-padded 128-bit W3C id.
    const auto c64 = bulwark::parse_b3_single(join({trace64_hex, span_hex, "1"}));
    CHECK(bulwark::to_traceparent(*c64)->trace.to_hex() ==
          "0000000000000000" + std::string{trace64_hex});

    const auto tp = bulwark::traceparent::parse("00-" + std::string{trace_hex} + "-" +
                                                std::string{span_hex} + "-01");
    REQUIRE(tp);
    const b3_context back = bulwark::to_b3(*tp);
    CHECK(back.trace == tid(trace_hex));
    CHECK(back.span == sid(span_hex));
    CHECK_FALSE(back.parent);
    CHECK(back.sampling == b3_sampling::accept);
    CHECK_FALSE(back.trace_id_64bit);
    CHECK(bulwark::format_b3_single(back) == join({trace_hex, span_hex, "1"}));

    auto unsampled = *tp;
    unsampled.flags = 0;
    CHECK(bulwark::to_b3(unsampled).sampling == b3_sampling::deny);
    const auto again = bulwark::to_traceparent(bulwark::to_b3(unsampled));
    REQUIRE(again);
    CHECK(again->format() == unsampled.format());
}

TEST_CASE("b3: seeded fuzz never crashes and re-formats stably", "[trace][b3]") {
    std::mt19937 rng(20181201);
    const std::string alphabet = "0123456789abcdef0123456789abcdefABd- \t";
    const std::string_view hex = "0123456789abcdef";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> coin(0, 19);
    std::uniform_int_distribution<int> field_count(0, 5);
    const std::size_t lengths[] = {0, 1, 2, 15, 16, 17, 31, 32, 33};
    std::uniform_int_distribution<std::size_t> length_index(0, std::size(lengths) - 1);
    int parsed = 0;
    for (int i = 0; i < 10000; ++i) {
        // '-'-joined fields: mostly well-formed ones (so the round trip is exercised), some of
        // random length and content.
        std::string input;
        const int fields = field_count(rng);
        for (int f = 0; f < fields; ++f) {
            if (f > 0) {
                input.push_back('-');
            }
            if (coin(rng) < 15) {
                if (f == 2 && coin(rng) < 10) {
                    input.push_back("01d"[coin(rng) % 3]);
                    continue;
                }
                const int n = f == 0 && coin(rng) < 5 ? 16 : (f == 0 ? 32 : 16);
                for (int j = 0; j < n; ++j) {
                    input.push_back(hex[static_cast<std::size_t>(coin(rng) % 16)]);
                }
                continue;
            }
            const std::size_t n = lengths[length_index(rng)];
            for (std::size_t j = 0; j < n; ++j) {
                input.push_back(coin(rng) == 0 ? static_cast<char>(byte(rng))
                                               : alphabet[pick(rng)]);
            }
        }
        INFO("b3: '" << input << "'");
        if (const auto c = bulwark::parse_b3_single(input)) {
            ++parsed;
            REQUIRE((c->has_ids() || c->sampling != b3_sampling::unspecified));
            REQUIRE(bulwark::parse_b3_single(bulwark::format_b3_single(*c)) == c);
        }
        const auto m = bulwark::parse_b3_multi({.trace_id = input.substr(0, 32),
                                                .span_id = input.substr(input.size() / 2),
                                                .sampled = input.substr(0, 1)});
        if (m) {
            const auto v = bulwark::format_b3_multi(*m);
            REQUIRE(bulwark::parse_b3_multi(
                        {v.trace_id, v.span_id, v.parent_span_id, v.sampled, v.flags}) == m);
        }
    }
    CHECK(parsed > 1000);
}
