// Connection-level behaviour of the ready-made session: deadlines that end connections
// quietly, TLS handshakes that never come, and configuration validation.
#include <bulwark/core/error.hpp>
#include <bulwark/http/server.hpp>

#include <boost/asio/ssl/context.hpp>
#include <catch2/catch.hpp>

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
