#include <bulwark/core/circuit_breaker/circuit_breaker.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bulwark::breaker_state;
using bulwark::call_outcome;
using bulwark::manual_clock;
using breaker = bulwark::basic_circuit_breaker<manual_clock>;

namespace {
// Runs one call of `d` ending in `o`.
//! [permit]
bool call(breaker& b, manual_clock& clock, call_outcome o, bulwark::duration d = 0ms) {
    auto p = b.try_acquire();
    if (!p) {
        return false;
    }
    clock.advance(d);
    p.record(o, clock.now());
    return true;
}
//! [permit]
// Four failures: opens a breaker configured with `small`.
void open_with_failures(breaker& b, manual_clock& clock) {
    for (int i = 0; i < 4; ++i) {
        CHECK(call(b, clock, call_outcome::failure));
    }
}
const bulwark::circuit_breaker_config small{.failure_rate_threshold = 50,
                                            .window_size = 4,
                                            .minimum_calls = 4,
                                            .permitted_calls_in_half_open = 2,
                                            .wait_in_open = 10s};
} // namespace

TEST_CASE("breaker: the defaults are Resilience4j's", "[breaker]") {
    const bulwark::circuit_breaker_config c;
    CHECK(c.failure_rate_threshold == 50);
    CHECK(c.slow_call_rate_threshold == 100);
    CHECK(c.slow_call_duration == 60s);
    CHECK(c.window == bulwark::window_type::count_based);
    CHECK(c.window_size == 100);
    CHECK(c.minimum_calls == 100);
    CHECK(c.permitted_calls_in_half_open == 10);
    CHECK(c.wait_in_open == 60s);
}

TEST_CASE("breaker: opens at the failure threshold once minimum_calls are in", "[breaker]") {
    manual_clock clock;
    breaker b{small, clock};
    CHECK(call(b, clock, call_outcome::failure));
    CHECK(call(b, clock, call_outcome::failure));
    CHECK(call(b, clock, call_outcome::failure)); // 3 of 3 failed, but fewer than 4 calls
    CHECK(b.state() == breaker_state::closed);
    CHECK_FALSE(b.snapshot().failure_rate);
    CHECK(call(b, clock, call_outcome::success)); // 3 of 4: 75% >= 50%
    CHECK(b.state() == breaker_state::open);
    CHECK_FALSE(b.try_acquire());
    CHECK(b.snapshot().not_permitted == 1);
    CHECK(b.snapshot().open_remaining == 10s);
}

TEST_CASE("breaker: the count window slides old results out", "[breaker]") {
    manual_clock clock;
    breaker b{small, clock};
    for (const auto o : {call_outcome::failure, call_outcome::success, call_outcome::success,
                         call_outcome::success}) {
        CHECK(call(b, clock, o));
    }
    CHECK(b.snapshot().failure_rate == 25.0);
    CHECK(call(b, clock, call_outcome::failure)); // F S S S F -> last 4: S S S F
    CHECK(b.snapshot().failure_rate == 25.0);
    CHECK(b.state() == breaker_state::closed);
    CHECK(call(b, clock, call_outcome::failure)); // last 4: S S F F -> 50%
    CHECK(b.state() == breaker_state::open);
}

TEST_CASE("breaker: ignored calls are not counted", "[breaker]") {
    manual_clock clock;
    breaker b{small, clock};
    for (int i = 0; i < 10; ++i) {
        CHECK(call(b, clock, call_outcome::ignored));
    }
    { auto dropped = b.try_acquire(); } // dropped without a record: ignored
    CHECK(b.snapshot().calls == 0);
    CHECK(b.state() == breaker_state::closed);
}

TEST_CASE("breaker: slow calls open it too", "[breaker]") {
    manual_clock clock;
    breaker b{{.slow_call_rate_threshold = 50,
               .slow_call_duration = 1s,
               .window_size = 4,
               .minimum_calls = 4},
              clock};
    CHECK(call(b, clock, call_outcome::success, 999ms));
    CHECK(call(b, clock, call_outcome::success, 1s));
    CHECK(call(b, clock, call_outcome::success, 10ms));
    CHECK(b.state() == breaker_state::closed);
    CHECK(call(b, clock, call_outcome::success, 2s)); // 2 of 4 slow
    CHECK(b.state() == breaker_state::open);
}

