// redis::connection against a real redis-server on 127.0.0.1 (an ephemeral port, started and
// killed by the fixture): replies of every kind, pipelining from several threads, AUTH,
// timeouts while the server is paused, the pending bound, the server killed and restarted,
// a peer that speaks something other than RESP, and stop().
#include <bulwark/redis/connection.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <future>
#include <set>
#include <support/eventually.hpp>
#include <support/redis_fixture.hpp>
#include <support/test_certificate.hpp>
#include <thread>
#include <vector>

namespace net = boost::asio;
using bulwark::redis::command;
using bulwark::redis::connection;
using bulwark::redis::connection_config;
using bulwark::redis::reply;
using bulwark::test::eventually;
using bulwark::test::io_thread;
using bulwark::test::redis_fixture;
using bulwark::test::redis_server;
using bulwark::test::redis_test_config;
using namespace std::chrono_literals;

namespace {

// Runs one command; the error code (or none) and the reply.
std::pair<boost::system::error_code, reply> exec(connection& c, command cmd) {
    // Shared: if the wait below fails, the handler may still run later.
    auto p = std::make_shared<std::promise<std::pair<boost::system::error_code, reply>>>();
    auto f = p->get_future();
    c.async_exec(std::move(cmd), [p](boost::system::error_code ec, reply r) {
        p->set_value({ec, std::move(r)});
    });
    REQUIRE(f.wait_for(10s) == std::future_status::ready); // never hangs
    return f.get();
}

reply ok(connection& c, command cmd) {
    auto [ec, r] = exec(c, std::move(cmd));
    INFO(ec.message());
    REQUIRE_FALSE(ec);
    return r;
}

} // namespace

TEST_CASE("redis: replies of every kind", "[redis]") {
    redis_fixture f;
    auto& c = f.c;

    auto r = ok(c, command{"PING"});
    CHECK(r.type == reply::kind::status);
    CHECK(r.text == "PONG");
    r = ok(c, command{"SET", "k", std::string{"a\r\nb\0c", 6}});
    CHECK(r.text == "OK");
    r = ok(c, command{"GET", "k"});
    CHECK(r.type == reply::kind::string);
    CHECK(r.text == std::string{"a\r\nb\0c", 6}); // binary-safe both ways
    r = ok(c, command{"GET", "missing"});
    CHECK(r.type == reply::kind::nil);
    r = ok(c, command{"INCRBY", "n", -42});
    CHECK(r.type == reply::kind::integer);
    CHECK(r.integer == -42);
    ok(c, command{"RPUSH", "l", "x", "y"});
    r = ok(c, command{"LRANGE", "l", 0, -1});
    REQUIRE(r.type == reply::kind::array);
    REQUIRE(r.elements.size() == 2);
    CHECK(r.elements[1].text == "y");
    r = ok(c, command{"NOSUCHCOMMAND"});
    CHECK(r.is_error()); // an error reply is a reply
    CHECK(r.error_code() == "ERR");
    r = ok(c, command{"EVALSHA", "0000000000000000000000000000000000000000", 0});
    CHECK(r.error_code() == "NOSCRIPT");
    const auto s = c.stats();
    CHECK(s.connects == 1);
    CHECK(s.commands == s.replies);
    CHECK(s.pending == 0);
}

TEST_CASE("redis: thousands of commands from several threads, pipelined, in order",
          "[redis][concurrency]") {
    redis_fixture f;
    auto& c = f.c;
    constexpr int threads = 4;
    constexpr int per_thread = 500;
    std::vector<std::vector<std::int64_t>> seen(threads);
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < threads; ++i) {
        callers.emplace_back([&, i] {
            auto& mine = seen[static_cast<std::size_t>(i)];
            for (int k = 0; k < per_thread; ++k) {
                // Completions run on the one io thread, in the order of this thread's calls.
                c.async_exec(command{"INCR", "counter"},
                             [&](boost::system::error_code ec, reply r) {
                                 if (ec) {
                                     failed.fetch_add(1);
                                 } else {
                                     mine.push_back(r.integer);
                                 }
                                 done.fetch_add(1);
                             });
            }
        });
    }
    for (auto& th : callers) {
        th.join();
    }
    REQUIRE(eventually([&] { return done.load() == threads * per_thread; }));
    REQUIRE(failed.load() == 0);
    std::set<std::int64_t> all;
    for (const auto& v : seen) {
        // One thread's commands are answered in the order it sent them.
        CHECK(std::is_sorted(v.begin(), v.end()));
        all.insert(v.begin(), v.end());
    }
    CHECK(all.size() == threads * per_thread); // every INCR counted once
    CHECK(*all.rbegin() == threads * per_thread);
    CHECK(ok(c, command{"GET", "counter"}).text == std::to_string(threads * per_thread));
    CHECK(c.stats().commands == threads * per_thread + 1);
}

