// bulwark-example-server: the server scripts/demo runs.
//
// A Boost.Beast HTTP/1.1 server on C++20 coroutines that uses what bulwark offers so far:
// parser limits that are finite by default (8 KiB header, 1 MiB body, 30 s per read), a
// per-client rate limit (GCRA per IPv4 address / IPv6 /64, bounded table) answered with 429 and
// the RateLimit headers, RFC 9457 problem+json for every error, and a Prometheus endpoint with
// bulwark's build info. Each later component is wired in here as it lands.
//
// Usage: bulwark-example-server [--address 127.0.0.1] [--port 8080] [--client-rate 100]
//        --port 0 picks a free port; the chosen one is printed on the first line of stdout.
//        --client-rate: requests per second per client, also the burst.

#include <bulwark/bulwark.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct options {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;
    double client_rate = 100;
};

constexpr std::string_view usage =
    "usage: bulwark-example-server [--address ADDRESS] [--port PORT]\n"
    "  --address  IPv4 or IPv6 address to listen on (default 127.0.0.1)\n"
    "  --port     TCP port, 0-65535; 0 picks a free one (default 8080)\n"
    "  --client-rate  requests per second per client address, also the burst (default 100)\n";

// Returns false (after printing why) when the command line is not understood.
bool parse_options(int argc, char** argv, options& out) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            std::exit(0);
        }
        if (i + 1 >= argc) {
            std::cerr << "bulwark-example-server: " << arg << " needs a value\n" << usage;
            return false;
        }
        const std::string_view value = argv[++i];
        if (arg == "--address") {
            out.address = value;
        } else if (arg == "--port") {
            unsigned port = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
            if (ec != std::errc{} || end != value.data() + value.size() || port > 65535) {
                std::cerr << "bulwark-example-server: --port: not a port number: " << value << "\n";
                return false;
            }
            out.port = static_cast<unsigned short>(port);
        } else if (arg == "--client-rate") {
            double rate = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), rate);
            if (ec != std::errc{} || end != value.data() + value.size() ||
                bulwark::validate(bulwark::quota::per_second(rate))) {
                std::cerr << "bulwark-example-server: --client-rate: not a positive rate: " << value
                          << "\n";
                return false;
            }
            out.client_rate = rate;
        } else {
            std::cerr << "bulwark-example-server: unknown option " << arg << "\n" << usage;
            return false;
        }
    }
    return true;
}