TEST_CASE("breaker: half-open admits exactly the probes and closes on success", "[breaker]") {
    manual_clock clock;
    std::vector<std::string> transitions;
    auto config = small;
    config.on_transition = [&](breaker_state from, breaker_state to) {
        transitions.push_back(std::string{bulwark::to_string(from)} + "->" +
                              bulwark::to_string(to));
    };
    breaker b{config, clock};
    open_with_failures(b, clock);
    clock.advance(10s - 1ns);
    CHECK_FALSE(b.try_acquire());
    clock.advance(1ns);
    auto p1 = b.try_acquire();
    auto p2 = b.try_acquire();
    CHECK(p1);
    CHECK(p1.probe());
    CHECK(p2);
    CHECK_FALSE(b.try_acquire()); // only two probes
    CHECK(b.state() == breaker_state::half_open);
    p1.record(call_outcome::success, clock.now());
    CHECK(b.state() == breaker_state::half_open);
    p2.record(call_outcome::success, clock.now());
    CHECK(b.state() == breaker_state::closed);
    CHECK(b.snapshot().calls == 0); // a fresh window
    CHECK(transitions ==
          std::vector<std::string>{"closed->open", "open->half_open", "half_open->closed"});
}

TEST_CASE("breaker: failed probes reopen it with a growing, capped wait", "[breaker]") {
    manual_clock clock;
    auto config = small;
    config.open_wait_multiplier = 2;
    config.max_wait_in_open = 30s;
    breaker b{config, clock};
    open_with_failures(b, clock);
    CHECK(b.snapshot().open_remaining == 10s);
    for (const auto expected : {20s, 30s, 30s}) {
        clock.advance(b.snapshot().open_remaining);
        CHECK(call(b, clock, call_outcome::failure));
        CHECK(call(b, clock, call_outcome::success)); // 1 of 2 failed: 50% reopens
        CHECK(b.state() == breaker_state::open);
        CHECK(b.snapshot().open_remaining == expected);
    }
    CHECK(b.snapshot().trips == 4);
    clock.advance(30s);
    CHECK(call(b, clock, call_outcome::success));
    CHECK(call(b, clock, call_outcome::success));
    CHECK(b.state() == breaker_state::closed);
    CHECK(b.snapshot().trips == 0);
}

TEST_CASE("breaker: an ignored probe frees its place", "[breaker]") {
    manual_clock clock;
    breaker b{small, clock};
    open_with_failures(b, clock);
    clock.advance(10s);
    auto p1 = b.try_acquire();
    auto p2 = b.try_acquire();
    CHECK_FALSE(b.try_acquire());
    p1.record(call_outcome::ignored, clock.now());
    auto p3 = b.try_acquire();
    CHECK(p3);
    p2.record(call_outcome::success, clock.now());
    p3.record(call_outcome::success, clock.now());
    CHECK(b.state() == breaker_state::closed);
}

TEST_CASE("breaker: half-open that lasts too long reopens", "[breaker]") {
    manual_clock clock;
    auto config = small;
    config.max_wait_in_half_open = 5s;
    breaker b{config, clock};
    open_with_failures(b, clock);
    clock.advance(10s);
    auto stuck = b.try_acquire(); // a probe that never returns
    CHECK(stuck);
    clock.advance(5s);
    CHECK_FALSE(b.try_acquire());
    CHECK(b.state() == breaker_state::open);
    stuck.record(call_outcome::success, clock.now()); // too late: ignored
    CHECK(b.state() == breaker_state::open);
}

TEST_CASE("breaker: results of permits from before a transition are ignored", "[breaker]") {
    manual_clock clock;
    breaker b{small, clock};
    auto slow_permit = b.try_acquire();
    open_with_failures(b, clock);
    clock.advance(10s);
    auto probe = b.try_acquire();
    slow_permit.record(call_outcome::failure, clock.now()); // from the closed period
    probe.record(call_outcome::success, clock.now());
    CHECK(b.state() == breaker_state::half_open); // one of two probes counted, not the stale one
}

