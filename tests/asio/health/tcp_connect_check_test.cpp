#include <bulwark/asio/health/tcp_connect_check.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace net = boost::asio;
using bulwark::check_result;
using bulwark::health_status;
using bulwark::tcp_connect_check;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

// Runs `ioc` until it runs out of work, which every test below expects; the bound is only a
// hang guard, and hitting it fails the test.
void run(net::io_context& ioc) {
    ioc.run_for(10s);
    CHECK(ioc.stopped());
}

const auto loopback = net::ip::make_address("127.0.0.1");

// A listening socket on 127.0.0.1:0 that accepts (and counts) connections.
struct listener {
    explicit listener(net::io_context& ioc) : acceptor{ioc, {loopback, 0}} {}

    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    void accept(int n) {
        if (n == 0) {
            return;
        }
        acceptor.async_accept([this, n](boost::system::error_code ec, tcp::socket) {
            if (!ec) {
                ++accepted;
                accept(n - 1);
            }
        });
    }

    tcp::acceptor acceptor;
    int accepted = 0;
};

// A port on which nothing listens: bound, then closed, so the kernel answers SYN with RST.
std::uint16_t closed_port(net::io_context& ioc) {
    tcp::acceptor a{ioc, {loopback, 0}};
    const auto port = a.local_endpoint().port();
    a.close();
    return port;
}

} // namespace

TEST_CASE("tcp_connect_check passes against a listening port and observes milliseconds",
          "[health][tcp_connect]") {
    net::io_context ioc;
    listener server{ioc};
    server.accept(1);
    const tcp_connect_check check{ioc.get_executor(), {.host = "127.0.0.1", .port = server.port()}};

    std::vector<check_result> results;
    check([&](check_result r) { results.push_back(std::move(r)); });
    CHECK(results.empty()); // never inside the initiating function
    run(ioc);

    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::pass);
    CHECK(results[0].output.empty());
    REQUIRE(results[0].observed_value);
    CHECK(*results[0].observed_value >= 0.0);
    CHECK(*results[0].observed_value < 10'000.0);
    CHECK(results[0].observed_unit == "ms");
    CHECK(server.accepted == 1);
}

TEST_CASE("tcp_connect_check fails with the endpoint and the error on a closed port",
          "[health][tcp_connect]") {
    net::io_context ioc;
    const auto port = closed_port(ioc);
    const tcp_connect_check check{ioc.get_executor(), {.host = "127.0.0.1", .port = port}};

    std::vector<check_result> results;
    check([&](check_result r) { results.push_back(std::move(r)); });
    run(ioc);

    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::fail);
    CHECK(results[0].output ==
          "connect 127.0.0.1:" + std::to_string(port) + ": connection refused");
    CHECK_FALSE(results[0].observed_value);
}

TEST_CASE("tcp_connect_check resolves a host name and tries its endpoints in order",
          "[health][tcp_connect]") {
    // "localhost" may resolve to ::1 first; nothing listens there, so passing proves the check
    // moved on to 127.0.0.1.
    net::io_context ioc;
    listener server{ioc};
    server.accept(1);
    const tcp_connect_check check{ioc.get_executor(), {.host = "localhost", .port = server.port()}};
    std::vector<check_result> results;
    check([&](check_result r) { results.push_back(std::move(r)); });
    run(ioc);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::pass);
    CHECK(server.accepted == 1);

    // A name with no listener: the output names the configured host and the address tried.
    const auto port = closed_port(ioc);
    const tcp_connect_check refused{ioc.get_executor(), {.host = "localhost", .port = port}};
    results.clear();
    ioc.restart();
    refused([&](check_result r) { results.push_back(std::move(r)); });
    run(ioc);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::fail);
    CHECK_THAT(results[0].output,
               Catch::StartsWith("connect localhost:" + std::to_string(port) + " (") &&
                   Catch::Contains(":" + std::to_string(port) + "): "));
}

TEST_CASE("tcp_connect_check accepts an IPv6 address in brackets", "[health][tcp_connect]") {
    net::io_context ioc;
    const auto port = closed_port(ioc);
    const tcp_connect_check check{ioc.get_executor(), {.host = "[::1]", .port = port}};
    std::vector<check_result> results;
    check([&](check_result r) { results.push_back(std::move(r)); });
    run(ioc);
    REQUIRE(results.size() == 1);
    // Whether or not this machine has IPv6 loopback, nothing listens on that port.
    CHECK(results[0].status == health_status::fail);
    CHECK_THAT(results[0].output,
               Catch::StartsWith("connect [::1]:" + std::to_string(port) + ": "));
}

