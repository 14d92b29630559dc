#ifndef BULWARK_TESTS_SUPPORT_REDIS_FIXTURE_HPP
#define BULWARK_TESTS_SUPPORT_REDIS_FIXTURE_HPP

// What the redis tests share: an io_context run by a background thread, the connection
// config they use (generous timeouts: the sanitizer builds run suites in parallel on two
// cores; the tests of timeouts set their own), a started connection to a fresh redis-server,
// and a bounded wait for one command.

#include <bulwark/redis/connection.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <support/eventually.hpp>
#include <support/redis_server.hpp>
#include <thread>

namespace bulwark::test {

// An io_context run by one background thread for the test's lifetime.
struct io_thread {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        io.get_executor()};
    std::thread thread{[this] { io.run(); }};
    ~io_thread() {
        work.reset();
        io.stop();
        thread.join();
    }
};

inline redis::connection_config redis_test_config(std::uint16_t port) {
    using namespace std::chrono_literals;
    return {.port = port, .command_timeout = 5s, .reconnect = {.initial = 10ms, .max = 100ms}};
}

// A fresh redis-server, an io thread and a connection to the server, connected.
struct redis_fixture {
    redis_server server;
    io_thread t;
    redis::connection c{t.io.get_executor(), redis_test_config(server.port())};

    explicit redis_fixture(redis_server_options o = {}) : server{std::move(o)} {
        c.start();
        REQUIRE(eventually([&] { return c.connected(); }));
    }
};

// Two connections to one server (two instances of a service), both connected.
struct two_connections {
    redis::connection a;
    redis::connection b;
    two_connections(io_thread& t, std::uint16_t port)
        : a{t.io.get_executor(), redis_test_config(port)}, b{t.io.get_executor(),
                                                             redis_test_config(port)} {
        a.start();
        b.start();
        REQUIRE(eventually([&] { return a.connected() && b.connected(); }));
    }
};

// Runs one command and returns its reply (throws what async_exec reports); bounded.
inline redis::reply run(redis::connection& c, redis::command cmd) {
    auto f = c.async_exec(std::move(cmd), boost::asio::use_future);
    REQUIRE(f.wait_for(std::chrono::seconds{10}) == std::future_status::ready);
    return f.get();
}

} // namespace bulwark::test

#endif
