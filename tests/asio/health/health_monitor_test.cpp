#include <bulwark/asio/health/health_monitor.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <support/manual_timer.hpp>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bulwark::check_result;
using bulwark::health_registry;
using bulwark::health_status;
using bulwark::test::manual_asio_clock;
using bulwark::test::run_until;
using bulwark::test::settle;
using monitor_type = bulwark::basic_health_monitor<bulwark::test::manual_timer>;

namespace {

// An asynchronous check that never completes on its own: it ends only when cancelled, with
// fail("cancelled"), the way a connect to a black-holed address ends at its timeout. Like an
// Asio I/O object, it owns its pending operations; the cancellation handler refers to them
// without owning them.
struct hanging_check {
    using handler_type = boost::asio::any_completion_handler<void(check_result)>;
    std::shared_ptr<std::atomic<int>> started = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<std::atomic<int>> cancelled = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<std::vector<std::shared_ptr<handler_type>>> pending =
        std::make_shared<std::vector<std::shared_ptr<handler_type>>>();

    template <class Token>
    auto operator()(Token&& token) {
        return boost::asio::async_initiate<Token, void(check_result)>(
            [s = started, c = cancelled, p = pending](auto handler) {
                ++*s;
                auto slot = boost::asio::get_associated_cancellation_slot(handler);
                REQUIRE(slot.is_connected());
                auto ex = boost::asio::get_associated_executor(handler);
                auto h = std::make_shared<handler_type>(std::move(handler));
                p->push_back(h);
                slot.assign(
                    [c, ex, w = std::weak_ptr<handler_type>{h}](boost::asio::cancellation_type) {
                        ++*c;
                        if (auto op = w.lock(); op && *op) {
                            boost::asio::post(ex, [op] {
                                auto once = std::move(*op);
                                std::move(once)(check_result::fail("cancelled"));
                            });
                        }
                    });
            },
            token);
    }
};

std::string output_of(const health_registry& r, std::string_view group = "readiness") {
    return r.report(group)->checks.at(0).result.output;
}

} // namespace

TEST_CASE("A sync check runs at start, then once per interval", "[health][monitor]") {
    boost::asio::io_context io;
    health_registry registry;
    monitor_type monitor{io.get_executor(), registry};
    std::atomic<int> runs{0};
    //! [monitor-sync]
    monitor.add({.name = "queue:depth", .timeout = 1s, .interval = 10s}, [&runs] {
        ++runs;
        return check_result::pass().observed(3, "messages");
    });
    monitor.start();
    //! [monitor-sync]
    REQUIRE(run_until(io, [&] { return registry.status("readiness") == health_status::pass; }));
    CHECK(runs == 1);
    const auto rep = registry.report("readiness");
    CHECK(rep->checks[0].result.observed_value == 3.0);

    manual_asio_clock::advance(9s);
    settle(io);
    CHECK(runs == 1);
    manual_asio_clock::advance(1s);
    REQUIRE(run_until(io, [&] { return runs == 2; }));
    settle(io);
    CHECK(runs == 2);
    manual_asio_clock::advance(25s); // late: one catch-up run, not two
    REQUIRE(run_until(io, [&] { return runs == 3; }));
    settle(io);
    CHECK(runs == 3);
}

TEST_CASE("An async check that hangs fails at its timeout and is cancelled", "[health][monitor]") {
    boost::asio::io_context io;
    std::vector<std::pair<health_status, bool>> runs;
    health_registry registry{{.on_run = [&](const bulwark::health_run& r) {
        runs.emplace_back(r.status, r.timed_out);
    }}};
    monitor_type monitor{io.get_executor(), registry};
    hanging_check check;
    monitor.add({.name = "upstream", .timeout = 2s, .interval = 10s}, check);
    monitor.start();
    REQUIRE(run_until(io, [&] { return *check.started == 1; }));
    settle(io);
    CHECK(runs.empty());
    CHECK(output_of(registry) == "pending");

    manual_asio_clock::advance(2s);
    REQUIRE(run_until(io, [&] { return runs.size() == 1; }));
    settle(io);
    CHECK(runs[0] == std::pair{health_status::fail, true});
    CHECK(output_of(registry) == "timed out after 2000 ms");
    CHECK(registry.report("readiness")->checks[0].took == 2s);
    CHECK(*check.cancelled == 1);
    CHECK(runs.size() == 1); // the late "cancelled" completion was discarded

    manual_asio_clock::advance(8s); // the next run starts on schedule
    REQUIRE(run_until(io, [&] { return *check.started == 2; }));
}

