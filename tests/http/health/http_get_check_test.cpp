#include <bulwark/http/health/http_get_check.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/test_certificate.hpp"

namespace net = boost::asio;
namespace bh = boost::beast::http;
using bulwark::check_result;
using bulwark::health_status;
using bulwark::http::http_get_check;
using bulwark::http::http_get_check_config;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

// Runs `ioc` until it runs out of work, which every test below expects; the bound is only a
// hang guard, and hitting it fails the test.
void run(net::io_context& ioc) {
    ioc.run_for(10s);
    CHECK(ioc.stopped());
}

// Serves one connection on 127.0.0.1:0: reads one request, records it, then writes `reply`
// as raw bytes and closes. An empty reply means: never answer, wait for the client to leave.
class one_shot_server {
public:
    one_shot_server(net::io_context& ioc, std::string reply, net::ssl::context* tls = nullptr)
        : acceptor_{ioc, {net::ip::make_address("127.0.0.1"), 0}}, reply_{std::move(reply)},
          tls_{tls}, port_{acceptor_.local_endpoint().port()} {
        net::co_spawn(ioc, serve(), net::detached);
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }

    std::optional<bh::request<bh::empty_body>> request; // what the client sent
    std::string sni;                                    // the TLS server name it sent
    std::function<void()> on_request;                   // runs once the request has arrived

private:
    net::awaitable<void> serve() {
        auto [ec, socket] = co_await acceptor_.async_accept(nothrow);
        acceptor_.close();
        if (ec) {
            co_return;
        }
        if (tls_ == nullptr) {
            co_await answer(socket);
            co_return;
        }
        net::ssl::stream<tcp::socket> stream{std::move(socket), *tls_};
        auto [hec] = co_await stream.async_handshake(net::ssl::stream_base::server, nothrow);
        if (const char* name =
                SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
            sni = name;
        }
        if (!hec) {
            co_await answer(stream);
        }
    }

    template <class Stream>
    net::awaitable<void> answer(Stream& stream) {
        boost::beast::flat_buffer buffer;
        bh::request<bh::empty_body> req;
        auto [ec, n] = co_await bh::async_read(stream, buffer, req, nothrow);
        if (ec) {
            co_return;
        }
        request = std::move(req);
        if (on_request) {
            on_request();
        }
        if (reply_.empty()) {
            char byte;
            co_await stream.async_read_some(net::buffer(&byte, 1), nothrow); // until it leaves
            co_return;
        }
        co_await net::async_write(stream, net::buffer(reply_), nothrow);
    }

    tcp::acceptor acceptor_;
    std::string reply_;
    net::ssl::context* tls_;
    std::uint16_t port_;
};

// Runs one check against a server answering `reply`; returns every result delivered.
std::vector<check_result> check_against(std::string reply, http_get_check_config config = {}) {
    net::io_context ioc;
    one_shot_server server{ioc, std::move(reply)};
    config.host = "127.0.0.1";
    config.port = server.port();
    const http_get_check check{ioc.get_executor(), std::move(config)};
    std::vector<check_result> results;
    check([&](check_result r) { results.push_back(std::move(r)); });
    CHECK(results.empty()); // never inside the initiating function
    run(ioc);
    CHECK(server.request.has_value());
    return results;
}

std::string prefix(std::uint16_t port, std::string_view target = "/") {
    return "GET http://127.0.0.1:" + std::to_string(port) + std::string{target} + ": ";
}

} // namespace

