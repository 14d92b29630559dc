#include <bulwark/core/health/circuit_breaker_check.hpp>
#include <bulwark/core/health/health_registry.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using bulwark::health_status;
using bulwark::manual_clock;

TEST_CASE("A circuit breaker contributes its state to readiness", "[health][circuit_breaker]") {
    manual_clock clock{std::chrono::steady_clock::now()};
    bulwark::basic_circuit_breaker<manual_clock> breaker{{.failure_rate_threshold = 50,
                                                          .window_size = 4,
                                                          .minimum_calls = 4,
                                                          .permitted_calls_in_half_open = 1,
                                                          .wait_in_open = 10s},
                                                         clock};
    const bulwark::circuit_breaker_check check{breaker};
    CHECK(check().status == health_status::pass);
    CHECK_FALSE(check().observed_value.has_value());

    for (int i = 0; i < 4; ++i) {
        auto p = breaker.try_acquire();
        REQUIRE(p);
        p.record(bulwark::call_outcome::failure);
    }
    auto open = check();
    CHECK(open.status == health_status::fail);
    CHECK(open.output == "circuit open");
    REQUIRE(open.observed_value.has_value());
    CHECK(*open.observed_value == 100.0);
    CHECK(open.observed_unit == "percent");

    clock.advance(10s);
    auto probe = breaker.try_acquire(); // the open wait is over: half-open
    REQUIRE(probe);
    CHECK(check().status == health_status::warn);
    probe.record(bulwark::call_outcome::success);
    CHECK(check().status == health_status::pass);

    breaker.force_open();
    CHECK(check().output == "circuit forced_open");

    // Registered non-critical, an open breaker only degrades readiness to warn.
    bulwark::health_registry r;
    const auto id = r.add({.name = "payments:circuit", .critical = false});
    r.record(id, check(), std::chrono::system_clock::now(), 0s);
    CHECK(r.status("readiness") == health_status::warn);
}