struct server_state {
    double client_rate; // requests per second per client, also the burst
    //! [per_client_limiter]
    // One GCRA bucket per client address (IPv6 grouped by /64), at most 100k clients tracked.
    bulwark::keyed_limiter<bulwark::gcra_limiter> per_client{
        bulwark::quota::per_second(client_rate), {.max_keys = 100'000}};
    //! [per_client_limiter]
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    prometheus::Family<prometheus::Counter>& requests =
        prometheus::BuildCounter()
            .Name("http_server_requests_total")
            .Help("HTTP requests answered, by method, route template and status")
            .Register(*registry);
    std::uint64_t next_request_id = 1;

    explicit server_state(const options& opts) : client_rate{opts.client_rate} {
        bulwark::telemetry::register_build_info(*registry);
    }
};

bulwark::ip_key client_key(const tcp::endpoint& peer) {
    const auto address = peer.address();
    return address.is_v4() ? bulwark::ip_key::from_v4(address.to_v4().to_bytes())
                           : bulwark::ip_key::from_v6(address.to_v6().to_bytes());
}

void set_rate_limit_headers(bh::response<bh::string_body>& res,
                            const bulwark::rate_decision& decision) {
    const auto headers = bulwark::make_rate_limit_headers(decision, "per-client");
    res.set("RateLimit-Policy", headers.policy.view());
    res.set("RateLimit", headers.ratelimit.view());
    if (!headers.retry_after.empty()) {
        res.set(bh::field::retry_after, headers.retry_after.view());
    }
}

using response = bh::response<bh::string_body>;

response text_response(const bh::request<bh::string_body>& req, std::string_view content_type,
                       std::string body) {
    response res{bh::status::ok, req.version()};
    res.set(bh::field::content_type, content_type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    if (req.method() == bh::verb::head) {
        res.body().clear(); // Content-Length stays that of the GET response
    }
    return res;
}

// Routes: exact paths, GET and HEAD only. Returns the response and sets `route` to the path
// template used as the metrics label (never the raw target: that would be unbounded).
response handle(const bh::request<bh::string_body>& req, server_state& state,
                std::string_view request_id, std::string& route) {
    std::string_view target = req.target();
    target = target.substr(0, target.find('?'));

    route = "unmatched";
    if (target == "/" || target == "/version" || target == "/metrics") {
        route = std::string{target};
        if (req.method() != bh::verb::get && req.method() != bh::verb::head) {
            auto res = bulwark::http::make_problem_response(
                {.status = 405,
                 .detail = "This resource supports GET and HEAD.",
                 .request_id = request_id},
                req.version(), req.keep_alive());
            res.set(bh::field::allow, "GET, HEAD");
            return res;
        }
    }
    if (route == "/") {
        return text_response(req, "text/plain; charset=utf-8",
                             "bulwark " + std::string{bulwark::version()} + " example server\n");
    }
    if (route == "/version") {
        return text_response(req, "application/json",
                             "{\"version\":\"" + std::string{bulwark::version()} + "\"}\n");
    }
    if (route == "/metrics") {
        std::ostringstream out;
        prometheus::TextSerializer{}.Serialize(out, state.registry->Collect());
        return text_response(req, "text/plain; version=0.0.4; charset=utf-8", out.str());
    }
    //! [problem_response]
    return bulwark::http::make_problem_response(
        {.status = 404, .detail = "No resource at this path.", .request_id = request_id},
        req.version(), req.keep_alive());
    //! [problem_response]
}

// The problem a failed read turns into, or 0 when the connection just ends (EOF, timeout,
// reset): there is nobody to answer then.
unsigned status_for_read_error(const beast::error_code& ec) {
    if (ec == bh::error::header_limit) {
        return 431;
    }
    if (ec == bh::error::body_limit) {
        return 413;
    }
    if (ec.category() == bh::make_error_code(bh::error::bad_target).category() &&
        ec != bh::error::end_of_stream && ec != bh::error::partial_message) {
        return 400; // any other parse error: malformed request
    }
    return 0;
}

net::awaitable<void> session(tcp::socket socket, server_state& state) {
    beast::error_code peer_ec;
    const auto key = client_key(socket.remote_endpoint(peer_ec));
    beast::tcp_stream stream{std::move(socket)};
    beast::flat_buffer buffer;
    for (;;) {
        bh::request_parser<bh::string_body> parser;
        parser.header_limit(8 * 1024);
        parser.body_limit(1024 * 1024);
        stream.expires_after(30s);

        const auto [read_ec, bytes] =
            co_await bh::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
        const std::string request_id = "req-" + std::to_string(state.next_request_id++);
        if (read_ec) {
            const unsigned status = status_for_read_error(read_ec);
            if (status == 0) {
                break;
            }
            // The rest of the request is unread: answer and close, or the leftover bytes would
            // be parsed as the next request.
            auto res = bulwark::http::make_problem_response(
                {.status = status, .request_id = request_id}, 11, false);
            state.requests
                .Add({{"method", "unknown"},
                      {"route", "unmatched"},
                      {"status", std::to_string(status)}})
                .Increment();
            co_await bh::async_write(stream, res, net::as_tuple(net::use_awaitable));
            break;
        }

        const auto& req = parser.get();
        std::string route;
        //! [rate_limit_check]
        const auto now = std::chrono::steady_clock::now(); // the one clock read of this request
        const auto decision = state.per_client.try_acquire(key.view(), 1, now);
        auto res = decision.allowed
                       ? handle(req, state, request_id, route)
                       : bulwark::http::make_problem_response(
                             {.status = 429,
                              .detail = "Too many requests from this client; see Retry-After.",
                              .request_id = request_id},
                             req.version(), req.keep_alive());
        set_rate_limit_headers(res, decision);
        //! [rate_limit_check]
        if (!decision.allowed) {
            route = "rate_limited";
        }
        res.set("X-Request-Id", request_id);
        state.requests
            .Add({{"method", std::string{req.method_string()}},
                  {"route", route},
                  {"status", std::to_string(res.result_int())}})
            .Increment();

        const bool keep_alive = res.keep_alive();
        const auto [write_ec, written] =
            co_await bh::async_write(stream, res, net::as_tuple(net::use_awaitable));
        if (write_ec || !keep_alive) {
            break;
        }
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// Drops clients whose bucket is full again, so the table holds only active clients.
net::awaitable<void> clean_up(server_state& state) {
    net::steady_timer timer{co_await net::this_coro::executor};
    for (;;) {
        timer.expires_after(60s);
        const auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
        if (ec) {
            co_return;
        }
        state.per_client.retain_recent();
    }
}

net::awaitable<void> listen(tcp::acceptor& acceptor, server_state& state) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
        if (ec) {
            co_return; // acceptor closed: shutting down
        }
        net::co_spawn(acceptor.get_executor(), session(std::move(socket), state),
                      [](const std::exception_ptr& e) {
                          if (e) {
                              try {
                                  std::rethrow_exception(e);
                              } catch (const std::exception& ex) {
                                  std::cerr << "session failed: " << ex.what() << "\n";
                              }
                          }
                      });
    }
}

} // namespace

int main(int argc, char** argv) {
    options opts;
    if (!parse_options(argc, argv, opts)) {
        return 2;
    }
    try {
        net::io_context ioc{1};
        server_state state{opts};

        const tcp::endpoint endpoint{net::ip::make_address(opts.address), opts.port};
        tcp::acceptor acceptor{ioc, endpoint};

        net::signal_set signals{ioc, SIGINT, SIGTERM};
        signals.async_wait([&](const beast::error_code& ec, int) {
            if (!ec) {
                std::cout << "bulwark-example-server: shutting down" << std::endl;
                acceptor.close();
                ioc.stop();
            }
        });

        net::co_spawn(ioc, listen(acceptor, state), net::detached);
        net::co_spawn(ioc, clean_up(state), net::detached);
        const auto local = acceptor.local_endpoint();
        std::cout << "bulwark-example-server " << bulwark::version() << " listening on http://"
                  << (local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                              : local.address().to_string())
                  << ":" << local.port() << std::endl;
        ioc.run();
    } catch (const std::exception& e) {
        std::cerr << "bulwark-example-server: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