TEST_CASE("tcp_connect_check works with use_future, use_awaitable and deferred",
          "[health][tcp_connect]") {
    net::io_context ioc;
    listener server{ioc};
    server.accept(2);
    const tcp_connect_check check{ioc.get_executor(), {.host = "127.0.0.1", .port = server.port()}};

    auto future = check(net::use_future);

    check_result awaited;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            //! [tcp_connect_check]
            bulwark::tcp_connect_check postgres{ioc.get_executor(),
                                                {.host = "127.0.0.1", .port = server.port()}};
            bulwark::check_result r = co_await postgres(net::use_awaitable);
            //! [tcp_connect_check]
            awaited = std::move(r);
        },
        net::detached);

    auto deferred = check(net::deferred);
    run(ioc);
    CHECK(server.accepted == 2); // the deferred run has not started yet
    CHECK(future.get().status == health_status::pass);
    CHECK(awaited.status == health_status::pass);
    CHECK(awaited.observed_unit == "ms");

    ioc.restart();
    server.accept(1);
    std::vector<check_result> results;
    std::move(deferred)([&](check_result r) { results.push_back(std::move(r)); });
    run(ioc);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::pass);
    CHECK(server.accepted == 3);
}

TEST_CASE("tcp_connect_check copies run independently and concurrently", "[health][tcp_connect]") {
    net::io_context ioc;
    listener server{ioc};
    server.accept(4);
    const tcp_connect_check check{ioc.get_executor(), {.host = "127.0.0.1", .port = server.port()}};
    const tcp_connect_check copy = check;
    std::vector<check_result> results;
    for (const auto* c : {&check, &copy, &check, &copy}) {
        (*c)([&](check_result r) { results.push_back(std::move(r)); });
    }
    run(ioc);
    REQUIRE(results.size() == 4);
    for (const auto& r : results) {
        CHECK(r.status == health_status::pass);
    }
    CHECK(server.accepted == 4);
}

TEST_CASE("tcp_connect_check completes through the handler's associated executor",
          "[health][tcp_connect]") {
    net::io_context ioc;
    net::io_context other;
    listener server{ioc};
    server.accept(1);
    const tcp_connect_check check{ioc.get_executor(), {.host = "127.0.0.1", .port = server.port()}};
    bool on_other = false;
    int calls = 0;
    check(net::bind_executor(other.get_executor(), [&](check_result r) {
        ++calls;
        on_other = other.get_executor().running_in_this_thread();
        CHECK(r.status == health_status::pass);
    }));
    run(ioc);
    CHECK(calls == 0);
    run(other);
    CHECK(calls == 1);
    CHECK(on_other);
}

TEST_CASE("tcp_connect_check terminal cancellation completes with fail(cancelled)",
          "[health][tcp_connect]") {
    net::io_context ioc;
    listener server{ioc};
    // Cancellation wins over a result that is ready but not yet delivered: poll_one() runs only
    // the start of the probe (its resolve or connect is then pending from its point of view),
    // then the signal is emitted.
    auto host = GENERATE(as<std::string>{}, "127.0.0.1", "localhost");
    auto polls = GENERATE(0, 1);
    INFO(host << ", " << polls << " poll(s) before the cancellation");
    server.accept(1);
    const tcp_connect_check check{ioc.get_executor(), {.host = host, .port = server.port()}};

    net::cancellation_signal signal;
    std::vector<check_result> results;
    check(net::bind_cancellation_slot(signal.slot(),
                                      [&](check_result r) { results.push_back(std::move(r)); }));
    for (int i = 0; i < polls; ++i) {
        ioc.poll_one();
    }
    CHECK(results.empty());
    signal.emit(net::cancellation_type::terminal);
    signal.emit(net::cancellation_type::terminal); // a second emission is harmless
    server.acceptor.close();
    run(ioc); // the socket was closed: nothing is left pending

    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::fail);
    CHECK(results[0].output == "cancelled");
    // After completion the slot is free again: emitting reaches nobody.
    signal.emit(net::cancellation_type::terminal);
    CHECK(results.size() == 1);
}

