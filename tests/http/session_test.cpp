// Connection-level behaviour of the ready-made session: deadlines that end connections
// quietly, TLS handshakes that never come, and configuration validation.
#include <bulwark/core/error.hpp>
#include <bulwark/http/server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <support/eventually.hpp>

#include "support/test_client.hpp"

namespace net = boost::asio;
namespace bh = boost::beast::http;
namespace http = bulwark::http;
using bulwark::test::get_request;
using bulwark::test::raw_client;
using bulwark::test::test_server;
using namespace std::chrono_literals;

namespace {

http::router routes() {
    http::router r;
    r.get("/", [](http::request_context& ctx, http::request&) {
        return http::response{bh::status::ok, ctx.http_version()};
    });
    return r;
}

struct no_hooks {
    void on_complete(http::request_context&) noexcept {}
};

// A header hook that waits on a timer, as one that asks a remote store would, and refuses
// requests carrying "X-Refuse".
struct slow_gate {
    std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
    boost::asio::awaitable<http::action> async_on_header(http::request_context& ctx,
                                                         http::request_header& h) {
        boost::asio::steady_timer timer{co_await boost::asio::this_coro::executor, 5ms};
        co_await timer.async_wait(boost::asio::use_awaitable);
        calls->fetch_add(1);
        if (h.count("X-Refuse") != 0) {
            co_return ctx.reject({.status = 403, .detail = "Refused by the gate."}, "gate");
        }
        if (h.count("X-Throw") != 0) {
            throw std::runtime_error{"secret internal text"};
        }
        co_return http::action::proceed;
    }
};

// A header hook that waits until the test releases it (cancels its timer on the strand).
struct held_gate {
    struct state {
        std::mutex mutex;
        boost::asio::steady_timer* timer = nullptr;
        std::atomic<bool> waiting{false};
        // Cancels the waiting timer on its own executor; true once one was waiting.
        bool release() {
            const std::lock_guard lock{mutex};
            if (timer == nullptr) {
                return false;
            }
            boost::asio::post(timer->get_executor(), [t = timer] { t->cancel(); });
            return true;
        }
    };
    std::shared_ptr<state> s = std::make_shared<state>();

    boost::asio::awaitable<http::action> async_on_header(http::request_context&,
                                                         http::request_header&) {
        boost::asio::steady_timer timer{co_await boost::asio::this_coro::executor,
                                        boost::asio::steady_timer::time_point::max()};
        {
            const std::lock_guard lock{s->mutex};
            s->timer = &timer;
        }
        s->waiting = true;
        co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        const std::lock_guard lock{s->mutex};
        s->timer = nullptr;
        co_return http::action::proceed;
    }
};

// Counts completions by outcome.
struct outcomes {
    std::shared_ptr<std::atomic<int>> completed = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<std::atomic<int>> aborted = std::make_shared<std::atomic<int>>(0);
    void on_complete(http::request_context& ctx) noexcept {
        (ctx.result() == http::outcome::aborted ? *aborted : *completed) += 1;
    }
};

} // namespace

TEST_CASE("an idle keep-alive connection is closed quietly at the idle deadline", "[session]") {
    http::server_config config;
    config.session.idle_timeout = 200ms;
    test_server srv{config, no_hooks{}, routes()};
    raw_client client{srv.endpoint()};
    const auto res = client.request(get_request("/"));
    REQUIRE(res);
    CHECK(res->keep_alive());
    CHECK(client.closed_by_server()); // no 408: nothing was asked
    CHECK(client.leftover().empty());
}

TEST_CASE("a connection that never sends a byte is closed at the header deadline", "[session]") {
    http::server_config config;
    config.session.header_timeout = 200ms;
    test_server srv{config, no_hooks{}, routes()};
    raw_client client{srv.endpoint()};
    CHECK(client.closed_by_server());
    CHECK(client.leftover().empty());
}

TEST_CASE("a TLS client that never handshakes is dropped at the handshake deadline",
          "[session][tls]") {
    net::io_context ioc;
    http::server_config config;
    config.session.handshake_timeout = 200ms;
    net::ssl::context tls{net::ssl::context::tls_server};
    http::server srv{ioc.get_executor(), config, no_hooks{}, routes()};
    const auto endpoint = srv.listen({net::ip::make_address("127.0.0.1"), 0}, tls);
    std::thread runner{[&] { ioc.run(); }};
    {
        raw_client client{endpoint};
        CHECK(client.closed_by_server());
    }
    CHECK(srv.stats().accepted == 1);
    srv.close();
    ioc.stop();
    runner.join();
}

TEST_CASE("HTTP/1.0 requests are answered in HTTP/1.0 and closed", "[session]") {
    test_server srv{{}, no_hooks{}, routes()};
    raw_client client{srv.endpoint()};
    const auto res = client.request("GET / HTTP/1.0\r\n\r\n");
    REQUIRE(res);
    CHECK(res->version() == 10);
    CHECK_FALSE(res->keep_alive());
    CHECK(client.closed_by_server());
}

TEST_CASE("invalid server configuration is refused naming the field", "[session]") {
    bulwark::config_issue issue;
    http::server_config config;
    config.max_connections = 0;
    CHECK(http::server::validate(config, &issue) == bulwark::error::invalid_config);
    CHECK(issue.field == "server_config.max_connections");

    config = {};
    config.session.header_timeout = 0s;
    CHECK(http::server::validate(config, &issue));
    CHECK(issue.field == "server_config.session.header_timeout");

    config = {};
    config.session.header_limit = 10;
    CHECK(http::server::validate(config, &issue));
    CHECK(issue.field == "server_config.session.header_limit");

    config = {};
    config.session.client_address.trusted_proxies = {"10.0.0.0/8", "not-a-network"};
    CHECK(http::server::validate(config, &issue));
    CHECK_THAT(std::string{issue.field}, Catch::Contains("trusted_proxies[1]"));

    net::io_context ioc;
    config = {};
    config.max_connections = 0;
    CHECK_THROWS_AS(http::server(ioc.get_executor(), config, no_hooks{}, routes()),
                    std::system_error);
}

