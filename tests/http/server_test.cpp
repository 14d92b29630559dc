// The ready-made server against real sockets on 127.0.0.1: every request below crosses the
// kernel's TCP stack, is parsed by Beast and answered by bulwark's session.
#include <bulwark/http/rate_limit/in_flight_limit.hpp>
#include <bulwark/http/rate_limit/rate_limit.hpp>
#include <bulwark/http/request_id/request_id.hpp>
#include <bulwark/http/server.hpp>
#include <bulwark/http/size_limit/size_limits.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/test_certificate.hpp"
#include "support/test_client.hpp"

namespace net = boost::asio;
namespace bh = boost::beast::http;
namespace http = bulwark::http;
using bulwark::test::get_request;
using bulwark::test::raw_client;
using bulwark::test::test_server;
using namespace std::chrono_literals;

namespace {

http::response text(http::request_context& ctx, std::string body) {
    http::response res{bh::status::ok, ctx.http_version()};
    res.set(bh::field::content_type, "text/plain");
    res.body() = std::move(body);
    return res;
}

http::router hello_routes() {
    http::router routes;
    routes.get("/", [](http::request_context& ctx, http::request&) { return text(ctx, "hello"); });
    routes.post("/echo", [](http::request_context& ctx, http::request& req) {
        return text(ctx, req.body());
    });
    routes.get("/users/{id}", [](http::request_context& ctx, http::request&) {
        return text(ctx, std::string{ctx.path_param("id")});
    });
    routes.get("/client", [](http::request_context& ctx, http::request&) {
        return text(ctx, ctx.client_address().to_string());
    });
    return routes;
}

// Records what the completion hooks saw and whether the request phase ran.
struct recorder {
    struct seen {
        unsigned status;
        std::uint64_t body_bytes;
        std::string route;
        http::outcome result;
    };
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    std::shared_ptr<std::vector<seen>> completions = std::make_shared<std::vector<seen>>();
    std::shared_ptr<std::atomic<int>> request_phases = std::make_shared<std::atomic<int>>(0);

    http::action on_request(http::request_context&, http::request&) {
        ++*request_phases;
        return http::action::proceed;
    }
    void on_complete(http::request_context& ctx) noexcept {
        const std::lock_guard lock{*mutex};
        completions->push_back(
            {ctx.status(), ctx.request_body_bytes(), std::string{ctx.route()}, ctx.result()});
    }
    std::vector<seen> snapshot() const {
        const std::lock_guard lock{*mutex};
        return *completions;
    }
};

boost::json::object parse_problem(const http::response& res) {
    CHECK(res[bh::field::content_type] == "application/problem+json");
    boost::system::error_code ec;
    auto value = boost::json::parse(res.body(), ec);
    INFO(res.body());
    REQUIRE_FALSE(ec);
    REQUIRE(value.is_object());
    return value.as_object();
}

} // namespace

TEST_CASE("a routed GET is answered and the connection is reused", "[server]") {
    test_server srv{{}, http::pipeline{http::request_id{}}, hello_routes()};
    raw_client client{srv.endpoint()};
    for (int i = 0; i < 3; ++i) {
        const auto res = client.request(get_request("/"));
        REQUIRE(res);
        CHECK(res->result_int() == 200);
        CHECK(res->body() == "hello");
        CHECK(res->keep_alive());
        CHECK(http::is_valid_request_id((*res)["X-Request-Id"]));
    }
    const auto param = client.request(get_request("/users/42"));
    REQUIRE(param);
    CHECK(param->body() == "42");
    CHECK(srv.server().stats().accepted == 1);
    CHECK(srv.server().stats().requests == 4);
}

