// bulwark-example-own-session: bulwark's middlewares in a session loop you wrote yourself.
//
// Many services already have their own Beast accept loop and session. This example keeps that
// loop and calls bulwark's phases at the right points: after the header is parsed (before any
// body byte is read), after the body, on the response, and on completion. It then talks to
// itself over loopback to show the answers: a normal request, a body refused from its
// Content-Length alone, and a client that goes over its rate limit.

#include <bulwark/bulwark.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <tuple>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
namespace http = bulwark::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

//! [pipeline]
// Composed at compile time: each phase is an inline sequence of the hooks that exist.
auto make_pipeline() {
    return http::pipeline{
        http::security_headers{bulwark::security_headers_config::json_api()},
        http::request_id{},
        http::size_limits{{.max_body_bytes = 64 * 1024}},
        http::per_client_rate_limit(bulwark::quota::per_minute(3), {.policy = "demo"}),
    };
}
//! [pipeline]
using my_pipeline = decltype(make_pipeline());

http::response handle(http::request_context& ctx, http::request& req) {
    http::response res{bh::status::ok, ctx.http_version()};
    res.set(bh::field::content_type, "text/plain");
    res.body() = "you sent " + std::to_string(req.body().size()) + " bytes to " +
                 std::string{req.target()} + "\n";
    return res;
}

//! [own_session]
net::awaitable<void> session(tcp::socket socket, my_pipeline& pipeline) {
    beast::tcp_stream stream{std::move(socket)};
    beast::flat_buffer buffer;
    const auto peer = stream.socket().remote_endpoint().address();
    http::request_context ctx; // reused for every request of the connection
    for (;;) {
        bh::request_parser<bh::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(boost::none); // decided after the header phase
        stream.expires_after(10s);
        auto [ec, n] = co_await bh::async_read_header(stream, buffer, parser, use_tuple);
        if (ec) {
            break; // a real loop answers 431/400 here: see src/http/session.cpp
        }
        auto& req = parser.get();
        ctx.reset({.peer = peer,
                   .client = peer,
                   .http_version = req.version(),
                   .keep_alive = req.keep_alive(),
                   .start = std::chrono::steady_clock::now(), // the one clock read
                   .body_limit = 1024 * 1024});
        ctx.set_route("/"); // a router would set the template here

        http::response res;
        bool close = false;
        if (pipeline.on_header(ctx, req) == http::action::respond) {
            res = ctx.take_response(); // rejected: not a byte of the body was read
            close = !parser.is_done();
        } else if (parser.content_length() && *parser.content_length() > ctx.body_limit()) {
            ctx.reject({.status = 413}, "session");
            res = ctx.take_response();
            close = true;
        } else {
            parser.body_limit(ctx.body_limit());
            std::tie(ec, n) = co_await bh::async_read(stream, buffer, parser, use_tuple);
            if (ec) {
                break;
            }
            res = pipeline.on_request(ctx, req) == http::action::respond ? ctx.take_response()
                                                                         : handle(ctx, req);
        }
        pipeline.on_response(ctx, res); // reverse order
        res.keep_alive(!close && ctx.keep_alive());
        res.prepare_payload();
        std::tie(ec, n) = co_await bh::async_write(stream, res, use_tuple);
        ctx.set_finish(std::chrono::steady_clock::now());
        ctx.set_result(ec ? http::outcome::write_failed : http::outcome::completed,
                       res.result_int(), req.body().size(), res.body().size());
        pipeline.on_complete(ctx);
        ctx.release(); // drops held permits before the next request
        if (ec || !res.keep_alive()) {
            break;
        }
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}
//! [own_session]

net::awaitable<void> listen(tcp::acceptor& acceptor, my_pipeline& pipeline) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (ec) {
            co_return;
        }
        net::co_spawn(acceptor.get_executor(), session(std::move(socket), pipeline), net::detached);
    }
}

// The demonstration client: one connection, four exchanges.
net::awaitable<void> client(tcp::endpoint server, tcp::acceptor& acceptor) {
    beast::tcp_stream stream{co_await net::this_coro::executor};
    co_await stream.async_connect(server, net::use_awaitable);
    beast::flat_buffer buffer;
    const auto exchange = [&](http::request req) -> net::awaitable<http::response> {
        req.set(bh::field::host, "localhost");
        req.prepare_payload();
        co_await bh::async_write(stream, req, net::use_awaitable);
        http::response res;
        co_await bh::async_read(stream, buffer, res, net::use_awaitable);
        co_return res;
    };
    auto res = co_await exchange({bh::verb::get, "/hello", 11});
    std::cout << "GET /hello -> " << res.result_int() << ", X-Request-Id " << res["X-Request-Id"]
              << ", X-Content-Type-Options " << res["X-Content-Type-Options"] << "\n";

    http::request big{bh::verb::post, "/upload", 11};
    big.body() = std::string(100 * 1024, 'x'); // over the 64 KiB limit of size_limits
    // Only the header is sent first: the answer must come without the body.
    big.set(bh::field::host, "localhost");
    big.prepare_payload();
    bh::request_serializer<bh::string_body> serializer{big};
    co_await bh::async_write_header(stream, serializer, net::use_awaitable);
    co_await bh::async_read(stream, buffer, res, net::use_awaitable);
    std::cout << "POST /upload (100 KiB announced, not sent) -> " << res.result_int() << " "
              << res[bh::field::content_type] << "\n";

    // That connection is closed (the body was never read); a new one for the rate limit.
    stream.close();
    beast::tcp_stream again{co_await net::this_coro::executor};
    co_await again.async_connect(server, net::use_awaitable);
    buffer.clear();
    for (int i = 1; i <= 3; ++i) {
        http::request req{bh::verb::get, "/again", 11};
        req.set(bh::field::host, "localhost");
        co_await bh::async_write(again, req, net::use_awaitable);
        http::response r;
        co_await bh::async_read(again, buffer, r, net::use_awaitable);
        std::cout << "GET /again #" << i << " -> " << r.result_int();
        if (r.result_int() == 429) {
            std::cout << ", Retry-After " << r[bh::field::retry_after] << ", RateLimit "
                      << r["RateLimit"];
        }
        std::cout << "\n";
    }
    acceptor.close();
    std::cout << "done\n";
}

} // namespace

int main() {
    try {
        net::io_context ioc;
        auto pipeline = make_pipeline();
        tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
        net::co_spawn(ioc, listen(acceptor, pipeline), net::detached);
        net::co_spawn(ioc, client(acceptor.local_endpoint(), acceptor),
                      [](const std::exception_ptr& e) {
                          if (e) {
                              std::rethrow_exception(e);
                          }
                      });
        ioc.run_for(30s);
    } catch (const std::exception& e) {
        std::cerr << "bulwark-example-own-session: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