TEST_CASE("tcp_connect_check cancellation works with every token kind", "[health][tcp_connect]") {
    net::io_context ioc;
    const tcp_connect_check check{ioc.get_executor(),
                                  {.host = "127.0.0.1", .port = closed_port(ioc)}};

    net::cancellation_signal s1;
    auto future = check(net::bind_cancellation_slot(s1.slot(), net::use_future));
    s1.emit(net::cancellation_type::terminal);

    net::cancellation_signal s3;
    std::vector<check_result> results;
    auto deferred = check(net::deferred);
    std::move(deferred)(net::bind_cancellation_slot(
        s3.slot(), [&](check_result r) { results.push_back(std::move(r)); }));
    s3.emit(net::cancellation_type::terminal);

    run(ioc);
    CHECK(future.get().output == "cancelled");
    REQUIRE(results.size() == 1);
    CHECK(results[0].output == "cancelled");
}

TEST_CASE("tcp_connect_check cancellation of a coroutine's await", "[health][tcp_connect]") {
    net::io_context ioc;
    listener server{ioc};
    const tcp_connect_check check{ioc.get_executor(), {.host = "127.0.0.1", .port = server.port()}};
    net::cancellation_signal signal;
    check_result awaited;
    bool done = false;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            auto op = check(net::bind_cancellation_slot(signal.slot(), net::use_awaitable));
            // Queued before the probe's start, which the co_await below initiates: the
            // emission reaches the operation after it began and before it could finish.
            net::post(ioc, [&] { signal.emit(net::cancellation_type::terminal); });
            awaited = co_await std::move(op);
            done = true;
        },
        net::detached);
    run(ioc);
    CHECK(done);
    CHECK(awaited.output == "cancelled");
}

TEST_CASE("tcp_connect_check runs and is cancelled safely on a thread pool",
          "[health][tcp_connect]") {
    // Completion and cancellation race here for real: the probe completes on its own strand
    // while the signal is emitted on the handler's strand. Each run must still complete once.
    constexpr int runs = 64;
    net::io_context setup;
    const auto port = closed_port(setup);
    net::thread_pool pool{2};
    const tcp_connect_check check{pool.get_executor(), {.host = "127.0.0.1", .port = port}};
    std::vector<net::cancellation_signal> signals(runs);
    std::mutex mutex;
    std::vector<int> calls(runs, 0);
    std::vector<std::string> outputs(runs);
    for (int i = 0; i < runs; ++i) {
        auto strand = net::make_strand(pool);
        const auto n = static_cast<std::size_t>(i);
        check(net::bind_cancellation_slot(signals[n].slot(),
                                          net::bind_executor(strand, [&, n](check_result r) {
                                              const std::lock_guard lock{mutex};
                                              ++calls[n];
                                              outputs[n] = r.output;
                                          })));
        if (i % 2 == 1) {
            net::post(strand, [&signals, n] { signals[n].emit(net::cancellation_type::terminal); });
        }
    }
    pool.join();
    const std::string refused =
        "connect 127.0.0.1:" + std::to_string(port) + ": connection refused";
    for (std::size_t n = 0; n < runs; ++n) {
        INFO("run " << n << ": " << outputs[n]);
        CHECK(calls[n] == 1);
        if (n % 2 == 0) {
            CHECK(outputs[n] == refused);
        } else {
            CHECK((outputs[n] == refused || outputs[n] == "cancelled"));
        }
    }
}

TEST_CASE("tcp_connect_check validation names the field", "[health][tcp_connect]") {
    bulwark::config_issue issue;
    CHECK_FALSE(validate(bulwark::tcp_connect_check_config{.host = "db", .port = 1}, &issue));
    CHECK(validate(bulwark::tcp_connect_check_config{.host = "", .port = 5432}, &issue) ==
          bulwark::error::invalid_config);
    CHECK(issue.field == "tcp_connect_check_config.host");
    CHECK(validate(bulwark::tcp_connect_check_config{.host = "db", .port = 0}, &issue) ==
          bulwark::error::invalid_config);
    CHECK(issue.field == "tcp_connect_check_config.port");

    net::io_context ioc;
    try {
        tcp_connect_check check{ioc.get_executor(), {.host = "db"}};
        FAIL("constructed with port 0");
    } catch (const std::system_error& e) {
        CHECK(e.code() == bulwark::error::invalid_config);
        CHECK_THAT(e.what(), Catch::StartsWith("tcp_connect_check_config.port: "));
    }
}