TEST_CASE("breaker: forced open, disabled, metrics only, reset", "[breaker]") {
    manual_clock clock;
    int rejected = 0;
    auto config = small;
    config.on_rejected = [&](breaker_state) { ++rejected; };
    breaker b{config, clock};
    b.force_open();
    CHECK_FALSE(b.try_acquire());
    clock.advance(1h);
    CHECK_FALSE(b.try_acquire()); // never probes
    CHECK(rejected == 2);
    b.disable();
    for (int i = 0; i < 10; ++i) {
        CHECK(call(b, clock, call_outcome::failure));
    }
    CHECK(b.state() == breaker_state::disabled);
    CHECK(b.snapshot().calls == 0);
    b.metrics_only();
    for (int i = 0; i < 10; ++i) {
        CHECK(call(b, clock, call_outcome::failure));
    }
    CHECK(b.state() == breaker_state::metrics_only);
    CHECK(b.snapshot().failure_rate == 100.0);
    b.reset();
    CHECK(b.state() == breaker_state::closed);
    CHECK(b.snapshot().calls == 0);
}

TEST_CASE("breaker: the time window forgets calls older than its seconds", "[breaker]") {
    manual_clock clock;
    breaker b{{.window = bulwark::window_type::time_based, .window_size = 10, .minimum_calls = 4},
              clock};
    CHECK(call(b, clock, call_outcome::failure));
    CHECK(call(b, clock, call_outcome::failure));
    CHECK(call(b, clock, call_outcome::failure));
    clock.advance(10s); // those three are out of the window now
    CHECK(call(b, clock, call_outcome::failure));
    CHECK(b.snapshot().calls == 1);
    CHECK(b.state() == breaker_state::closed);
    CHECK(call(b, clock, call_outcome::failure));
    CHECK(call(b, clock, call_outcome::success));
    CHECK(call(b, clock, call_outcome::success)); // 2 of 4 failed
    CHECK(b.state() == breaker_state::open);
}

TEST_CASE("breaker: open wait jitter stays within its bounds, reproducibly", "[breaker]") {
    const auto waits = [] {
        std::vector<bulwark::duration> w;
        for (int run = 0; run < 20; ++run) {
            manual_clock clock;
            auto config = small;
            config.open_wait_jitter = 0.5;
            config.seed = 99 + static_cast<std::uint64_t>(run);
            breaker b{config, clock};
            for (int i = 0; i < 4; ++i) {
                CHECK(call(b, clock, call_outcome::failure));
            }
            w.push_back(b.snapshot().open_remaining);
        }
        return w;
    };
    const auto first = waits();
    CHECK(first == waits());
    for (const auto w : first) {
        CHECK(w >= 5s);
        CHECK(w <= 15s);
    }
}

TEST_CASE("breaker: classification of results", "[breaker]") {
    breaker b{small, manual_clock{}};
    CHECK(b.classify({.http_status = 200}) == call_outcome::success);
    CHECK(b.classify({.http_status = 404}) == call_outcome::success);
    CHECK(b.classify({.http_status = 503}) == call_outcome::failure);
    CHECK(b.classify({.error = std::make_error_code(std::errc::timed_out)}) ==
          call_outcome::failure);
    CHECK(b.classify({.error = std::make_error_code(std::errc::operation_canceled)}) ==
          call_outcome::ignored);
    auto config = small;
    //! [classify]
    config.classify = [](const bulwark::attempt_result& r) {
        return r.http_status == 429 ? call_outcome::ignored : bulwark::default_classify(r);
    };
    //! [classify]
    breaker custom{config, manual_clock{}};
    CHECK(custom.classify({.http_status = 429}) == call_outcome::ignored);
}