TEST_CASE("http_get_check passes on 200 and sends Host, User-Agent and Connection: close",
          "[health][http_get]") {
    net::io_context ioc;
    one_shot_server server{ioc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
    std::vector<bulwark::check_result> results;
    //! [http_get_check]
    const bulwark::http::http_get_check check{
        ioc.get_executor(), {.host = "127.0.0.1", .port = server.port(), .target = "/health"}};
    check([&](bulwark::check_result r) { results.push_back(std::move(r)); });
    //! [http_get_check]
    run(ioc);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::pass);

    REQUIRE(server.request);
    const auto& req = *server.request;
    CHECK(req.method() == bh::verb::get);
    CHECK(req.target() == "/health");
    CHECK(req.version() == 11);
    CHECK(req[bh::field::host] == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(req[bh::field::user_agent] == "bulwark-health/1");
    CHECK(req[bh::field::connection] == "close");
}

TEST_CASE("http_get_check observes the response time in ms", "[health][http_get]") {
    const auto results = check_against("HTTP/1.1 204 No Content\r\n\r\n");
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::pass);
    CHECK(results[0].output.empty());
    REQUIRE(results[0].observed_value);
    CHECK(*results[0].observed_value >= 0.0);
    CHECK(*results[0].observed_value < 10'000.0);
    CHECK(results[0].observed_unit == "ms");
}

TEST_CASE("http_get_check fails on a closed port naming the URL", "[health][http_get]") {
    net::io_context ioc;
    tcp::acceptor closed{ioc, {net::ip::make_address("127.0.0.1"), 0}};
    const auto port = closed.local_endpoint().port();
    closed.close(); // nothing listens: the kernel answers with a reset
    const http_get_check check{ioc.get_executor(),
                               {.host = "127.0.0.1", .port = port, .target = "/health"}};
    std::vector<check_result> results;
    check([&](check_result r) { results.push_back(std::move(r)); });
    run(ioc);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::fail);
    CHECK(results[0].output == prefix(port, "/health") + "connect: connection refused");
}

TEST_CASE("http_get_check fails on 503 naming the URL and the status", "[health][http_get]") {
    net::io_context ioc;
    one_shot_server server{ioc, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 7\r\n\r\n"
                                "db down"};
    const http_get_check check{ioc.get_executor(),
                               {.host = "127.0.0.1", .port = server.port(), .target = "/ready"}};
    std::vector<check_result> results;
    check([&](check_result r) { results.push_back(std::move(r)); });
    run(ioc);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::fail);
    CHECK(results[0].output == prefix(server.port(), "/ready") + "status 503");
    CHECK_FALSE(results[0].observed_value);
}

TEST_CASE("http_get_check counts a redirect as healthy unless max_status excludes it",
          "[health][http_get]") {
    const std::string found =
        "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n";
    const auto redirect = check_against(found);
    REQUIRE(redirect.size() == 1);
    CHECK(redirect[0].status == health_status::pass);

    const auto strict = check_against(found, {.max_status = 299});
    REQUIRE(strict.size() == 1);
    CHECK(strict[0].status == health_status::fail);
    CHECK_THAT(strict[0].output, Catch::EndsWith(": status 302"));

    // A non-default range: only 418 is healthy.
    const auto teapot = check_against("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n",
                                      {.min_status = 418, .max_status = 418});
    REQUIRE(teapot.size() == 1);
    CHECK(teapot[0].status == health_status::pass);
}