TEST_CASE("redis: nothing is queued without a connection", "[redis]") {
    io_thread t;
    connection c{t.io.get_executor(), redis_test_config(1)}; // port 1: refused
    auto [ec, r] = exec(c, command{"PING"});
    CHECK(ec == bulwark::error::store_not_connected);
    c.start();
    REQUIRE(eventually([&] { return c.stats().connect_failures >= 2; })); // it keeps trying
    std::tie(ec, r) = exec(c, command{"PING"});
    CHECK(ec == bulwark::error::store_not_connected);
    CHECK(c.stats().rejected == 2);
    CHECK(c.stats().last_error.value() == ECONNREFUSED);
}

TEST_CASE("redis: AUTH with the configured password; a wrong one is reported", "[redis]") {
    redis_server server{{.password = "s3cret-pass"}};
    io_thread t;
    {
        auto cfg = redis_test_config(server.port());
        cfg.password = "wrong";
        connection c{t.io.get_executor(), cfg};
        c.start();
        REQUIRE(eventually([&] { return c.stats().connect_failures >= 1; }));
        CHECK_FALSE(c.connected());
        CHECK(c.stats().last_error == bulwark::error::store_auth_failed);
    }
    auto cfg = redis_test_config(server.port());
    cfg.password = "s3cret-pass";
    cfg.database = 3;
    connection c{t.io.get_executor(), cfg};
    c.start();
    REQUIRE(eventually([&] { return c.connected(); }));
    ok(c, command{"SET", "where", "db3"});
    const auto name = ok(c, command{"CLIENT", "GETNAME"});
    CHECK(name.text == "bulwark");
    CHECK(ok(c, command{"CLIENT", "INFO"}).text.find("db=3") != std::string::npos);
}

TEST_CASE("redis: a paused server times commands out; a stuck connection is replaced", "[redis]") {
    redis_server server;
    io_thread t;
    auto cfg = redis_test_config(server.port());
    cfg.command_timeout = 50ms;
    cfg.connect_timeout = 2s;
    connection c{t.io.get_executor(), cfg};
    connection admin{t.io.get_executor(), redis_test_config(server.port())};
    c.start();
    admin.start();
    REQUIRE(eventually([&] { return c.connected() && admin.connected(); }));
    ok(c, command{"PING"});
    // Paused for a second: the reply comes far too late.
    ok(admin, command{"CLIENT", "PAUSE", 1000, "ALL"});
    const auto started = std::chrono::steady_clock::now();
    auto [ec, r] = exec(c, command{"PING"});
    CHECK(ec == bulwark::error::store_timeout);
    CHECK(std::chrono::steady_clock::now() - started < 600ms); // the timeout, not the pause
    CHECK(c.stats().timeouts == 1);
    // Overdue by a second timeout: the connection is dropped and a new one made once the
    // pause ends.
    REQUIRE(eventually([&] { return c.stats().disconnects == 1; }));
    CHECK(c.stats().last_error == bulwark::error::store_timeout); // why it was replaced
    REQUIRE(eventually([&] { return c.connected() && c.stats().connects == 2; }));
    CHECK(ok(c, command{"PING"}).text == "PONG");
}

