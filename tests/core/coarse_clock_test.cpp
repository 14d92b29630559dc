#include <bulwark/core/coarse_clock.hpp>

#include <catch2/catch.hpp>

#include <chrono>

using namespace std::chrono_literals;

// The coarse clock follows real time by design, so these tests bound it against steady_clock
// with generous margins instead of sleeping for exact amounts.
TEST_CASE("coarse_clock is never ahead of steady_clock and keeps up with it", "[coarse_clock]") {
    const bulwark::coarse_clock clock{1ms};
    CHECK(clock.resolution() == 1ms);
    const auto start = std::chrono::steady_clock::now();
    auto last = clock.now();
    CHECK(last <= start);
    // Spin (bounded) until the cached time passes `start`: the thread refreshes it.
    while (clock.now() <= start && std::chrono::steady_clock::now() - start < 30s) {
        const auto t = clock.now();
        REQUIRE(t >= last); // monotonic
        last = t;
    }
    CHECK(clock.now() > start);
    CHECK(clock.now() <= std::chrono::steady_clock::now());
}

TEST_CASE("coarse_clock copies share one time and stop cleanly", "[coarse_clock]") {
    auto* clock = new bulwark::coarse_clock{1ms};
    const bulwark::coarse_clock copy = *clock;
    delete clock; // the copy keeps the refreshing thread alive
    const auto start = copy.now();
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (copy.now() == start && std::chrono::steady_clock::now() < give_up) {
    }
    CHECK(copy.now() > start); // still ticking after the original is gone

    // Destroying the last copy must not wait for the next refresh: the thread wakes on stop.
    const auto before = std::chrono::steady_clock::now();
    { const bulwark::coarse_clock hourly{std::chrono::hours{1}}; }
    CHECK(std::chrono::steady_clock::now() - before < 10s);
    const bulwark::coarse_clock defaulted{0ns};
    CHECK(defaulted.resolution() == 1ms);
}
