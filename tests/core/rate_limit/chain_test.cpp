#include <bulwark/core/rate_limit/chain.hpp>
#include <bulwark/core/rate_limit/fixed_window_limiter.hpp>
#include <bulwark/core/rate_limit/gcra_limiter.hpp>
#include <bulwark/core/rate_limit/keyed_limiter.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using bulwark::manual_clock;
using bulwark::quota;
using gcra = bulwark::basic_gcra_limiter<manual_clock>;

TEST_CASE("chain: admitted by all, the tightest decision is reported", "[chain]") {
    manual_clock clock;
    gcra global{quota::per_second(100), clock};
    gcra route{quota::per_second(10), clock};
    bulwark::keyed_limiter<gcra> client{quota::per_second(3), {}, clock};
    //! [chain]
    const auto d = bulwark::try_acquire_all(1, clock.now(), global, route, client.bind("ip-1"));
    //! [chain]
    CHECK(d.allowed);
    CHECK(d.remaining == 2);
    CHECK(d.limit == 3);
    CHECK(global.snapshot().remaining == 99);
    CHECK(route.snapshot().remaining == 9);
}

TEST_CASE("chain: a rejection consumes from none", "[chain]") {
    manual_clock clock;
    gcra global{quota::per_second(100), clock};
    gcra route{quota::per_second(10), clock};
    bulwark::keyed_limiter<gcra> client{quota::per_second(2), {}, clock};
    CHECK(bulwark::try_acquire_all(2, clock.now(), global, route, client.bind("ip-1")).allowed);
    CHECK(global.snapshot().remaining == 98);

    const auto d = bulwark::try_acquire_all(1, clock.now(), global, route, client.bind("ip-1"));
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == 500ms); // the client limiter's answer
    CHECK(d.limit == 2);
    CHECK(global.snapshot().remaining == 98); // given back
    CHECK(route.snapshot().remaining == 8);

    // rejection in the middle: the first is given back, the last never asked
    bulwark::basic_fixed_window_limiter<manual_clock> tiny{quota::per_minute(1), clock};
    CHECK(bulwark::try_acquire_all(1, clock.now(), tiny).allowed);
    const auto mid = bulwark::try_acquire_all(1, clock.now(), global, tiny, route);
    CHECK_FALSE(mid.allowed);
    CHECK(mid.retry_after == 60s);
    CHECK(global.snapshot().remaining == 98);
    CHECK(route.snapshot().remaining == 8);
}

TEST_CASE("chain: a single limiter is its own decision", "[chain]") {
    manual_clock clock;
    gcra only{quota::per_second(1), clock};
    CHECK(bulwark::try_acquire_all(1, clock.now(), only).allowed);
    CHECK_FALSE(bulwark::try_acquire_all(1, clock.now(), only).allowed);
}