TEST_CASE("ambiguous body framing is refused with 400 and a close (no smuggling)", "[session]") {
    test_server srv{{}, no_hooks{}, routes()};
    for (const char* framing :
         {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, gzip\r\n",
          "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"}) {
        INFO(framing);
        raw_client client{srv.endpoint()};
        // Were the body taken as the next request, a second response would follow.
        const auto res = client.request(std::string{"POST / HTTP/1.1\r\nHost: x\r\n"} + framing +
                                        "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        REQUIRE(res);
        CHECK(res->result_int() == 400);
        CHECK_FALSE(res->keep_alive());
        CHECK(client.closed_by_server());
    }
}

TEST_CASE("204 and 304 go out without a body or Content-Length; HTTP/1.0 keep-alive works",
          "[session]") {
    http::router r;
    r.get("/nothing", [](http::request_context& ctx, http::request&) {
        http::response res{bh::status::no_content, ctx.http_version()};
        return res;
    });
    r.get("/cached", [](http::request_context& ctx, http::request&) {
        http::response res{bh::status::not_modified, ctx.http_version()};
        res.body() = "a body a careless handler left in"; // must not be sent
        return res;
    });
    r.get("/", [](http::request_context& ctx, http::request&) {
        http::response res{bh::status::ok, ctx.http_version()};
        res.body() = "ten bytes!";
        return res;
    });
    test_server srv{{}, no_hooks{}, std::move(r)};
    raw_client client{srv.endpoint()};
    for (const char* target : {"/nothing", "/cached"}) {
        const auto res = client.request(get_request(target));
        REQUIRE(res);
        CHECK(res->body().empty());
        CHECK(res->find(bh::field::content_length) == res->end());
        CHECK(res->keep_alive());
    }
    const auto after = client.request(get_request("/")); // framing intact: the next one parses
    REQUIRE(after);
    CHECK(after->body() == "ten bytes!");

    raw_client old{srv.endpoint()};
    for (int i = 0; i < 2; ++i) {
        const auto res = old.request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        REQUIRE(res);
        CHECK(res->version() == 10);
        CHECK(res->keep_alive()); // "Connection: keep-alive" in the 1.0 response
        CHECK(res->body() == "ten bytes!");
    }
}

TEST_CASE("the session awaits an asynchronous header phase before routing and reading the body",
          "[session]") {
    slow_gate gate;
    const auto calls = gate.calls;
    test_server srv{{}, http::pipeline{no_hooks{}, std::move(gate)}, routes(), 2};
    raw_client client{srv.endpoint()};
    for (int i = 0; i < 3; ++i) {
        const auto ok = client.request(get_request("/"));
        REQUIRE(ok);
        CHECK(ok->result_int() == 200);
    }
    // Refused before the body is read: the declared body never comes, the answer does.
    const auto refused =
        client.request("POST / HTTP/1.1\r\nHost: x\r\nX-Refuse: 1\r\nContent-Length: 100\r\n\r\n");
    REQUIRE(refused);
    CHECK(refused->result_int() == 403);
    CHECK(refused->at(bh::field::content_type) == "application/problem+json");
    CHECK(calls->load() == 4);
    // An unrouted path still gets its 404 after the asynchronous hook.
    raw_client other{srv.endpoint()};
    const auto missing = other.request(get_request("/nowhere"));
    REQUIRE(missing);
    CHECK(missing->result_int() == 404);
    CHECK(calls->load() == 5);
}

TEST_CASE("an exception from a header hook is a 500 that still runs every completion hook",
          "[session]") {
    outcomes seen;
    const auto completed = seen.completed;
    std::atomic<int> reported{0};
    http::server_config config;
    config.on_handler_exception = [&](http::request_context&, std::exception_ptr) { ++reported; };
    test_server srv{config, http::pipeline{seen, slow_gate{}}, routes()};
    raw_client client{srv.endpoint()};
    const auto failed = client.request(get_request("/", "X-Throw: 1\r\n"));
    REQUIRE(failed);
    CHECK(failed->result_int() == 500);
    CHECK(failed->body().find("secret") == std::string::npos); // internal text stays inside
    CHECK(reported.load() == 1);
    CHECK(srv.server().stats().handler_exceptions == 1);
    // The connection goes on (the request had no body), and the completion hooks saw both.
    const auto ok = client.request(get_request("/"));
    REQUIRE(ok);
    CHECK(ok->result_int() == 200);
    CHECK(bulwark::test::eventually([&] { return completed->load() == 2; }));
}

TEST_CASE("a connection closed while its header hook waits runs no handler and answers nothing",
          "[session]") {
    held_gate gate;
    const auto state = gate.s;
    outcomes seen;
    const auto aborted = seen.aborted;
    std::atomic<int> handled{0};
    http::router r;
    r.get("/", [&](http::request_context& ctx, http::request&) {
        ++handled;
        return http::response{bh::status::ok, ctx.http_version()};
    });
    test_server srv{{}, http::pipeline{seen, std::move(gate)}, std::move(r)};
    raw_client client{srv.endpoint()};
    REQUIRE(client.send(get_request("/")));
    REQUIRE(bulwark::test::eventually([&] { return state->waiting.load(); }));
    srv.server().close();
    REQUIRE(state->release());
    CHECK(client.closed_by_server());
    CHECK(bulwark::test::eventually([&] { return aborted->load() == 1; }));
    CHECK(handled.load() == 0);
}
