// The per-request CPU cost of the middleware pipeline, against an empty pipeline in one run.
//
// Each iteration is one request as src/http/session.cpp serves it, minus the socket and the
// parser: fill the identity with a clock read, ctx.reset(), router.match(), the header phase,
// the request phase, the handler building a small JSON response (built anew every iteration,
// as a real handler does), the response phase, prepare_payload(), serializing the response
// header into the bytes the session writes, a second clock read for the
// finish time (the session reads the clock at start and at finish), the completion phase,
// ctx.release(), and the response's destruction. The request is parsed once, outside the loop,
// by Beast's parser from the bytes a browser sends for a cross-origin fetch: request line plus
// Host, User-Agent, Accept, Accept-Language, Accept-Encoding, Origin, Cookie, X-Forwarded-For.
// Clients cycle through 8 addresses (6 IPv4, 2 IPv6), so the keyed rate limiter looks up
// several keys as it does under real traffic.
//
// Issue target: bm_pipeline_full - bm_pipeline_empty <= 1 us per request ("added ns"; Google
// Benchmark cannot subtract one benchmark from another, so read both off the same run).
//
//   bm_pipeline_empty            baseline: the session's own work with pipeline<> (no middleware)
//   bm_pipeline_full             the recommended stack as pipeline<...>: compile-time composition
//   bm_pipeline_empty_wrapped,   the same two pipelines wrapped once in any_middleware, as
//   bm_pipeline_full_wrapped     http::server holds them (one indirect call per phase)
//   bm_pipeline_full_any         the same stack as a middleware_chain of any_middleware (one
//                                indirect call per middleware and hook): the run-time form
//   bm_pipeline_only_<name>      pipeline<name> alone: where the full stack's time goes
//                                (compare each with bm_pipeline_empty)
//   bm_client_address_peer_only  client_address_resolver::resolve with no trusted proxy (the
//                                default: the peer is the client, no header is read)
//   bm_client_address_{1,3}_proxies  the peer and 0 or 2 X-Forwarded-For hops are trusted
//                                proxies (of client_address_resolver::private_networks())
//
// The full stack is in the order of docs/pipeline-order.md (the example server's):
// security_headers, request_id, cors, size_limits, rate_limit, in_flight_limit. The cost does
// not depend on the order; the reasons for it are on that page.
#include <bulwark/core/clock.hpp>
#include <bulwark/core/rate_limit/quota.hpp>
#include <bulwark/http/client_address.hpp>
#include <bulwark/http/cors/cors.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/pipeline.hpp>
#include <bulwark/http/rate_limit/in_flight_limit.hpp>
#include <bulwark/http/rate_limit/rate_limit.hpp>
#include <bulwark/http/request_context.hpp>
#include <bulwark/http/request_id/request_id.hpp>
#include <bulwark/http/router.hpp>
#include <bulwark/http/security_headers/security_headers.hpp>
#include <bulwark/http/size_limit/size_limits.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace {

namespace http = bulwark::http;
namespace bh = boost::beast::http;
using boost::asio::ip::make_address;

constexpr std::string_view page_origin = "https://app.example.com";

// What Chrome sends for `fetch("https://api.example.com/api/items/42", {credentials:
// "include"})` from https://app.example.com, behind one proxy that appended the client.
std::string browser_request(std::string_view forwarded_for) {
    std::string raw =
        "GET /api/items/42 HTTP/1.1\r\n"
        "Host: api.example.com\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36\r\n"
        "Accept: application/json, text/plain, */*\r\n"
        "Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n"
        "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        "Origin: https://app.example.com\r\n"
        "Cookie: session=7f3c2a9e4b1d8c6f0a5e3b2d1c9f8e7a; theme=dark; consent=1\r\n"
        "X-Forwarded-For: ";
    raw += forwarded_for;
    raw += "\r\n\r\n";
    return raw;
}

// Parsed by Beast's parser, as the session's request is (same field storage and order).
http::request parse_request(const std::string& raw) {
    bh::request_parser<bh::string_body> parser;
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(raw), ec);
    if (ec || !parser.is_done()) {
        throw std::runtime_error{"benchmark request does not parse: " + ec.message()};
    }
    return parser.release();
}

// --- the middlewares, configured once for every benchmark that uses them ----------------------