TEST_CASE("redis: a late reply to a timed-out command is discarded; the next gets its own",
          "[redis]") {
    redis_server server;
    io_thread t;
    auto cfg = redis_test_config(server.port());
    cfg.command_timeout = 300ms;
    connection c{t.io.get_executor(), cfg};
    connection admin{t.io.get_executor(), redis_test_config(server.port())};
    c.start();
    admin.start();
    REQUIRE(eventually([&] { return c.connected() && admin.connected(); }));
    ok(c, command{"SET", "a", "first"});
    ok(c, command{"SET", "b", "second"});
    // Paused longer than one timeout (300 ms) but shorter than two: the reply arrives late,
    // before the connection would be judged dead.
    ok(admin, command{"CLIENT", "PAUSE", 450, "WRITE"});
    auto [ec, r] = exec(c, command{"SET", "a", "late"}); // a write: held by the pause
    CHECK(ec == bulwark::error::store_timeout);
    REQUIRE(eventually([&] { return c.stats().replies == 3; })); // the late one was read
    CHECK(ok(c, command{"GET", "b"}).text == "second");          // not the late "OK"
    CHECK(ok(c, command{"GET", "a"}).text == "late");            // the server did run it
    CHECK(c.stats().disconnects == 0);
    CHECK(c.stats().connects == 1);
}

TEST_CASE("redis: commands that would not get exactly one reply are refused", "[redis]") {
    redis_fixture f;
    auto& c = f.c;
    for (auto cmd : {command{}, command{"subscribe", "news"}, command{"MONITOR"},
                     command{"client", "reply", "off"}, command{"QUIT"}, command{"HELLO", 3}}) {
        auto [ec, r] = exec(c, cmd);
        CHECK(ec == net::error::invalid_argument);
    }
    CHECK(c.stats().commands == 0);                               // none was sent
    CHECK(ok(c, command{"CLIENT", "GETNAME"}).text == "bulwark"); // CLIENT itself is fine
    // Integers are sent as written, unsigned ones above INT64_MAX included.
    const std::uint64_t big = 18'000'000'000'000'000'000ULL;
    ok(c, command{"SET", "big", big});
    CHECK(ok(c, command{"GET", "big"}).text == "18000000000000000000");
    ok(c, command{"SET", "neg", -5});
    CHECK(ok(c, command{"GET", "neg"}).text == "-5");
    ok(c, command{"SET", "flag", true});
    CHECK(ok(c, command{"GET", "flag"}).text == "1");
}

TEST_CASE("redis: past max_pending a command fails at once", "[redis]") {
    redis_server server;
    io_thread t;
    auto cfg = redis_test_config(server.port());
    cfg.max_pending = 4;
    cfg.command_timeout = 2s;
    connection c{t.io.get_executor(), cfg};
    connection admin{t.io.get_executor(), redis_test_config(server.port())};
    c.start();
    admin.start();
    REQUIRE(eventually([&] { return c.connected() && admin.connected(); }));
    ok(admin, command{"CLIENT", "PAUSE", 300, "ALL"});
    std::vector<std::future<reply>> futures;
    for (int i = 0; i < 10; ++i) {
        futures.push_back(c.async_exec(command{"PING"}, net::use_future));
    }
    int busy = 0;
    int answered = 0;
    for (auto& f : futures) {
        REQUIRE(f.wait_for(10s) == std::future_status::ready);
        try {
            f.get();
            ++answered;
        } catch (const boost::system::system_error& e) {
            CHECK(e.code() == bulwark::error::store_busy);
            ++busy;
        }
    }
    CHECK(answered == 4);
    CHECK(busy == 6);
    CHECK(c.stats().rejected == 6);
}

TEST_CASE("redis: the server killed and restarted: fail fast, then recover", "[redis]") {
    redis_server server;
    io_thread t;
    auto cfg = redis_test_config(server.port());
    cfg.command_timeout = 500ms;
    connection c{t.io.get_executor(), cfg};
    c.start();
    REQUIRE(eventually([&] { return c.connected(); }));
    ok(c, command{"SET", "k", "v"});
    server.kill();
    REQUIRE(eventually([&] { return !c.connected(); }));
    auto [ec, r] = exec(c, command{"GET", "k"});
    CHECK(ec == bulwark::error::store_not_connected);
    CHECK(c.stats().disconnects == 1);
    CHECK(c.stats().pending == 0);
    // The connection's end (EOF, reset), or a failed reconnect since (refused).
    const boost::system::error_code cause{c.stats().last_error};
    CHECK((cause == net::error::eof || cause == net::error::connection_reset ||
           cause == net::error::connection_refused));
    server.restart();
    REQUIRE(eventually([&] { return c.connected(); }));
    CHECK(ok(c, command{"GET", "k"}).type == reply::kind::nil); // a new, empty server
    CHECK(c.stats().connects == 2);
}