TEST_CASE("unknown paths get 404 and wrong methods 405 with Allow, as problem+json", "[server]") {
    test_server srv{{}, http::pipeline{http::request_id{}}, hello_routes()};
    raw_client client{srv.endpoint()};
    const auto missing = client.request(get_request("/nope", "X-Request-Id: trace-me-1\r\n"));
    REQUIRE(missing);
    CHECK(missing->result_int() == 404);
    const auto problem = parse_problem(*missing);
    CHECK(problem.at("status") == 404);
    CHECK(problem.at("requestId") == "trace-me-1");
    CHECK((*missing)["X-Request-Id"] == "trace-me-1");

    const auto wrong = client.request("DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(wrong);
    CHECK(wrong->result_int() == 405);
    CHECK((*wrong)[bh::field::allow] == "POST");
    CHECK(wrong->keep_alive()); // nothing unread: the connection stays usable
}

TEST_CASE("HEAD answers a GET route's headers without its body", "[server]") {
    test_server srv{{}, http::pipeline{http::request_id{}}, hello_routes()};
    raw_client client{srv.endpoint()};
    REQUIRE(client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"));
    REQUIRE(client.send(get_request("/")));
    // The HEAD response declares the GET's length (5) but carries no body, so the next bytes
    // on the wire are the GET response.
    const auto res = client.read_response();
    REQUIRE(res);
    // Beast's response parser, not told this answers a HEAD, takes the following bytes as the
    // 5-byte body: "HTTP/" proves no body was sent.
    CHECK(res->body() == "HTTP/");
}

TEST_CASE("an oversize header gets 431 and the connection is closed", "[server]") {
    http::server_config config;
    config.session.header_limit = 1024;
    test_server srv{config, http::pipeline{http::request_id{}}, hello_routes()};
    raw_client client{srv.endpoint()};
    const auto res = client.request(get_request("/", "X-Big: " + std::string(2000, 'a') + "\r\n"));
    REQUIRE(res);
    CHECK(res->result_int() == 431);
    CHECK_FALSE(res->keep_alive());
    CHECK(parse_problem(*res).at("status") == 431);
    CHECK(client.closed_by_server());
}

TEST_CASE("a Content-Length over the limit is refused before any body byte is read", "[server]") {
    recorder rec;
    http::server_config config;
    config.session.body_limit = 1000;
    config.session.body_timeout = 60s; // had the server waited for the body, the test would hang
    test_server srv{config, http::pipeline{rec}, hello_routes()};
    raw_client client{srv.endpoint(), 20s};
    // The header promises 10 MB; only a few body bytes are ever sent.
    const auto res =
        client.request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nabc");
    REQUIRE(res);
    CHECK(res->result_int() == 413);
    CHECK_FALSE(res->keep_alive());
    CHECK(client.closed_by_server());
    srv.stop();
    const auto seen = rec.snapshot();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].status == 413);
    CHECK(seen[0].body_bytes == 0);
    CHECK(*rec.request_phases == 0);
}

TEST_CASE("a chunked body is cut off with 413 once it passes the limit", "[server]") {
    http::server_config config;
    config.session.body_limit = 4096;
    test_server srv{config, http::pipeline{http::request_id{}}, hello_routes()};
    raw_client client{srv.endpoint()};
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    // Keep sending 1 KiB chunks, as an endless upload would, until the server answers.
    const std::string chunk = "400\r\n" + std::string(1024, 'z') + "\r\n";
    int sent = 0;
    while (sent < 64 && client.send(chunk)) {
        ++sent;
        if (sent == 8) {
            break; // 8 KiB: twice the limit
        }
    }
    const auto res = client.read_response();
    REQUIRE(res);
    CHECK(res->result_int() == 413);
    CHECK(client.closed_by_server());
}

TEST_CASE("a within-limit body is echoed; Expect: 100-continue gets 100 first", "[server]") {
    http::server_config config;
    config.session.body_limit = 100;
    test_server srv{config, http::pipeline{http::request_id{}}, hello_routes()};
    {
        raw_client client{srv.endpoint()};
        REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            "Expect: 100-continue\r\n\r\n"));
        const auto interim = client.read_response();
        REQUIRE(interim);
        CHECK(interim->result_int() == 100);
        REQUIRE(client.send("hello"));
        const auto res = client.read_response();
        REQUIRE(res);
        CHECK(res->result_int() == 200);
        CHECK(res->body() == "hello");
    }
    {
        // Over the limit: the final answer comes at once, never an invitation to send.
        raw_client client{srv.endpoint()};
        const auto res = client.request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
                                        "Expect: 100-continue\r\n\r\n");
        REQUIRE(res);
        CHECK(res->result_int() == 413);
    }
}

