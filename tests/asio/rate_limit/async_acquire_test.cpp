#include <bulwark/asio/rate_limit/async_acquire.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

namespace net = boost::asio;
using bulwark::concurrency_limiter;
using bulwark::concurrency_permit;
using error_code = boost::system::error_code;

TEST_CASE("async_acquire with a callback completes through the executor", "[async_acquire]") {
    net::io_context ioc;
    concurrency_limiter lim{{.max_in_flight = 1}};
    bool called = false;
    bulwark::async_acquire(ioc.get_executor(), lim, [&](error_code ec, concurrency_permit p) {
        CHECK_FALSE(ec);
        CHECK(p);
        CHECK(lim.snapshot().in_flight == 1);
        called = true;
    });
    CHECK_FALSE(called); // never inside the initiating function
    ioc.run();
    CHECK(called);
    CHECK(lim.snapshot().in_flight == 0); // the permit was released with the handler's copy
}

TEST_CASE("async_acquire with use_future", "[async_acquire]") {
    net::io_context ioc;
    concurrency_limiter lim{{.max_in_flight = 2}};
    auto future = bulwark::async_acquire(ioc.get_executor(), lim, net::use_future);
    ioc.run();
    auto permit = future.get();
    CHECK(permit);
    CHECK(lim.snapshot().in_flight == 1);
}

TEST_CASE("async_acquire with deferred runs only when invoked", "[async_acquire]") {
    net::io_context ioc;
    concurrency_limiter lim{{.max_in_flight = 1}};
    auto op = bulwark::async_acquire(ioc.get_executor(), lim, net::deferred);
    ioc.run();
    ioc.restart();
    CHECK(lim.snapshot().in_flight == 0); // nothing started yet
    std::optional<concurrency_permit> got;
    std::move(op)([&](error_code ec, concurrency_permit p) {
        CHECK_FALSE(ec);
        got = std::move(p);
    });
    ioc.run();
    REQUIRE(got);
    CHECK(*got);
}

TEST_CASE("async_acquire with use_awaitable and as_tuple", "[async_acquire]") {
    net::io_context ioc;
    concurrency_limiter lim{{.max_in_flight = 1, .max_waiters = 0}};
    bool done = false;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            //! [async_acquire]
            auto first =
                co_await bulwark::async_acquire(ioc.get_executor(), lim, net::use_awaitable);
            //! [async_acquire]
            CHECK(first);
            // full and no waiting allowed: use_awaitable throws, as_tuple returns the error
            try {
                co_await bulwark::async_acquire(ioc.get_executor(), lim, net::use_awaitable);
                FAIL("no exception");
            } catch (const boost::system::system_error& e) {
                CHECK(e.code() == bulwark::error::concurrency_limited);
            }
            auto [ec, second] = co_await bulwark::async_acquire(ioc.get_executor(), lim,
                                                                net::as_tuple(net::use_awaitable));
            CHECK(ec == bulwark::error::concurrency_limited);
            CHECK_FALSE(second);
            done = true;
        },
        net::detached);
    ioc.run();
    CHECK(done);
}

TEST_CASE("async_acquire waiters get released permits in FIFO order", "[async_acquire]") {
    net::io_context ioc;
    concurrency_limiter lim{{.max_in_flight = 1, .max_waiters = 3}};
    auto held = lim.try_acquire();
    REQUIRE(held);
    std::vector<int> order;
    std::vector<concurrency_permit> permits;
    for (int i = 0; i < 3; ++i) {
        bulwark::async_acquire(ioc.get_executor(), lim,
                               [&, i](error_code ec, concurrency_permit p) {
                                   CHECK_FALSE(ec);
                                   order.push_back(i);
                                   permits.push_back(std::move(p));
                               });
    }
    ioc.poll();
    CHECK(order.empty());
    CHECK(lim.snapshot().waiting == 3);
    CHECK_FALSE(lim.try_acquire()); // waiters are not overtaken

    // a fourth caller finds the queue full
    std::optional<error_code> fourth;
    bulwark::async_acquire(ioc.get_executor(), lim,
                           [&](error_code ec, concurrency_permit) { fourth = ec; });
    ioc.poll();
    REQUIRE(fourth);
    CHECK(*fourth == bulwark::error::queue_full);

    held.release();
    ioc.poll();
    CHECK(order == std::vector<int>{0});
    CHECK(lim.snapshot().in_flight == 1); // handed over, never freed
    permits.clear();                      // releases waiter 0's permit to waiter 1
    ioc.poll();
    CHECK(order == std::vector<int>{0, 1});
    permits.clear();
    ioc.poll();
    CHECK(order == std::vector<int>{0, 1, 2});
    permits.clear();
    CHECK(lim.snapshot().in_flight == 0);
    CHECK(lim.snapshot().waiting == 0);
}