TEST_CASE("Coroutine checks run and are cancelled at their timeout", "[health][monitor]") {
    boost::asio::io_context io;
    health_registry registry;
    monitor_type monitor{io.get_executor(), registry};
    std::atomic<bool> aborted{false};
    //! [monitor-coroutine]
    monitor.add({.name = "cache", .timeout = 1s, .interval = 5s},
                []() -> boost::asio::awaitable<check_result> {
                    co_return check_result::warn("2 of 3 nodes");
                });
    //! [monitor-coroutine]
    monitor.add({.name = "slow", .groups = {"deep"}, .timeout = 1s, .interval = 5s},
                [&]() -> boost::asio::awaitable<check_result> {
                    bulwark::test::manual_timer t{co_await boost::asio::this_coro::executor, 1h};
                    try {
                        co_await t.async_wait(boost::asio::use_awaitable);
                    } catch (const boost::system::system_error&) {
                        aborted = true;
                        throw;
                    }
                    co_return check_result::pass();
                });
    monitor.start();
    REQUIRE(run_until(io, [&] { return registry.report("readiness")->checks[0].completed; }));
    CHECK(registry.status("readiness") == health_status::warn);
    CHECK(output_of(registry) == "2 of 3 nodes");
    manual_asio_clock::advance(1s);
    REQUIRE(run_until(io, [&] { return aborted.load(); }));
    CHECK(registry.status("deep") == health_status::fail);
    CHECK(output_of(registry, "deep") == "timed out after 1000 ms");
}

TEST_CASE("Throwing checks and garbage results are failures", "[health][monitor]") {
    boost::asio::io_context io;
    health_registry registry;
    monitor_type monitor{io.get_executor(), registry};
    monitor.add({.name = "throws", .groups = {"a"}},
                []() -> check_result { throw std::runtime_error{"boom"}; });
    monitor.add({.name = "throws-int", .groups = {"b"}}, []() -> check_result { throw 42; });
    monitor.add({.name = "garbage", .groups = {"c"}}, [] {
        check_result r;
        r.status = static_cast<health_status>(7);
        return r;
    });
    monitor.add({.name = "coroutine-throws", .groups = {"d"}},
                []() -> boost::asio::awaitable<check_result> {
                    throw std::logic_error{"bad state"};
                    co_return check_result::pass();
                });
    monitor.add({.name = "initiation-throws", .groups = {"e"}},
                [](auto&&) -> void { throw std::runtime_error{"cannot start"}; });
    monitor.start();
    REQUIRE(run_until(io, [&] {
        for (const char* g : {"a", "b", "c", "d", "e"}) {
            if (!registry.report(g)->checks[0].completed) {
                return false;
            }
        }
        return true;
    }));
    CHECK(output_of(registry, "a") == "check threw: boom");
    CHECK(output_of(registry, "b") == "check threw an exception");
    CHECK(output_of(registry, "c") == "invalid check result");
    CHECK(output_of(registry, "d") == "check threw: bad state");
    CHECK(output_of(registry, "e") == "check threw: cannot start");
    for (const char* g : {"a", "b", "c", "d", "e"}) {
        CHECK(registry.status(g) == health_status::fail);
    }
}

TEST_CASE("A hung blocking check times out and is not started again until it returns",
          "[health][monitor]") {
    boost::asio::io_context io;
    boost::asio::thread_pool blocking{1};
    health_registry registry;
    monitor_type monitor{
        io.get_executor(), registry, {.blocking_executor = blocking.get_executor()}};
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<int> calls{0};
    monitor.add({.name = "nfs", .timeout = 1s, .interval = 5s}, [&calls, released] {
        if (++calls == 1) {
            released.wait(); // a stuck syscall
        }
        return check_result::pass();
    });
    monitor.start();
    REQUIRE(run_until(io, [&] { return calls == 1; }));
    manual_asio_clock::advance(1s);
    REQUIRE(run_until(io, [&] { return registry.report("readiness")->checks[0].completed; }));
    CHECK(output_of(registry) == "timed out after 1000 ms");
    manual_asio_clock::advance(4s); // next interval: still hung, not started again
    settle(io);
    CHECK(calls == 1);
    release.set_value();
    settle(io); // the late pass is discarded
    CHECK(output_of(registry) == "timed out after 1000 ms");
    manual_asio_clock::advance(5s);
    REQUIRE(run_until(io, [&] { return registry.status("readiness") == health_status::pass; }));
    CHECK(calls == 2);
    monitor.stop();
    blocking.join();
}