TEST_CASE("redis: a peer that does not speak RESP breaks the connection, not the caller",
          "[redis]") {
    io_thread t;
    io_thread peer_t; // the fake peer's io_context, stopped by its destructor
    net::ip::tcp::acceptor acceptor{peer_t.io, {net::ip::make_address("127.0.0.1"), 0}};
    net::ip::tcp::socket peer{peer_t.io};
    std::array<char, 64> buf{};
    acceptor.async_accept(peer, [&](boost::system::error_code aec) {
        if (aec) {
            return;
        }
        peer.async_read_some(net::buffer(buf), [&](boost::system::error_code, std::size_t) {
            net::async_write(peer, net::buffer(std::string_view{"?what is this\r\n"}),
                             [](boost::system::error_code, std::size_t) {});
        });
    });
    auto cfg = redis_test_config(acceptor.local_endpoint().port());
    cfg.client_name = ""; // no handshake: the first command meets the bad reply
    connection c{t.io.get_executor(), cfg};
    c.start();
    REQUIRE(eventually([&] { return c.connected(); }));
    auto [ec, r] = exec(c, command{"PING"});
    CHECK(ec == bulwark::error::store_protocol_error);
    REQUIRE(eventually([&] { return c.stats().disconnects == 1; }));
    CHECK(c.stats().last_error == bulwark::error::store_protocol_error);
    c.stop();
}

TEST_CASE("redis: stop() fails what is pending and everything after it", "[redis]") {
    redis_server server;
    io_thread t;
    auto cfg = redis_test_config(server.port());
    cfg.command_timeout = 5s;
    connection c{t.io.get_executor(), cfg};
    connection admin{t.io.get_executor(), redis_test_config(server.port())};
    c.start();
    admin.start();
    REQUIRE(eventually([&] { return c.connected() && admin.connected(); }));
    ok(admin, command{"CLIENT", "PAUSE", 1000, "ALL"});
    auto pending = c.async_exec(command{"PING"}, net::use_future);
    c.stop();
    REQUIRE(pending.wait_for(10s) == std::future_status::ready);
    try {
        pending.get();
        FAIL("the pending command succeeded after stop()");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == net::error::operation_aborted);
    }
    CHECK(c.stats().disconnects == 0); // stop() is not a broken connection
    auto [ec, r] = exec(c, command{"PING"});
    CHECK(ec == net::error::operation_aborted);
}

namespace {

// The test certificate written to a private temporary directory (redis-server reads files).
struct certificate_files {
    bulwark::test::test_certificate cert = bulwark::test::make_test_certificate();
    std::string dir;
    std::string cert_file;
    std::string key_file;
    certificate_files() {
        std::string tmpl = "/tmp/bulwark-redis-tls-XXXXXX";
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        dir = tmpl;
        cert_file = dir + "/cert.pem";
        key_file = dir + "/key.pem";
        std::ofstream{cert_file} << cert.cert_pem;
        std::ofstream{key_file} << cert.key_pem;
    }
    ~certificate_files() {
        std::remove(cert_file.c_str());
        std::remove(key_file.c_str());
        ::rmdir(dir.c_str());
    }
    certificate_files(const certificate_files&) = delete;
    certificate_files& operator=(const certificate_files&) = delete;
};

} // namespace

