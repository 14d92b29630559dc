#include <bulwark/core/rate_limit/gcra_limiter.hpp>
#include <bulwark/core/rate_limit/rate_limit_headers.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace std::chrono_literals;
using bulwark::manual_clock;
using bulwark::quota;

TEST_CASE("headers of an admitted request", "[rate_limit_headers]") {
    manual_clock clock;
    bulwark::basic_gcra_limiter<manual_clock> lim{quota::per_minute(100), clock};
    const auto h = bulwark::make_rate_limit_headers(lim.try_acquire(10));
    CHECK(h.policy.view() == R"("default";q=100;w=60)");
    CHECK(h.ratelimit.view() == R"("default";r=90;t=6)");
    CHECK(h.retry_after.empty());
}

TEST_CASE("headers of a denied request: t and Retry-After name the same moment, rounded up",
          "[rate_limit_headers]") {
    manual_clock clock;
    bulwark::basic_gcra_limiter<manual_clock> lim{quota::per_second(2), clock};
    CHECK(lim.try_acquire(2).allowed);
    clock.advance(100ms);
    const auto d = lim.try_acquire();
    REQUIRE_FALSE(d.allowed);
    CHECK(d.retry_after == 400ms);
    const auto h = bulwark::make_rate_limit_headers(d, "per-client");
    CHECK(h.policy.view() == R"("per-client";q=2;w=1)");
    CHECK(h.ratelimit.view() == R"("per-client";r=0;t=1)");
    CHECK(h.retry_after.view() == "1");
}

TEST_CASE("a request above the limit gets no Retry-After", "[rate_limit_headers]") {
    bulwark::basic_gcra_limiter<manual_clock> lim{quota::per_second(2), manual_clock{}};
    const auto h = bulwark::make_rate_limit_headers(lim.try_acquire(3));
    CHECK(h.retry_after.empty());
    CHECK(h.ratelimit.view() == R"("default";r=2;t=0)");
}

TEST_CASE("unlimited decisions produce no headers", "[rate_limit_headers]") {
    bulwark::basic_gcra_limiter<manual_clock> lim{quota::unlimited(), manual_clock{}};
    const auto h = bulwark::make_rate_limit_headers(lim.try_acquire());
    CHECK(h.policy.empty());
    CHECK(h.ratelimit.empty());
    CHECK(h.retry_after.empty());
}

TEST_CASE("policy names are made safe and bounded", "[rate_limit_headers]") {
    bulwark::rate_decision d;
    d.allowed = true;
    d.limit = 5;
    d.remaining = 4;
    d.window = 1s;
    const auto h = bulwark::make_rate_limit_headers(d, "a\"b\\c\nd\xC3\xA9");
    CHECK(h.policy.view() == R"("a_b_c_d__";q=5;w=1)");
    const std::string long_name(100, 'x');
    const auto l = bulwark::make_rate_limit_headers(d, long_name);
    CHECK(l.policy.view() == "\"" + std::string(32, 'x') + "\";q=5;w=1");
    // the largest numbers still fit
    d.limit = d.remaining = ~std::uint64_t{0} - 1;
    d.window = d.reset_after = bulwark::duration::max() - 1ns;
    const auto biggest = bulwark::make_rate_limit_headers(d, long_name);
    const std::string digits = std::to_string(d.limit);
    CHECK(biggest.policy.view().size() <= 80);
    CHECK(biggest.ratelimit.view() == "\"" + std::string(32, 'x') + "\";r=" + digits + ";t=" +
                                          std::to_string(bulwark::ceil_seconds(d.reset_after)));
}

TEST_CASE("ceil_seconds rounds up and never goes below zero", "[rate_limit_headers]") {
    CHECK(bulwark::ceil_seconds(0ns) == 0);
    CHECK(bulwark::ceil_seconds(-5s) == 0);
    CHECK(bulwark::ceil_seconds(1ns) == 1);
    CHECK(bulwark::ceil_seconds(1s) == 1);
    CHECK(bulwark::ceil_seconds(1s + 1ns) == 2);
}