TEST_CASE("async_acquire honours terminal, partial and total cancellation", "[async_acquire]") {
    for (const auto type : {net::cancellation_type::terminal, net::cancellation_type::partial,
                            net::cancellation_type::total}) {
        net::io_context ioc;
        concurrency_limiter lim{{.max_in_flight = 1, .max_waiters = 2}};
        auto held = lim.try_acquire();
        net::cancellation_signal signal;
        std::optional<error_code> result;
        bool got_permit = true;
        bulwark::async_acquire(
            ioc.get_executor(), lim,
            net::bind_cancellation_slot(signal.slot(), [&](error_code ec, concurrency_permit p) {
                result = ec;
                got_permit = static_cast<bool>(p);
            }));
        ioc.poll();
        CHECK(lim.snapshot().waiting == 1);
        signal.emit(type);
        ioc.poll();
        REQUIRE(result);
        CHECK(*result == net::error::operation_aborted);
        CHECK_FALSE(got_permit);
        CHECK(lim.snapshot().waiting == 0);
        held.release();
        CHECK(lim.snapshot().in_flight == 0); // nobody left to hand it to
    }
}

TEST_CASE("a cancellation after the grant leaves the permit with the handler", "[async_acquire]") {
    net::io_context ioc;
    concurrency_limiter lim{{.max_in_flight = 1, .max_waiters = 1}};
    auto held = lim.try_acquire();
    net::cancellation_signal signal;
    std::optional<error_code> result;
    concurrency_permit kept;
    bulwark::async_acquire(
        ioc.get_executor(), lim,
        net::bind_cancellation_slot(signal.slot(), [&](error_code ec, concurrency_permit p) {
            result = ec;
            kept = std::move(p);
        }));
    held.release();                                // granted: the completion is posted
    signal.emit(net::cancellation_type::terminal); // too late: no effect
    ioc.run();
    REQUIRE(result);
    CHECK_FALSE(*result);
    CHECK(kept);
}

TEST_CASE("async_acquire never exceeds max_in_flight under a thread pool",
          "[async_acquire][concurrency]") {
    net::thread_pool pool{4};
    concurrency_limiter lim{{.max_in_flight = 3, .max_waiters = 1000}};
    std::atomic<int> running{0};
    std::atomic<int> peak{0};
    std::atomic<int> completed{0};
    std::atomic<int> failed{0}; // Catch2 assertions are not thread-safe: count, check after
    constexpr int total = 400;
    for (int i = 0; i < total; ++i) {
        bulwark::async_acquire(pool.get_executor(), lim, [&](error_code ec, concurrency_permit p) {
            if (ec || !p) {
                failed.fetch_add(1);
            }
            const int now = running.fetch_add(1) + 1;
            int seen = peak.load();
            while (now > seen && !peak.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::yield();
            running.fetch_sub(1);
            p.release();
            completed.fetch_add(1);
        });
    }
    pool.join();
    CHECK(completed.load() == total);
    CHECK(failed.load() == 0);
    CHECK(peak.load() <= 3);
    CHECK(lim.snapshot().in_flight == 0);
    CHECK(lim.snapshot().waiting == 0);
}

TEST_CASE("cancelling a coroutine cancels its async_acquire", "[async_acquire][cancel]") {
    net::io_context ioc;
    concurrency_limiter lim{{.max_in_flight = 1, .max_waiters = 1}};
    auto held = lim.try_acquire();
    net::cancellation_signal signal;
    std::optional<error_code> result;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            try {
                co_await bulwark::async_acquire(ioc.get_executor(), lim, net::use_awaitable);
                result = error_code{};
            } catch (const boost::system::system_error& e) {
                result = e.code();
            }
        },
        net::bind_cancellation_slot(signal.slot(), net::detached));
    ioc.poll();
    CHECK(lim.snapshot().waiting == 1);
    signal.emit(net::cancellation_type::terminal);
    ioc.run();
    REQUIRE(result);
    CHECK(*result == net::error::operation_aborted);
    CHECK(lim.snapshot().waiting == 0);
}
