#include <bulwark/asio/health/event_loop_lag.hpp>
#include <bulwark/asio/health/health_monitor.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>

#include <support/manual_timer.hpp>
#include <thread>

using namespace std::chrono_literals;
using bulwark::health_status;
using bulwark::test::manual_asio_clock;
using bulwark::test::settle;
using lag_probe = bulwark::basic_event_loop_lag<bulwark::test::manual_timer>;

TEST_CASE("event_loop_lag config is validated by field", "[health][lag]") {
    boost::asio::io_context io;
    CHECK_THROWS_WITH(lag_probe(io.get_executor(), {.sample_interval = 0ms}),
                      Catch::Contains("event_loop_lag_config.sample_interval"));
    CHECK_THROWS_WITH(lag_probe(io.get_executor(), {.warn_above = -1ms}),
                      Catch::Contains("event_loop_lag_config.warn_above"));
    CHECK_THROWS_WITH(lag_probe(io.get_executor(), {.warn_above = 2s, .fail_above = 1s}),
                      Catch::Contains("event_loop_lag_config.fail_above"));
    CHECK_NOTHROW(lag_probe(io.get_executor(), {.warn_above = 0s, .fail_above = 1s}));
}

TEST_CASE("A loop that keeps up has no lag", "[health][lag]") {
    boost::asio::io_context io;
    lag_probe probe{io.get_executor()};
    probe.start();
    for (int i = 0; i < 5; ++i) {
        manual_asio_clock::advance(100ms);
        settle(io);
    }
    const auto r = probe.check();
    CHECK(r.status == health_status::pass);
    CHECK(r.observed_value == 0.0);
    CHECK(r.observed_unit == "ms");
}

TEST_CASE("A handler that blocks the loop shows up as lag", "[health][lag]") {
    boost::asio::io_context io;
    lag_probe probe{io.get_executor(),
                    {.sample_interval = 100ms, .warn_above = 100ms, .fail_above = 1s}};
    probe.start();
    settle(io);
    // A handler holds the loop for 400 ms (in manual time): the sample due 100 ms after the
    // start runs 300 ms late.
    boost::asio::post(io, [] { manual_asio_clock::advance(400ms); });
    settle(io);
    auto r = probe.check();
    CHECK(r.status == health_status::warn);
    CHECK(r.observed_value == 300.0);
    CHECK(r.output == "event loop lag 300 ms");
    // The window restarts at each check: a loop that keeps up again passes.
    manual_asio_clock::advance(100ms);
    settle(io);
    CHECK(probe.check().status == health_status::pass);
    // 1.5 s blocked: fail.
    boost::asio::post(io, [] { manual_asio_clock::advance(1500ms); });
    settle(io);
    r = probe.check();
    CHECK(r.status == health_status::fail);
    CHECK(*r.observed_value >= 1400.0);
}

TEST_CASE("A loop blocked right now is seen from another thread", "[health][lag]") {
    boost::asio::io_context io;
    lag_probe probe{io.get_executor()};
    probe.start();
    settle(io);
    // Nobody runs the loop (it is stuck in a handler): the pending sample becomes overdue.
    manual_asio_clock::advance(2100ms);
    const auto r = probe.check();
    CHECK(r.status == health_status::fail);
    CHECK(r.observed_value == 2000.0);
    probe.stop();
    CHECK(probe.check().status == health_status::pass); // stopped: no pending sample
}

TEST_CASE("Event-loop lag of a really blocked io_context, on the steady clock", "[health][lag]") {
    // The one test on real time: what is measured here is real time. A handler spins for
    // 300 ms on the loop's only thread; the probe, asked from another thread, sees it.
    boost::asio::io_context io;
    bulwark::event_loop_lag probe{
        io.get_executor(), {.sample_interval = 10ms, .warn_above = 100ms, .fail_above = 10s}};
    probe.start();
    std::atomic<bool> blocking{false};
    boost::asio::post(io, [&] {
        blocking = true;
        const auto until = std::chrono::steady_clock::now() + 300ms;
        while (std::chrono::steady_clock::now() < until) {
        }
        io.stop();
    });
    std::thread loop{[&] { io.run(); }};
    loop.join();
    const auto r = probe.check();
    CHECK(blocking);
    CHECK(r.status == health_status::warn);
    CHECK(*r.observed_value >= 200.0);
    probe.stop();
}

TEST_CASE("The lag probe as a monitored liveness check", "[health][lag]") {
    boost::asio::io_context io;
    bulwark::health_registry registry;
    lag_probe probe{io.get_executor()};
    bulwark::basic_health_monitor<bulwark::test::manual_timer> monitor{io.get_executor(), registry};
    //! [lag]
    probe.start();
    monitor.add({.name = "eventloop:lag",
                 .groups = {"liveness"},
                 .timeout = 1s,
                 .interval = 5s,
                 .component_type = "system"},
                probe.as_check());
    //! [lag]
    monitor.start();
    REQUIRE(bulwark::test::run_until(
        io, [&] { return registry.report("liveness")->checks[0].completed; }));
    CHECK(registry.status("liveness") == health_status::pass);
    monitor.stop();
    probe.stop();
}