TEST_CASE("breaker: configs are validated naming the field", "[breaker][config]") {
    bulwark::config_issue issue;
    CHECK(bulwark::validate(bulwark::circuit_breaker_config{.failure_rate_threshold = 0}, &issue));
    CHECK(issue.field == "circuit_breaker_config.failure_rate_threshold");
    CHECK(bulwark::validate(bulwark::circuit_breaker_config{.window_size = 0}, &issue));
    CHECK(issue.field == "circuit_breaker_config.window_size");
    CHECK(bulwark::validate(
        bulwark::circuit_breaker_config{.window = bulwark::window_type::time_based,
                                        .window_size = 7200},
        &issue));
    CHECK(bulwark::validate(bulwark::circuit_breaker_config{.permitted_calls_in_half_open = 0},
                            &issue));
    CHECK(issue.field == "circuit_breaker_config.permitted_calls_in_half_open");
    CHECK(bulwark::validate(
        bulwark::circuit_breaker_config{.open_wait_multiplier = 2, .max_wait_in_open = 1s},
        &issue));
    CHECK(issue.field == "circuit_breaker_config.max_wait_in_open");
    CHECK(bulwark::validate(bulwark::circuit_breaker_config{.open_wait_jitter = 1.0}, &issue));
    CHECK_THROWS_WITH(breaker({.wait_in_open = 0s}, manual_clock{}),
                      Catch::Contains("wait_in_open"));
}

TEST_CASE("breaker: racing threads get exactly the permitted half-open probes",
          "[breaker][concurrency]") {
    for (int round = 0; round < 20; ++round) {
        manual_clock clock;
        auto config = small;
        config.permitted_calls_in_half_open = 5;
        breaker b{config, clock};
        open_with_failures(b, clock);
        clock.advance(10s);
        std::atomic<int> granted{0};
        std::atomic<int> ready{0};
        std::vector<std::thread> pool;
        std::vector<breaker::permit> kept[4];
        for (int t = 0; t < 4; ++t) {
            pool.emplace_back([&, t] {
                ready.fetch_add(1); // start together, so the threads really race
                while (ready.load() < 4) {
                }
                for (int i = 0; i < 50; ++i) {
                    if (auto p = b.try_acquire()) {
                        granted.fetch_add(1);
                        kept[t].push_back(std::move(p)); // held: no probe is given back
                    }
                }
            });
        }
        for (auto& t : pool) {
            t.join();
        }
        CHECK(granted.load() == 5);
        CHECK(b.state() == breaker_state::half_open);
    }
}

TEST_CASE("breaker: concurrent failures open it once and nothing is lost",
          "[breaker][concurrency]") {
    manual_clock clock;
    std::atomic<int> openings{0};
    breaker b{{.window_size = 1000,
               .minimum_calls = 1000,
               .wait_in_open = 1h,
               .on_transition =
                   [&](breaker_state, breaker_state to) {
                       if (to == breaker_state::open) {
                           openings.fetch_add(1);
                       }
                   }},
              clock};
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&] {
            for (int i = 0; i < 400; ++i) {
                if (auto p = b.try_acquire()) {
                    p.record(call_outcome::failure, clock.now());
                }
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    // every call fails: the breaker opens when the 1000th result arrives, exactly once; calls
    // granted before that and recorded after are ignored (older generation)
    CHECK(openings.load() == 1);
    CHECK(b.state() == breaker_state::open);
    CHECK(b.snapshot().not_permitted >= 1);
    CHECK(b.snapshot().not_permitted <= 600);
}

TEST_CASE("breaker: a stale now in half-open does not count as a long half-open", "[breaker]") {
    manual_clock clock;
    auto config = small;
    config.max_wait_in_half_open = 5s;
    breaker b{config, clock};
    open_with_failures(b, clock);
    const auto t = clock.now() + 10s;
    auto probe = b.try_acquire(t + 2ms); // moves to half-open at t + 2 ms
    CHECK(probe);
    auto second = b.try_acquire(t + 1ms); // read before the transition: must not wrap around
    CHECK(second);
    CHECK(b.state() == breaker_state::half_open);
}

TEST_CASE("breaker: jitter never pushes the open wait past its cap", "[breaker]") {
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        manual_clock clock;
        auto config = small;
        config.open_wait_multiplier = 2;
        config.max_wait_in_open = 15s;
        config.open_wait_jitter = 0.5;
        config.seed = seed;
        breaker b{config, clock};
        open_with_failures(b, clock);
        for (int trip = 1; trip < 4; ++trip) {
            CHECK(b.snapshot().open_remaining <= 15s);
            clock.advance(b.snapshot().open_remaining);
            CHECK(call(b, clock, call_outcome::failure)); // the probe fails: reopens
        }
        CHECK(b.snapshot().open_remaining <= 15s);
    }
}