TEST_CASE("http_get_check fails on a malformed response and on a closed connection",
          "[health][http_get]") {
    const auto garbage = check_against("HELLO THERE\r\n\r\n");
    REQUIRE(garbage.size() == 1);
    CHECK(garbage[0].status == health_status::fail);
    CHECK_THAT(garbage[0].output,
               Catch::StartsWith("GET http://127.0.0.1:") && Catch::Contains("/: read: "));

    // Content-Length promises more than arrives before the server closes.
    const auto truncated = check_against("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
    REQUIRE(truncated.size() == 1);
    CHECK(truncated[0].status == health_status::fail);
    CHECK_THAT(truncated[0].output, Catch::Contains("/: read: "));
}

TEST_CASE("http_get_check fails on a response over max_response_bytes", "[health][http_get]") {
    const http_get_check_config small{.max_response_bytes = 256};
    const std::string body(1000, 'x');

    const auto big_body =
        check_against("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + body, small);
    REQUIRE(big_body.size() == 1);
    CHECK(big_body[0].status == health_status::fail);
    CHECK_THAT(big_body[0].output, Catch::EndsWith("/: response exceeds 256 bytes"));

    // No length: the body runs to the close, and the limit still stops it.
    const auto unbounded = check_against("HTTP/1.1 200 OK\r\n\r\n" + body, small);
    REQUIRE(unbounded.size() == 1);
    CHECK_THAT(unbounded[0].output, Catch::EndsWith("/: response exceeds 256 bytes"));

    const auto big_header = check_against(
        "HTTP/1.1 200 OK\r\nX-Padding: " + body + "\r\nContent-Length: 0\r\n\r\n", small);
    REQUIRE(big_header.size() == 1);
    CHECK_THAT(big_header[0].output, Catch::EndsWith("/: response exceeds 256 bytes"));

    // The header and body together fit exactly: accepted.
    const std::string header = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    const auto fits =
        check_against(header + std::string(100, 'y'), {.max_response_bytes = header.size() + 100});
    REQUIRE(fits.size() == 1);
    CHECK(fits[0].status == health_status::pass);
    const auto over =
        check_against(header + std::string(100, 'y'), {.max_response_bytes = header.size() + 99});
    REQUIRE(over.size() == 1);
    CHECK(over[0].status == health_status::fail);
}

TEST_CASE("http_get_check terminal cancellation ends a request the server never answers",
          "[health][http_get]") {
    net::io_context ioc;
    one_shot_server server{ioc, ""}; // accepts, reads the request, never answers
    const http_get_check check{ioc.get_executor(), {.host = "127.0.0.1", .port = server.port()}};
    net::cancellation_signal signal;
    // The server has the whole request: the check is now waiting for a response that will not
    // come. Cancel it from there, as health_monitor does when the check's timeout expires.
    server.on_request = [&] { signal.emit(net::cancellation_type::terminal); };
    std::vector<check_result> results;
    check(net::bind_cancellation_slot(signal.slot(),
                                      [&](check_result r) { results.push_back(std::move(r)); }));
    // Returns long before the guard: the check closed its socket, so the server's read ended.
    const auto start = std::chrono::steady_clock::now();
    run(ioc);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::fail);
    CHECK(results[0].output == "cancelled");
    CHECK(server.request.has_value());
}

TEST_CASE("http_get_check works with use_future, use_awaitable and deferred",
          "[health][http_get]") {
    net::io_context ioc;
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    one_shot_server s1{ioc, ok};
    one_shot_server s2{ioc, ok};
    one_shot_server s3{ioc, ok};

    const http_get_check c1{ioc.get_executor(), {.host = "127.0.0.1", .port = s1.port()}};
    auto future = c1(net::use_future);

    check_result awaited;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            const http_get_check c2{ioc.get_executor(), {.host = "127.0.0.1", .port = s2.port()}};
            awaited = co_await c2(net::use_awaitable);
        },
        net::detached);

    const http_get_check c3{ioc.get_executor(), {.host = "127.0.0.1", .port = s3.port()}};
    std::vector<check_result> results;
    auto op = c3(net::deferred);
    CHECK_FALSE(s3.request); // deferred: nothing sent before it is invoked
    std::move(op)([&](check_result r) { results.push_back(std::move(r)); });
    run(ioc);

    CHECK(future.get().status == health_status::pass);
    CHECK(awaited.status == health_status::pass);
    REQUIRE(results.size() == 1);
    CHECK(results[0].status == health_status::pass);
}

