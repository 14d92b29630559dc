#include <bulwark/core/rate_limit/fixed_window_limiter.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using bulwark::manual_clock;
using bulwark::quota;
using bulwark::rate_decision;
using limiter = bulwark::basic_fixed_window_limiter<manual_clock>;

TEST_CASE("fixed window: count per window, reset at the boundary", "[fixed_window]") {
    manual_clock clock;
    limiter lim{quota::per_minute(3), clock};
    clock.advance(10s);
    for (std::uint64_t i = 0; i < 3; ++i) {
        const auto d = lim.try_acquire();
        REQUIRE(d.allowed);
        CHECK(d.remaining == 2 - i);
        CHECK(d.reset_after == 50s);
        CHECK(d.limit == 3);
        CHECK(d.window == 60s);
    }
    const auto denied = lim.try_acquire();
    CHECK_FALSE(denied.allowed);
    CHECK(denied.retry_after == 50s);
    clock.advance(50s - 1ns); // last nanosecond of the window
    CHECK_FALSE(lim.try_acquire().allowed);
    clock.advance(1ns); // new window
    const auto fresh = lim.try_acquire(3);
    CHECK(fresh.allowed);
    CHECK(fresh.remaining == 0);
}

TEST_CASE("fixed window: the boundary lets 2x through, which is its known weakness",
          "[fixed_window]") {
    manual_clock clock;
    limiter lim{quota::per_second(5), clock};
    clock.advance(999ms);
    CHECK(lim.try_acquire(5).allowed);
    clock.advance(1ms);
    CHECK(lim.try_acquire(5).allowed); // 10 within 1 ms
}

TEST_CASE("fixed window: n above the limit, n = 0, release", "[fixed_window]") {
    manual_clock clock;
    limiter lim{quota::per_second(4), clock};
    const auto big = lim.try_acquire(5);
    CHECK_FALSE(big.allowed);
    CHECK(big.retry_after == rate_decision::never);
    CHECK(lim.try_acquire(0).allowed);
    CHECK(lim.try_acquire(3).allowed);
    lim.release(2, clock.now());
    CHECK(lim.snapshot().remaining == 3);
    clock.advance(1s);
    lim.release(2, clock.now()); // a past window's charge is not refunded into this one
    CHECK(lim.snapshot().remaining == 4);
}

TEST_CASE("fixed window: quotas it cannot count are rejected", "[fixed_window][config]") {
    bulwark::config_issue issue;
    CHECK(limiter::validate(quota::per_second(0.5), &issue));
    CHECK(issue.field == "quota.rate");
    CHECK(limiter::validate(quota::per_second(5).with_burst(2), &issue));
    CHECK(issue.field == "quota.burst");
    CHECK(limiter::validate(quota::per_second(5e9), &issue));
    CHECK_FALSE(limiter::validate(quota::per(2s, 1)));
    CHECK_THROWS_AS(limiter(quota::per_second(0), manual_clock{}), std::system_error);
}