TEST_CASE("redis: TLS with the server's certificate verified; untrusted servers are refused",
          "[redis][tls]") {
    certificate_files files;
    redis_server server{{.tls_cert_file = files.cert_file, .tls_key_file = files.key_file}};
    io_thread t;
    //! [tls]
    auto tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    tls->add_certificate_authority(net::buffer(files.cert.cert_pem)); // the CA to trust
    connection_config config{.host = "127.0.0.1",
                             .port = server.tls_port(),
                             .tls = tls,
                             .tls_server_name = "localhost"}; // what the certificate names
    //! [tls]
    config.command_timeout = 5s;
    config.reconnect = {.initial = 10ms, .max = 100ms};
    {
        connection c{t.io.get_executor(), config};
        c.start();
        REQUIRE(eventually([&] { return c.connected(); }));
        CHECK(bulwark::test::run(c, command{"SET", "k", "over tls"}).text == "OK");
        std::vector<std::future<reply>> replies;
        for (int i = 0; i < 200; ++i) {
            replies.push_back(c.async_exec(command{"INCR", "n"}, net::use_future));
        }
        for (int i = 0; i < 200; ++i) {
            REQUIRE(replies[static_cast<std::size_t>(i)].wait_for(10s) ==
                    std::future_status::ready);
            CHECK(replies[static_cast<std::size_t>(i)].get().integer == i + 1); // in order
        }
        CHECK(bulwark::test::run(c, command{"GET", "k"}).text == "over tls");
    }
    const auto refused = [&](connection_config cfg) {
        connection c{t.io.get_executor(), cfg};
        c.start();
        REQUIRE(eventually([&] { return c.stats().connect_failures >= 2; }));
        CHECK_FALSE(c.connected());
        return c.stats().last_error.message();
    };
    SECTION("a certificate for another name") {
        auto other = config;
        other.tls_server_name = "redis.example.com";
        CHECK_THAT(refused(other), Catch::Contains("certificate verify failed"));
    }
    SECTION("a certificate from a CA not trusted") {
        auto other = config;
        other.tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
        CHECK_THAT(refused(other), Catch::Contains("certificate verify failed"));
    }
    SECTION("plain TCP to the TLS port") {
        auto other = config;
        other.tls = nullptr;
        (void)refused(other);
    }
}

TEST_CASE("redis connection config errors name their field", "[redis][config]") {
    const auto field_of = [](connection_config c) {
        bulwark::config_issue issue;
        return validate(c, &issue) ? std::string{issue.field} : std::string{};
    };
    CHECK(field_of({}).empty());
    CHECK(field_of({.host = ""}) == "connection_config.host");
    CHECK(field_of({.port = 0}) == "connection_config.port");
    CHECK(field_of({.client_name = "has space"}) == "connection_config.client_name");
    CHECK(field_of({.connect_timeout = 0s}) == "connection_config.connect_timeout");
    CHECK(field_of({.command_timeout = -1ms}) == "connection_config.command_timeout");
    CHECK(field_of({.max_pending = 0}) == "connection_config.max_pending");
    CHECK(field_of({.reconnect = {.initial = 0ms}}) == "connection_config.reconnect");
    net::io_context io;
    CHECK_THROWS_WITH((connection{io.get_executor(), {.port = 0}}),
                      Catch::Contains("connection_config.port"));
}

TEST_CASE("the example of docs/redis.md", "[redis][docs]") {
    redis_server server;
    io_thread t;
    net::io_context& io = t.io;
    const std::uint16_t port = server.port();
    std::promise<std::int64_t> visits;
    //! [connect]
    bulwark::redis::connection redis{
        io.get_executor(),
        {.host = "127.0.0.1", .port = port, .command_timeout = std::chrono::milliseconds{250}}};
    redis.start(); // connects in the background, and reconnects after failures
    //! [connect]
    REQUIRE(eventually([&] { return redis.connected(); }));
    //! [exec]
    redis.async_exec(bulwark::redis::command{"INCR", "visits"},
                     [&](boost::system::error_code ec, bulwark::redis::reply r) {
                         if (ec) {
                             // store_not_connected, store_timeout, store_busy, ...: decide
                             // without Redis (the rate limiter's fallback does).
                             visits.set_value(-1);
                         } else if (r.is_error()) {
                             visits.set_value(-2); // the server answered "-ERR ..."
                         } else {
                             visits.set_value(r.integer);
                         }
                     });
    //! [exec]
    auto f = visits.get_future();
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    CHECK(f.get() == 1);
}
