#include <bulwark/asio/shutdown/graceful_shutdown.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <optional>
#include <system_error>

namespace net = boost::asio;
using namespace std::chrono_literals;

TEST_CASE("drain runs callbacks once and completes when the last work ends", "[shutdown]") {
    net::io_context ioc;
    //! [track]
    bulwark::graceful_shutdown shutdown{ioc.get_executor(), {.drain_timeout = 60s, .signals = {}}};
    int callbacks = 0;
    shutdown.on_drain([&] { ++callbacks; });
    auto first = shutdown.track();
    auto second = shutdown.track();
    //! [track]
    CHECK(shutdown.in_flight() == 2);

    std::optional<boost::system::error_code> result;
    shutdown.async_wait_drained([&](boost::system::error_code ec) { result = ec; });
    ioc.poll();
    CHECK_FALSE(result); // not draining yet
    CHECK_FALSE(shutdown.draining());

    shutdown.drain();
    shutdown.drain(); // idempotent
    ioc.poll();
    CHECK(shutdown.draining());
    CHECK(callbacks == 1);
    CHECK_FALSE(result); // work still running

    first.reset();
    ioc.poll();
    CHECK_FALSE(result);
    auto late = shutdown.track(); // work accepted during the drain is waited for too
    second = bulwark::graceful_shutdown::work{};
    ioc.poll();
    CHECK_FALSE(result);
    late.reset();
    ioc.poll();
    REQUIRE(result);
    CHECK_FALSE(*result);
    CHECK(shutdown.signal_number() == 0);
}

TEST_CASE("the drain deadline ends the wait with deadline_exceeded", "[shutdown]") {
    net::io_context ioc;
    bulwark::graceful_shutdown shutdown{ioc.get_executor(), {.drain_timeout = 0s, .signals = {}}};
    auto stuck = shutdown.track();
    auto waited = shutdown.async_wait_drained(net::use_future);
    shutdown.drain();
    ioc.run_for(5s);
    REQUIRE(waited.wait_for(0s) == std::future_status::ready);
    try {
        waited.get();
        FAIL("expected deadline_exceeded");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == bulwark::error::deadline_exceeded);
    }
}

TEST_CASE("SIGTERM begins draining", "[shutdown]") {
    net::io_context ioc;
    bulwark::graceful_shutdown shutdown{ioc.get_executor()};
    bool called = false;
    shutdown.on_drain([&] { called = true; });
    bool done = false;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            co_await shutdown.async_wait_drained(net::use_awaitable);
            done = true;
        },
        net::detached);
    ioc.poll();
    std::raise(SIGTERM);
    ioc.run_for(5s);
    CHECK(called);
    CHECK(done);
    CHECK(shutdown.signal_number() == SIGTERM);
}

TEST_CASE("waiting is cancellable; destruction aborts waiters", "[shutdown]") {
    net::io_context ioc;
    std::optional<boost::system::error_code> cancelled;
    std::optional<boost::system::error_code> aborted;
    net::cancellation_signal signal;
    {
        bulwark::graceful_shutdown shutdown{ioc.get_executor(), {.signals = {}}};
        shutdown.async_wait_drained(net::bind_cancellation_slot(
            signal.slot(), [&](boost::system::error_code ec) { cancelled = ec; }));
        shutdown.async_wait_drained([&](boost::system::error_code ec) { aborted = ec; });
        ioc.poll();
        signal.emit(net::cancellation_type::terminal);
        ioc.poll();
        REQUIRE(cancelled);
        CHECK(*cancelled == net::error::operation_aborted);
        CHECK_FALSE(aborted);
        CHECK_FALSE(shutdown.draining()); // cancelling a wait does not drain
    }
    ioc.poll();
    REQUIRE(aborted);
    CHECK(*aborted == net::error::operation_aborted);
}

TEST_CASE("a negative drain timeout is refused naming the field", "[shutdown]") {
    net::io_context ioc;
    bulwark::config_issue issue;
    CHECK(bulwark::graceful_shutdown::validate({.drain_timeout = -1s}, &issue) ==
          bulwark::error::invalid_config);
    CHECK(issue.field == "graceful_shutdown_config.drain_timeout");
    CHECK_THROWS_AS(bulwark::graceful_shutdown(ioc.get_executor(), {.drain_timeout = -1s}),
                    std::system_error);
}

TEST_CASE("drain callbacks run before a waiter can see the drain finished", "[shutdown]") {
    // With no tracked work the drain is over at once; a waiter that stops the io_context on
    // completion (as main() does) must still not skip the callbacks (stop accepting...).
    net::io_context ioc;
    bulwark::graceful_shutdown shutdown{ioc.get_executor(), {.signals = {}}};
    bool callback_ran = false;
    shutdown.on_drain([&] { callback_ran = true; });
    bool completed_after_callback = false;
    shutdown.async_wait_drained([&](boost::system::error_code ec) {
        completed_after_callback = !ec && callback_ran;
        ioc.stop();
    });
    ioc.poll();
    shutdown.drain();
    ioc.run_for(5s);
    CHECK(callback_ran);
    CHECK(completed_after_callback);
}