TEST_CASE("http_get_check over TLS sends SNI and verifies the certificate's name",
          "[health][http_get][tls]") {
    const auto pem = bulwark::test::make_test_certificate();
    net::ssl::context server_tls{net::ssl::context::tls_server};
    server_tls.use_certificate_chain(net::buffer(pem.cert_pem));
    server_tls.use_private_key(net::buffer(pem.key_pem), net::ssl::context::pem);

    auto client_tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    client_tls->add_certificate_authority(net::buffer(pem.cert_pem));
    client_tls->set_verify_mode(net::ssl::verify_peer);

    SECTION("the name matches: pass") {
        net::io_context ioc;
        one_shot_server server{ioc, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &server_tls};
        const http_get_check check{ioc.get_executor(),
                                   {.host = "localhost", .port = server.port(), .tls = client_tls}};
        std::vector<check_result> results;
        check([&](check_result r) { results.push_back(std::move(r)); });
        run(ioc);
        REQUIRE(results.size() == 1);
        CHECK(results[0].status == health_status::pass);
        CHECK(server.sni == "localhost");
        REQUIRE(server.request);
        CHECK((*server.request)[bh::field::host] == "localhost:" + std::to_string(server.port()));
    }

    SECTION("an IP address the certificate does not name: fail, and no SNI") {
        net::io_context ioc;
        one_shot_server server{ioc, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &server_tls};
        const http_get_check check{ioc.get_executor(),
                                   {.host = "127.0.0.1", .port = server.port(), .tls = client_tls}};
        std::vector<check_result> results;
        check([&](check_result r) { results.push_back(std::move(r)); });
        run(ioc);
        REQUIRE(results.size() == 1);
        CHECK(results[0].status == health_status::fail);
        CHECK_THAT(results[0].output,
                   Catch::StartsWith("GET https://127.0.0.1:" + std::to_string(server.port()) +
                                     "/: TLS handshake: "));
        CHECK(server.sni.empty());
        CHECK_FALSE(server.request);
    }

    SECTION("a context that does not verify: pass on the same certificate") {
        auto lax = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
        lax->set_verify_mode(net::ssl::verify_none);
        net::io_context ioc;
        one_shot_server server{ioc, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &server_tls};
        const http_get_check check{ioc.get_executor(),
                                   {.host = "127.0.0.1", .port = server.port(), .tls = lax}};
        std::vector<check_result> results;
        check([&](check_result r) { results.push_back(std::move(r)); });
        run(ioc);
        REQUIRE(results.size() == 1);
        CHECK(results[0].status == health_status::pass);
    }
}

TEST_CASE("http_get_check validation names the field", "[health][http_get]") {
    const auto rejects = [](http_get_check_config c, std::string_view field) {
        if (c.host.empty()) {
            c.host = "127.0.0.1";
        }
        if (c.port == 0) {
            c.port = 8080;
        }
        bulwark::config_issue issue;
        INFO(field);
        CHECK(validate(c, &issue) == bulwark::error::invalid_config);
        CHECK(issue.field == field);
    };
    bulwark::config_issue issue;
    CHECK_FALSE(validate(http_get_check_config{.host = "db", .port = 80}, &issue));
    CHECK_FALSE(
        validate(http_get_check_config{.host = "[::1]", .port = 80, .target = "/a?b=c"}, &issue));

    CHECK(validate(http_get_check_config{.port = 80}, &issue) == bulwark::error::invalid_config);
    CHECK(issue.field == "http_get_check_config.host");
    rejects({.host = "db\r\nX-Evil: 1"}, "http_get_check_config.host");
    rejects({.host = "d b"}, "http_get_check_config.host");
    CHECK(validate(http_get_check_config{.host = "db"}, &issue) == bulwark::error::invalid_config);
    CHECK(issue.field == "http_get_check_config.port");
    rejects({.target = ""}, "http_get_check_config.target");
    rejects({.target = "health"}, "http_get_check_config.target");
    rejects({.target = "/a b"}, "http_get_check_config.target");
    rejects({.target = "/a\r\nX-Evil: 1"}, "http_get_check_config.target");
    rejects({.min_status = 99}, "http_get_check_config.min_status");
    rejects({.min_status = 600, .max_status = 600}, "http_get_check_config.min_status");
    rejects({.min_status = 300, .max_status = 299}, "http_get_check_config.max_status");
    rejects({.max_status = 600}, "http_get_check_config.max_status");
    rejects({.max_response_bytes = 0}, "http_get_check_config.max_response_bytes");

    net::io_context ioc;
    try {
        http_get_check check{ioc.get_executor(), {.host = "db", .port = 80, .target = "x"}};
        FAIL("constructed with an invalid target");
    } catch (const std::system_error& e) {
        CHECK(e.code() == bulwark::error::invalid_config);
        CHECK_THAT(e.what(), Catch::StartsWith("http_get_check_config.target: "));
    }
    const http_get_check ok{ioc.get_executor(), {.host = "db", .port = 80}};
    CHECK(ok.config().target == "/");
    CHECK(ok.config().max_status == 399);
}
