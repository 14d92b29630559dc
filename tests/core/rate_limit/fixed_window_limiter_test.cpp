#include <bulwark/core/rate_limit/fixed_window_limiter.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "support/window_race.hpp"

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

TEST_CASE("fixed window: a stale now never wipes a newer window", "[fixed_window]") {
    manual_clock clock;
    limiter lim{quota::per_minute(100), clock};
    CHECK(lim.try_acquire(100, bulwark::time_point{60s}).allowed); // window 1 full
    // a request whose time was read just before the boundary arrives after it
    const auto stale = lim.try_acquire(1, bulwark::time_point{60s} - 1ns);
    CHECK_FALSE(stale.allowed);
    CHECK(stale.remaining == 0);
    CHECK(stale.retry_after == 60s + 1ns); // until window 1 ends, measured from the stale time
    CHECK_FALSE(lim.try_acquire(1, bulwark::time_point{61s}).allowed);
    // a clock that went back more than two windows counts as a new window (documented)
    CHECK(lim.try_acquire(100, bulwark::time_point{180s}).allowed);    // window 3 full
    CHECK_FALSE(lim.try_acquire(1, bulwark::time_point{60s}).allowed); // 2 behind: window 3
    CHECK(lim.try_acquire(1, bulwark::time_point{0s}).allowed);        // 3 behind: fresh
}

TEST_CASE("fixed window: lowering the limit below the count reports zero remaining",
          "[fixed_window]") {
    manual_clock clock;
    limiter lim{quota::per_minute(100), clock};
    CHECK(lim.try_acquire(80).allowed);
    lim.set_quota(quota::per_minute(50));
    const auto d = lim.try_acquire();
    CHECK_FALSE(d.allowed);
    CHECK(d.remaining == 0);
    CHECK(d.limit == 50);
    lim.set_quota(quota::per(30s, 50)); // another window length: a fresh window
    CHECK(lim.try_acquire(50).allowed);
}

TEST_CASE("fixed window: no over-admission when threads race across boundaries",
          "[fixed_window][concurrency]") {
    manual_clock clock;
    limiter lim{quota::per_second(50), clock};
    constexpr int windows = 200;
    const auto admitted = bulwark::test::race_across_windows(lim, clock, windows, 1s, 4);
    // windows 0..200 were live: at most 50 each
    CHECK(admitted <= 50u * (windows + 1));
    CHECK(admitted > 0);
}