TEST_CASE("a client that drips its header gets 408 and is closed", "[server]") {
    http::server_config config;
    config.session.header_timeout = 300ms;
    test_server srv{config, http::pipeline{http::request_id{}}, hello_routes()};
    raw_client client{srv.endpoint()};
    REQUIRE(client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Drip: a"));
    const auto started = std::chrono::steady_clock::now();
    // Drip a byte every 50 ms: each byte arrives well within any per-read timeout, but the
    // header deadline is a total.
    std::optional<http::response> res;
    std::thread dripper{[&] {
        for (int i = 0; i < 20; ++i) {
            std::this_thread::sleep_for(50ms); // the slow client being simulated, not a wait
            if (!client.send("a")) {
                return;
            }
        }
    }};
    dripper.join();
    res = client.read_response();
    REQUIRE(res);
    CHECK(res->result_int() == 408);
    CHECK_FALSE(res->keep_alive());
    CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("malformed HTTP gets 400 and a clean close", "[server]") {
    test_server srv{{}, http::pipeline{http::request_id{}}, hello_routes()};
    raw_client client{srv.endpoint()};
    const auto res = client.request("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    REQUIRE(res);
    CHECK(res->result_int() == 400);
    CHECK(parse_problem(*res).at("status") == 400);
    CHECK(client.closed_by_server());
}

TEST_CASE("a handler's exception becomes a 500 without its message", "[server]") {
    std::atomic<int> reported{0};
    http::server_config config;
    config.on_handler_exception = [&](http::request_context&, std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::runtime_error& ex) {
            if (std::string_view{ex.what()} == "db password is hunter2") {
                ++reported;
            }
        }
    };
    auto routes = hello_routes();
    routes.get("/fail", [](http::request_context&, http::request&) -> http::response {
        throw std::runtime_error("db password is hunter2");
    });
    test_server srv{config, http::pipeline{http::request_id{}}, std::move(routes)};
    raw_client client{srv.endpoint()};
    const auto res = client.request(get_request("/fail"));
    REQUIRE(res);
    CHECK(res->result_int() == 500);
    CHECK(res->body().find("hunter2") == std::string::npos);
    const auto problem = parse_problem(*res);
    CHECK(problem.at("title") == "Internal Server Error");
    CHECK(problem.at("requestId") == (*res)["X-Request-Id"]);
    CHECK(res->keep_alive()); // the body was read: the connection stays usable
    CHECK(reported == 1);
    CHECK(srv.server().stats().handler_exceptions == 1);
}

TEST_CASE("429 after a burst, with Retry-After and RateLimit headers", "[server]") {
    auto limit = http::per_client_rate_limit(bulwark::quota::per_minute(3), {.policy = "per-ip"});
    test_server srv{{}, http::pipeline{http::request_id{}, limit}, hello_routes()};
    raw_client client{srv.endpoint()};
    for (int i = 0; i < 3; ++i) {
        const auto ok = client.request(get_request("/"));
        REQUIRE(ok);
        CHECK(ok->result_int() == 200);
    }
    const auto res = client.request(get_request("/"));
    REQUIRE(res);
    CHECK(res->result_int() == 429);
    CHECK((*res)[bh::field::retry_after] == "20");
    CHECK((*res)["RateLimit-Policy"] == "\"per-ip\";q=3;w=60");
    CHECK((*res)["RateLimit"] == "\"per-ip\";r=0;t=20");
    CHECK(parse_problem(*res).at("status") == 429);
    CHECK(res->keep_alive());
}

TEST_CASE("X-Forwarded-For is ignored by default and honoured from a trusted proxy", "[server]") {
    SECTION("default: spoofed header ignored") {
        test_server srv{{}, http::pipeline{http::request_id{}}, hello_routes()};
        raw_client client{srv.endpoint()};
        const auto res = client.request(get_request("/client", "X-Forwarded-For: 203.0.113.9\r\n"));
        REQUIRE(res);
        CHECK(res->body() == "127.0.0.1");
    }
    SECTION("loopback trusted: rightmost untrusted hop") {
        http::server_config config;
        config.session.client_address.trusted_proxies = {"127.0.0.0/8"};
        test_server srv{config, http::pipeline{http::request_id{}}, hello_routes()};
        raw_client client{srv.endpoint()};
        const auto res = client.request(
            get_request("/client", "X-Forwarded-For: 198.51.100.1, 203.0.113.9, 127.0.0.5\r\n"));
        REQUIRE(res);
        CHECK(res->body() == "203.0.113.9");
    }
}

TEST_CASE("URL and header-count limits answer 414 and 431", "[server]") {
    test_server srv{{},
                    http::pipeline{http::request_id{}, http::size_limits{{.max_url_bytes = 100,
                                                                          .max_header_count = 5}}},
                    hello_routes()};
    raw_client client{srv.endpoint()};
    const auto long_url = client.request(get_request("/" + std::string(200, 'u')));
    REQUIRE(long_url);
    CHECK(long_url->result_int() == 414);
    const auto many = client.request(get_request("/", "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n"));
    REQUIRE(many);
    CHECK(many->result_int() == 431);
}

TEST_CASE("max requests per connection closes the connection after the last one", "[server]") {
    http::server_config config;
    config.session.max_requests_per_connection = 2;
    test_server srv{config, http::pipeline{http::request_id{}}, hello_routes()};
    raw_client client{srv.endpoint()};
    const auto first = client.request(get_request("/"));
    REQUIRE(first);
    CHECK(first->keep_alive());
    const auto second = client.request(get_request("/"));
    REQUIRE(second);
    CHECK_FALSE(second->keep_alive());
    CHECK(client.closed_by_server());
}

TEST_CASE("concurrent clients on a multi-threaded server all get their answers",
          "[server][concurrency]") {
    test_server srv{{}, http::pipeline{http::request_id{}}, hello_routes(), 2};
    constexpr int clients = 8;
    constexpr int per_client = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            raw_client client{srv.endpoint()};
            for (int i = 0; i < per_client; ++i) {
                const auto id = std::to_string(c) + "-" + std::to_string(i);
                const auto res = client.request(get_request("/users/" + id));
                if (res && res->result_int() == 200 && res->body() == id) {
                    ++ok;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(ok == clients * per_client);
    CHECK(srv.server().stats().accepted == clients);
}

TEST_CASE("at max_connections the server stops accepting until a connection closes", "[server]") {
    http::server_config config;
    config.max_connections = 1;
    test_server srv{config, http::pipeline{http::request_id{}}, hello_routes()};
    auto first = std::make_unique<raw_client>(srv.endpoint());
    REQUIRE(first->request(get_request("/")));
    // The second connection completes in the kernel's backlog, but is not served...
    raw_client second{srv.endpoint(), 1s};
    REQUIRE(second.send(get_request("/")));
    CHECK_FALSE(second.read_response()); // a second passes without an answer
    CHECK(srv.server().stats().accept_paused >= 1);
    CHECK(srv.server().stats().accepted == 1);
    // ...until the first one leaves: then the waiting request is served.
    first.reset();
    std::optional<http::response> res;
    for (int i = 0; i < 10 && !res; ++i) {
        res = second.read_response();
    }
    REQUIRE(res);
    CHECK(res->result_int() == 200);
    CHECK(srv.server().stats().accepted == 2);
}

TEST_CASE("in-flight limit answers 503 with Retry-After while a request is in progress",
          "[server]") {
    auto routes = hello_routes();
    auto entered = std::make_shared<std::promise<void>>();
    auto release = std::make_shared<std::atomic<bool>>(false);
    routes.get("/slow",
               [entered, release](http::request_context& ctx,
                                  http::request&) -> net::awaitable<http::response> {
                   entered->set_value();
                   net::steady_timer timer{co_await net::this_coro::executor};
                   while (!release->load()) {
                       timer.expires_after(5ms);
                       co_await timer.async_wait(net::use_awaitable);
                   }
                   co_return text(ctx, "slow");
               });
    test_server srv{{},
                    http::pipeline{http::request_id{}, http::in_flight_limit{{.max_in_flight = 1}}},
                    std::move(routes)};
    raw_client slow{srv.endpoint()};
    REQUIRE(slow.send(get_request("/slow")));
    entered->get_future().wait();
    raw_client other{srv.endpoint()};
    const auto refused = other.request(get_request("/"));
    REQUIRE(refused);
    CHECK(refused->result_int() == 503);
    CHECK((*refused)[bh::field::retry_after] == "1");
    *release = true;
    const auto done = slow.read_response();
    REQUIRE(done);
    CHECK(done->body() == "slow");
    const auto after = other.request(get_request("/")); // the permit came back
    REQUIRE(after);
    CHECK(after->result_int() == 200);
}

TEST_CASE("graceful shutdown finishes the request in flight, closes idle connections", "[server]") {
    auto routes = hello_routes();
    auto entered = std::make_shared<std::promise<void>>();
    routes.get(
        "/slow",
        [entered](http::request_context& ctx, http::request&) -> net::awaitable<http::response> {
            entered->set_value();
            net::steady_timer timer{co_await net::this_coro::executor, 200ms};
            co_await timer.async_wait(net::use_awaitable);
            co_return text(ctx, "finished");
        });
    net::io_context ioc;
    bulwark::graceful_shutdown shutdown{ioc.get_executor(), {.drain_timeout = 10s, .signals = {}}};
    http::server srv{ioc.get_executor(), {}, http::pipeline{http::request_id{}}, std::move(routes)};
    srv.attach(shutdown);
    const auto endpoint = srv.listen({net::ip::make_address("127.0.0.1"), 0});
    auto drained = shutdown.async_wait_drained(net::use_future);
    std::thread runner{[&] { ioc.run(); }};

    raw_client idle{endpoint};
    REQUIRE(idle.request(get_request("/"))); // served, now idle on keep-alive
    raw_client busy{endpoint};
    REQUIRE(busy.send(get_request("/slow")));
    entered->get_future().wait();
    shutdown.drain();

    const auto res = busy.read_response();
    REQUIRE(res);
    CHECK(res->result_int() == 200);
    CHECK(res->body() == "finished");
    CHECK_FALSE(res->keep_alive()); // draining: the last response on this connection
    CHECK(idle.closed_by_server());
    CHECK(busy.closed_by_server());
    REQUIRE(drained.wait_for(10s) == std::future_status::ready);
    CHECK_NOTHROW(drained.get());
    CHECK(srv.draining());
    CHECK(srv.stats().active == 0);
    // No longer accepting.
    boost::system::error_code ec;
    net::io_context client_ioc;
    net::ip::tcp::socket probe{client_ioc};
    probe.connect(endpoint, ec);
    CHECK(ec);
    ioc.stop();
    runner.join();
}

TEST_CASE("TLS round trip with a certificate made at test time", "[server][tls]") {
    const auto certificate = bulwark::test::make_test_certificate();
    //! [tls]
    net::ssl::context server_tls{net::ssl::context::tls_server};
    server_tls.use_certificate_chain(net::buffer(certificate.cert_pem));
    server_tls.use_private_key(net::buffer(certificate.key_pem), net::ssl::context::pem);

    net::io_context ioc;
    http::server srv{ioc.get_executor(), {}, http::pipeline{http::request_id{}}, hello_routes()};
    const auto endpoint = srv.listen({net::ip::make_address("127.0.0.1"), 0}, server_tls);
    //! [tls]
    std::thread runner{[&] { ioc.run(); }};

    net::ssl::context client_tls{net::ssl::context::tls_client};
    client_tls.add_certificate_authority(net::buffer(certificate.cert_pem));
    client_tls.set_verify_mode(net::ssl::verify_peer);
    net::io_context client_ioc;
    net::ssl::stream<net::ip::tcp::socket> stream{client_ioc, client_tls};
    stream.next_layer().connect(endpoint);
    stream.handshake(net::ssl::stream_base::client);
    for (int i = 0; i < 2; ++i) { // two requests on one TLS connection
        http::request req{bh::verb::get, "/client", 11};
        req.set(bh::field::host, "localhost");
        bh::write(stream, req);
        boost::beast::flat_buffer buffer;
        http::response res;
        bh::read(stream, buffer, res);
        CHECK(res.result_int() == 200);
        CHECK(res.body() == "127.0.0.1");
        CHECK(http::is_valid_request_id(res["X-Request-Id"]));
    }
    boost::system::error_code ec;
    stream.shutdown(ec); // close_notify answered (or the server closed first): either is clean
    srv.close();
    ioc.stop();
    runner.join();
}