// A quota no benchmark run exhausts: every decision is an admission (a write), the common case.
const auto never_refuse = bulwark::quota::per_second(1e9).with_burst(1'000'000'000);

http::request_id make_request_id() {
    return http::request_id{};
}
// helmet 8's default headers (Content-Security-Policy, HSTS, X-Frame-Options, ...).
http::security_headers make_security_headers() {
    return http::security_headers{};
}
http::cors make_cors() {
    return http::cors{{.allowed_origins = {"https://admin.example.com", std::string{page_origin}},
                       .allow_credentials = true}};
}
http::size_limits make_size_limits() {
    return http::size_limits{};
}
http::in_flight_limit make_in_flight_limit() {
    return http::in_flight_limit{};
}
http::rate_limit<> make_rate_limit() {
    return http::per_client_rate_limit(never_refuse);
}

// --- one request, as the session serves it ------------------------------------------------------

class exchange {
public:
    exchange() : request_{parse_request(browser_request("203.0.113.7"))} {
        // A small API's table: literal routes are one hash lookup, the template is tried after.
        routes_.get("/", [](http::request_context&, http::request&) { return http::response{}; });
        routes_.get("/healthz",
                    [](http::request_context&, http::request&) { return http::response{}; });
        routes_.get("/api/items",
                    [](http::request_context&, http::request&) { return http::response{}; });
        routes_.get("/api/items/{id}", [](http::request_context& ctx, http::request& req) {
            http::response res{bh::status::ok, req.version()};
            res.set(bh::field::content_type, "application/json");
            std::string body = R"({"id":")";
            body += ctx.path_param("id");
            body += R"(","name":"widget","price":1250})";
            res.body() = std::move(body);
            return res;
        });
        identity_.body_limit = 1024 * 1024; // session_config's default
        identity_.ids = &ids_;
    }

    // One request through `stack` (pipeline<...>, any_middleware or middleware_chain), following
    // src/http/session.cpp step by step from the end of the header read to the end of the write
    // (the stacks measured here are synchronous: the session calls on_header, not the awaited
    // async_on_header).
    template <class Stack>
    http::response serve(Stack& stack) {
        const auto& client = clients_[next_client_++ % clients_.size()];
        identity_.peer = client;
        identity_.client = client; // no trusted proxy configured: X-Forwarded-For is not read
        identity_.start = clock_.now();
        identity_.http_version = request_.version();
        identity_.keep_alive = request_.keep_alive();
        identity_.ordinal = ++ordinal_;
        ctx_.reset(identity_);
        const auto match = routes_.match(ctx_, request_);
        http::response res;
        if (stack.on_header(ctx_, request_) == http::action::respond) {
            res = ctx_.take_response();
        } else if (match.matched == nullptr) {
            ctx_.reject({.status = 404, .detail = "No resource at this path."}, "router");
            res = ctx_.take_response();
        } else if (stack.on_request(ctx_, request_) == http::action::respond) {
            res = ctx_.take_response();
        } else {
            res = match.matched->sync(ctx_, request_);
        }
        stack.on_response(ctx_, res);
        res.keep_alive(ctx_.keep_alive() && res.keep_alive());
        res.version(ctx_.http_version() == 10 ? 10 : 11);
        res.prepare_payload();
        http::serialize_header(res, wire_); // what the session writes, minus the syscall
        benchmark::DoNotOptimize(wire_.data());
        // (the write)
        ctx_.set_finish(clock_.now());
        ctx_.set_result(http::outcome::completed, res.result_int(), request_.body().size(),
                        res.body().size());
        stack.on_complete(ctx_);
        ctx_.release();
        return res;
    }

private:
    std::string wire_; // the serialized header; its capacity is reused, as in the session
    http::request request_;
    http::router routes_;
    http::request_id_generator ids_;
    http::request_context ctx_;
    http::request_context::identity identity_;
    const bulwark::steady_clock_source clock_{};
    std::array<boost::asio::ip::address, 8> clients_{
        make_address("203.0.113.7"),      make_address("198.51.100.23"),
        make_address("192.0.2.145"),      make_address("203.0.113.88"),
        make_address("2001:db8:1::5"),    make_address("198.51.100.200"),
        make_address("2001:db8:7:1::42"), make_address("192.0.2.9")};
    std::size_t next_client_ = 0;
    std::uint64_t ordinal_ = 0;
};

// Serves requests through `stack` for the whole benchmark. One request is served and checked
// first (200, and each of `expected` headers present), so a misconfigured stack that rejects
// or does nothing is reported as an error instead of timed.
template <class Stack>
void run(benchmark::State& state, Stack& stack, std::span<const std::string_view> expected = {}) {
    exchange ex;
    const auto first = ex.serve(stack);
    if (first.result_int() != 200) {
        state.SkipWithError("the stack did not answer 200");
        return;
    }
    for (const auto name : expected) {
        if (first.find(name) == first.end()) {
            state.SkipWithError("the stack did not set an expected response header");
            return;
        }
    }
    std::uint64_t refused = 0;
    for (auto _ : state) {
        auto res = ex.serve(stack);
        refused += res.result_int() != 200 ? 1 : 0;
        benchmark::DoNotOptimize(res);
    }
    if (refused != 0) {
        state.SkipWithError("a request was refused during the run");
    }
    state.SetItemsProcessed(state.iterations());
}

// Headers a response carries when each middleware that writes one ran on it.
constexpr std::string_view request_id_header = "X-Request-Id";
constexpr std::string_view cors_header = "Access-Control-Allow-Origin";
constexpr std::string_view csp_header = "Content-Security-Policy";
constexpr std::array<std::string_view, 3> full_stack_headers = {request_id_header, cors_header,
                                                                csp_header};