TEST_CASE("stop() cancels runs in flight and records nothing after", "[health][monitor]") {
    boost::asio::io_context io;
    int recorded = 0;
    health_registry registry{{.on_run = [&](const bulwark::health_run&) { ++recorded; }}};
    hanging_check check;
    {
        monitor_type monitor{io.get_executor(), registry};
        monitor.add({.name = "upstream"}, check);
        monitor.start();
        REQUIRE(run_until(io, [&] { return *check.started == 1; }));
        monitor.stop();
        monitor.stop(); // idempotent
        REQUIRE(run_until(io, [&] { return *check.cancelled == 1; }));
    }
    manual_asio_clock::advance(1h);
    settle(io);
    CHECK(recorded == 0);
    CHECK(*check.started == 1);
    CHECK(io.poll() == 0); // nothing left scheduled
}

TEST_CASE("Destroying the monitor with a coroutine check in flight is safe", "[health][monitor]") {
    boost::asio::io_context io;
    health_registry registry;
    std::atomic<bool> waiting{false};
    std::atomic<bool> ended{false};
    {
        monitor_type monitor{io.get_executor(), registry};
        monitor.add({.name = "slow"}, [&]() -> boost::asio::awaitable<check_result> {
            bulwark::test::manual_timer t{co_await boost::asio::this_coro::executor, 1h};
            waiting = true;
            auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            ended = true;
            co_return check_result::fail(ec.message());
        });
        monitor.start();
        REQUIRE(run_until(io, [&] { return waiting.load(); }));
    } // the coroutine is still waiting; its cancellation and completion run after this
    REQUIRE(run_until(io, [&] { return ended.load(); }));
    settle(io);
    CHECK_FALSE(registry.report("readiness")->checks[0].completed);
}

TEST_CASE("A coroutine check function that throws before its coroutine exists fails",
          "[health][monitor]") {
    boost::asio::io_context io;
    health_registry registry;
    monitor_type monitor{io.get_executor(), registry};
    monitor.add({.name = "broken"}, []() -> boost::asio::awaitable<check_result> {
        throw std::runtime_error{"no coroutine"};
    });
    monitor.add({.name = "fine", .groups = {"other"}}, [] { return check_result::pass(); });
    monitor.start();
    REQUIRE(run_until(io, [&] {
        return registry.report("readiness")->checks[0].completed &&
               registry.report("other")->checks[0].completed;
    }));
    CHECK(output_of(registry) == "check threw: no coroutine");
    CHECK(registry.status("other") == health_status::pass);
}

TEST_CASE("Registration errors: duplicates, bad config, add after start", "[health][monitor]") {
    boost::asio::io_context io;
    health_registry registry;
    monitor_type monitor{io.get_executor(), registry};
    monitor.add({.name = "db"}, [] { return check_result::pass(); });
    CHECK_THROWS_WITH(monitor.add({.name = "db"}, [] { return check_result::pass(); }),
                      Catch::Contains("health_check_config.name"));
    CHECK_THROWS_WITH(
        monitor.add({.name = "x", .timeout = 0s}, [] { return check_result::pass(); }),
        Catch::Contains("health_check_config.timeout"));
    monitor.start();
    CHECK_THROWS_AS(monitor.add({.name = "late"}, [] { return check_result::pass(); }),
                    std::logic_error);
    CHECK(registry.size() == 1);
}

TEST_CASE("Checks completing on other threads race their timeouts safely",
          "[health][monitor][concurrency]") {
    boost::asio::io_context io;
    boost::asio::thread_pool others{2};
    std::atomic<int> recorded{0};
    health_registry registry{{.on_run = [&](const bulwark::health_run&) { ++recorded; }}};
    monitor_type monitor{io.get_executor(), registry};
    constexpr int checks = 16;
    std::atomic<int> calls{0};
    for (int i = 0; i < checks; ++i) {
        // Completes from a pool thread, sometimes before the timeout, sometimes racing it.
        monitor.add({.name = "c" + std::to_string(i), .timeout = 1s, .interval = 1s},
                    [&, ex = others.get_executor()](auto token) {
                        return boost::asio::async_initiate<decltype(token), void(check_result)>(
                            [&, ex](auto handler) {
                                ++calls;
                                boost::asio::post(ex, [h = std::move(handler)]() mutable {
                                    std::move(h)(check_result::pass());
                                });
                            },
                            token);
                    });
    }
    monitor.start();
    std::vector<std::thread> threads;
    std::atomic<bool> done{false};
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&] {
            while (!done) {
                io.run_for(1ms);
                io.restart();
            }
        });
    }
    for (int round = 0; round < 20; ++round) {
        const int target = (round + 1) * checks;
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (recorded < target && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
        }
        manual_asio_clock::advance(1s);
    }
    monitor.stop();
    done = true;
    for (auto& t : threads) {
        t.join();
    }
    others.join();
    // Each run is recorded exactly once, as a pass or as a timeout, never both.
    CHECK(recorded.load() <= calls.load());
    CHECK(recorded.load() >= 20 * checks);
}