auto make_full_pipeline() {
    return http::pipeline{make_security_headers(), make_request_id(), make_cors(),
                          make_size_limits(),      make_rate_limit(), make_in_flight_limit()};
}

// --- whole stacks --------------------------------------------------------------------------------

void bm_pipeline_empty(benchmark::State& state) {
    http::pipeline<> stack;
    run(state, stack);
}
BENCHMARK(bm_pipeline_empty);

void bm_pipeline_full(benchmark::State& state) {
    auto stack = make_full_pipeline();
    run(state, stack, full_stack_headers);
}
BENCHMARK(bm_pipeline_full);

void bm_pipeline_empty_wrapped(benchmark::State& state) {
    http::any_middleware stack{http::pipeline<>{}};
    run(state, stack);
}
BENCHMARK(bm_pipeline_empty_wrapped);

void bm_pipeline_full_wrapped(benchmark::State& state) {
    http::any_middleware stack{make_full_pipeline()};
    run(state, stack, full_stack_headers);
}
BENCHMARK(bm_pipeline_full_wrapped);

void bm_pipeline_full_any(benchmark::State& state) {
    http::middleware_chain stack;
    stack.add(make_security_headers())
        .add(make_request_id())
        .add(make_cors())
        .add(make_size_limits())
        .add(make_rate_limit())
        .add(make_in_flight_limit());
    run(state, stack, full_stack_headers);
}
BENCHMARK(bm_pipeline_full_any);

// --- one middleware at a time (compare each with bm_pipeline_empty) ----------------------------

void bm_pipeline_only_request_id(benchmark::State& state) {
    http::pipeline stack{make_request_id()};
    run(state, stack, std::span{&request_id_header, 1});
}
BENCHMARK(bm_pipeline_only_request_id);

void bm_pipeline_only_security_headers(benchmark::State& state) {
    http::pipeline stack{make_security_headers()};
    run(state, stack, std::span{&csp_header, 1});
}
BENCHMARK(bm_pipeline_only_security_headers);

void bm_pipeline_only_cors(benchmark::State& state) {
    http::pipeline stack{make_cors()};
    run(state, stack, std::span{&cors_header, 1});
}
BENCHMARK(bm_pipeline_only_cors);

void bm_pipeline_only_size_limits(benchmark::State& state) {
    http::pipeline stack{make_size_limits()};
    run(state, stack);
}
BENCHMARK(bm_pipeline_only_size_limits);

void bm_pipeline_only_in_flight_limit(benchmark::State& state) {
    http::pipeline stack{make_in_flight_limit()};
    run(state, stack);
}
BENCHMARK(bm_pipeline_only_in_flight_limit);

void bm_pipeline_only_rate_limit(benchmark::State& state) {
    http::pipeline stack{make_rate_limit()};
    run(state, stack);
}
BENCHMARK(bm_pipeline_only_rate_limit);

// --- client address resolution ---------------------------------------------------------------

// The client 203.0.113.7 reached the server through `proxies` trusted proxies: the peer and
// proxies - 1 addresses of private networks appended to X-Forwarded-For after the client's.
void resolve_through(benchmark::State& state, std::size_t proxies, bool trust) {
    std::string forwarded_for = "203.0.113.7";
    const std::array<std::string_view, 2> hops = {"10.1.0.3", "172.16.4.4"};
    for (std::size_t i = 0; i + 1 < proxies && i < hops.size(); ++i) {
        forwarded_for += ", ";
        forwarded_for += hops[i];
    }
    const auto request = parse_request(browser_request(forwarded_for));
    http::client_address_config config;
    if (trust) {
        config.trusted_proxies = http::client_address_resolver::private_networks();
    }
    const http::client_address_resolver resolver{config};
    const auto peer = make_address(trust ? "10.0.0.2" : "203.0.113.7");
    if (resolver.resolve(peer, request) != make_address("203.0.113.7")) {
        state.SkipWithError("the resolver did not find the client");
        return;
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(resolver.resolve(peer, request));
    }
}

// No proxy trusted (the default): the peer is the answer, the header is never looked at.
void bm_client_address_peer_only(benchmark::State& state) {
    resolve_through(state, 1, false);
}
BENCHMARK(bm_client_address_peer_only);

// The peer is the one proxy; X-Forwarded-For holds only the client.
void bm_client_address_1_proxy(benchmark::State& state) {
    resolve_through(state, 1, true);
}
BENCHMARK(bm_client_address_1_proxy);

// Three proxies: the peer and two hops of X-Forwarded-For are trusted, the third hop is the
// client.
void bm_client_address_3_proxies(benchmark::State& state) {
    resolve_through(state, 3, true);
}
BENCHMARK(bm_client_address_3_proxies);

} // namespace
