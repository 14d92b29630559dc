// The tracing middleware on request headers (every W3C Trace Context rule that applies to a
// server, baggage, B3), inject_trace, and the client helper: a traced request that reaches a
// real upstream through http::client keeps its trace id under a new parent id.
#include <bulwark/core/trace/traceparent.hpp>
#include <bulwark/core/trace/tracestate.hpp>
#include <bulwark/http/client/client.hpp>
#include <bulwark/http/server.hpp>
#include <bulwark/http/trace/tracing.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <catch2/catch.hpp>

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <support/test_client.hpp>
#include <vector>

namespace bh = boost::beast::http;
namespace http = bulwark::http;
namespace net = boost::asio;
using bulwark::test::get_request;
using bulwark::test::raw_client;
using bulwark::test::test_server;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view tid = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view pid = "00f067aa0ba902b7";
const std::string valid = "00-" + std::string{tid} + "-" + std::string{pid} + "-01";

// The server span of a request with these headers.
http::trace_context span(std::initializer_list<std::pair<std::string, std::string>> headers,
                         http::tracing_config config = {}) {
    http::request_header h;
    for (const auto& [name, value] : headers) {
        h.insert(name, value);
    }
    http::request_context ctx;
    ctx.reset({});
    http::tracing mw{config};
    REQUIRE(mw.on_header(ctx, h) == http::action::proceed);
    REQUIRE(ctx.trace().valid());
    REQUIRE(ctx.trace().span_id.valid());
    return ctx.trace();
}

bool continued(const http::trace_context& t) {
    return t.trace_id.to_hex() == tid && t.parent_id.to_hex() == pid && t.span_id.to_hex() != pid;
}

} // namespace

TEST_CASE("tracing continues a valid traceparent with a new span", "[trace]") {
    const auto t = span({{"traceparent", valid}, {"tracestate", "congo=t61rcWkgMzE,rojo=00f067"}});
    CHECK(continued(t));
    CHECK(t.flags == 0x01);
    CHECK(t.has_parent());
    CHECK(t.tracestate == "congo=t61rcWkgMzE,rojo=00f067");
    // Flags are the caller's, the random flag of Level 2 included.
    CHECK(
        span({{"traceparent", "00-" + std::string{tid} + "-" + std::string{pid} + "-02"}}).flags ==
        0x02);
    // A future version is read by its version-00 prefix, extra fields ignored.
    CHECK(continued(
        span({{"traceparent", "cc-" + std::string{tid} + "-" + std::string{pid} + "-01-what"}})));
}

TEST_CASE("tracing starts a new trace on an invalid or ambiguous traceparent", "[trace]") {
    const std::string upper = "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + std::string{pid} + "-01";
    const std::string zero_trace = "00-" + std::string(32, '0') + "-" + std::string{pid} + "-01";
    const std::string zero_parent = "00-" + std::string{tid} + "-" + std::string(16, '0') + "-01";
    const std::string version_ff = "ff-" + std::string{tid} + "-" + std::string{pid} + "-01";
    const std::string v00_extra = valid + "-extra";
    for (const auto& bad : {upper, zero_trace, zero_parent, version_ff, v00_extra,
                            std::string{"garbage"}, std::string{}}) {
        INFO(bad);
        const auto t = span({{"traceparent", bad}, {"tracestate", "congo=t61rcWkgMzE"}});
        CHECK(t.trace_id.to_hex() != tid);
        CHECK_FALSE(t.has_parent());
        CHECK(t.tracestate.empty()); // dropped with the invalid traceparent
    }
    // Two traceparent headers, even equal ones: invalid.
    CHECK_FALSE(span({{"traceparent", valid}, {"traceparent", valid}}).has_parent());
    // A new trace: random ids, random flag, sampled by default or not when configured.
    const auto fresh = span({});
    CHECK(fresh.flags == (bulwark::trace_flag_random | bulwark::trace_flag_sampled));
    CHECK(span({}, {.sample_new_traces = false}).flags == bulwark::trace_flag_random);
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        ids.insert(span({}).trace_id.to_hex());
    }
    CHECK(ids.size() == 1000);
}

TEST_CASE("tracing combines and cleans tracestate and baggage", "[trace]") {
    const auto t = span({{"traceparent", valid},
                         {"tracestate", "a=1,BAD KEY=2"},
                         {"tracestate", "b=2,a=3"},
                         {"baggage", "userId=alice,isProduction=false"},
                         {"baggage", "serverNode=DF%2028"}});
    CHECK(t.tracestate == "a=1,b=2"); // invalid member and the later duplicate dropped
    const auto b = bulwark::baggage::parse(t.baggage);
    REQUIRE(b.size() == 3);
    REQUIRE(b.find("serverNode") != nullptr);
    CHECK(b.find("serverNode")->value == "DF 28");
    // Over 32 members: the excess is dropped.
    std::string many;
    for (int i = 0; i < 40; ++i) {
        many += (i ? "," : "") + std::string{"k"} + std::to_string(i) + "=v";
    }
    const auto limited = span({{"traceparent", valid}, {"tracestate", many}});
    CHECK(bulwark::tracestate::parse(limited.tracestate).members().size() == 32);
}

TEST_CASE("tracing accepts B3 only when configured", "[trace][b3]") {
    const std::string b3 = std::string{tid} + "-" + std::string{pid} + "-1";
    CHECK_FALSE(span({{"b3", b3}}).has_parent());
    CHECK(continued(span({{"b3", b3}}, {.accept_b3 = true})));
    CHECK(continued(span({{"X-B3-TraceId", std::string{tid}},
                          {"X-B3-SpanId", std::string{pid}},
                          {"X-B3-Sampled", "1"}},
                         {.accept_b3 = true})));
    // traceparent wins over B3.
    const auto both = span(
        {{"traceparent", valid}, {"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"}},
        {.accept_b3 = true});
    CHECK(continued(both));
}

TEST_CASE("inject_trace writes the outgoing headers", "[trace]") {
    const auto t = span({{"traceparent", valid}, {"tracestate", "congo=1"}, {"baggage", "k=v"}});
    http::request_header out;
    out.set("traceparent", "stale");
    http::inject_trace(t, out);
    const auto tp = bulwark::traceparent::parse(std::string{out["traceparent"]});
    REQUIRE(tp);
    CHECK(tp->version == 0);
    CHECK(tp->trace.to_hex() == tid);
    CHECK(tp->parent == t.span_id); // this server's span is the callee's parent
    CHECK(tp->flags == 0x01);
    CHECK(out["tracestate"] == "congo=1");
    CHECK(out["baggage"] == "k=v");
    CHECK(out.find("b3") == out.end());

    http::request_header single;
    http::inject_trace(t, single, http::trace_propagation::w3c_b3_single);
    CHECK(single["b3"] == std::string{tid} + "-" + t.span_id.to_hex() + "-1");
    http::request_header multi;
    http::inject_trace(t, multi, http::trace_propagation::w3c_b3_multi);
    CHECK(multi["X-B3-TraceId"] == tid);
    CHECK(multi["X-B3-SpanId"] == t.span_id.to_hex());
    CHECK(multi["X-B3-Sampled"] == "1");
    http::request_header none;
    http::inject_trace(t, none, http::trace_propagation::none);
    http::inject_trace(http::trace_context{}, none);
    CHECK(none.begin() == none.end());
}

TEST_CASE("A traced request reaches its upstream through the client helper", "[trace][client]") {
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> seen; // upstream: headers it received
    http::router upstream_routes;
    upstream_routes.post("/record", [&](http::request_context& ctx, http::request& req) {
        std::lock_guard lock{mutex};
        for (const auto& f : req) {
            seen.emplace_back(std::string{f.name_string()}, std::string{f.value()});
        }
        seen.emplace_back("body", req.body());
        http::response res{bh::status::accepted, ctx.http_version()};
        res.body() = "recorded";
        return res;
    });
    test_server upstream{{}, http::pipeline<>{}, std::move(upstream_routes)};

    http::router front_routes;
    const auto port = upstream.endpoint().port();
    //! [client]
    front_routes.get(
        "/call",
        [port](http::request_context& ctx, http::request&) -> net::awaitable<http::response> {
            // The executor first: GCC 12 mishandles a braced temporary and a co_await in one
            // full-expression.
            const auto ex = co_await net::this_coro::executor;
            const http::client backend{ex, {.host = "127.0.0.1", .port = port}};
            http::request call{bh::verb::post, "/record", 11};
            call.body() = R"({"order":42})";
            // &ctx: the call carries this request's trace context.
            auto [ec, res] =
                co_await backend.send(std::move(call), &ctx, net::as_tuple(net::use_awaitable));
            http::response out{ec ? bh::status::bad_gateway : bh::status::ok, ctx.http_version()};
            out.set("X-Span", ctx.trace().span_id.to_hex());
            out.body() = ec ? ec.message() : std::to_string(res.result_int()) + " " + res.body();
            co_return out;
        });
    //! [client]
    test_server front{{}, http::pipeline{http::tracing{}}, std::move(front_routes)};

    raw_client c{front.endpoint()};
    const auto res = c.request(
        get_request("/call", "traceparent: " + valid +
                                 "\r\ntracestate: congo=t61rcWkgMzE\r\nbaggage: k=v\r\n"));
    REQUIRE(res);
    CHECK(res->result_int() == 200);
    CHECK(res->body() == "202 recorded");
    const std::string front_span{(*res)["X-Span"]};

    std::lock_guard lock{mutex};
    const auto header = [&](std::string_view name) {
        for (const auto& [n, v] : seen) {
            if (boost::beast::iequals(n, name)) {
                return v;
            }
        }
        return std::string{};
    };
    const auto tp = bulwark::traceparent::parse(header("traceparent"));
    REQUIRE(tp);
    CHECK(tp->trace.to_hex() == tid);         // the same trace
    CHECK(tp->parent.to_hex() != pid);        // under a new parent:
    CHECK(tp->parent.to_hex() == front_span); // the front server's span
    CHECK(header("tracestate") == "congo=t61rcWkgMzE");
    CHECK(header("baggage") == "k=v");
    CHECK(header("host") == "127.0.0.1:" + std::to_string(port));
    CHECK(header("content-length") == "12");
    CHECK(header("body") == R"({"order":42})");
}

namespace {

// Accepts connections on 127.0.0.1 and answers each with `reply` (empty: never answers).
struct canned_upstream {
    explicit canned_upstream(net::io_context& ioc, std::string answer)
        : acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}}, reply{std::move(answer)} {
        net::co_spawn(ioc, serve(), net::detached);
    }
    net::awaitable<void> serve() {
        auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
        if (ec) {
            co_return;
        }
        boost::beast::flat_buffer buffer;
        bh::request<bh::string_body> req;
        co_await bh::async_read(socket, buffer, req, net::as_tuple(net::use_awaitable));
        if (reply.empty()) {
            char byte;
            co_await socket.async_read_some(net::buffer(&byte, 1),
                                            net::as_tuple(net::use_awaitable));
            co_return;
        }
        co_await net::async_write(socket, net::buffer(reply), net::as_tuple(net::use_awaitable));
    }
    tcp::acceptor acceptor;
    std::string reply;
};

std::pair<boost::system::error_code, http::response>
send_once(net::io_context& ioc, http::client_config config,
          net::cancellation_signal* cancel = nullptr) {
    const http::client c{ioc.get_executor(), std::move(config)};
    std::optional<std::pair<boost::system::error_code, http::response>> out;
    auto handler = [&](boost::system::error_code ec, http::response res) {
        out.emplace(ec, std::move(res));
    };
    if (cancel != nullptr) {
        c.send(http::request{bh::verb::get, "/", 11}, nullptr,
               net::bind_cancellation_slot(cancel->slot(), handler));
        net::post(ioc, [cancel] { cancel->emit(net::cancellation_type::terminal); });
    } else {
        c.send(http::request{bh::verb::get, "/", 11}, nullptr, handler);
    }
    ioc.run_for(10s);
    REQUIRE(out);
    return std::move(*out);
}

} // namespace

TEST_CASE("The client bounds time and size and reports errors", "[client]") {
    {
        net::io_context ioc;
        canned_upstream up{ioc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"};
        const auto [ec, res] =
            send_once(ioc, {.host = "127.0.0.1", .port = up.acceptor.local_endpoint().port()});
        CHECK_FALSE(ec);
        CHECK(res.body() == "hi");
    }
    {
        net::io_context ioc;
        canned_upstream up{ioc, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" +
                                    std::string(5000, 'x')};
        const auto [ec, res] = send_once(ioc, {.host = "127.0.0.1",
                                               .port = up.acceptor.local_endpoint().port(),
                                               .max_response_bytes = 1000});
        CHECK(ec == bh::error::body_limit);
    }
    {
        net::io_context ioc;
        canned_upstream up{ioc, ""}; // never answers
        const auto [ec, res] = send_once(
            ioc,
            {.host = "127.0.0.1", .port = up.acceptor.local_endpoint().port(), .timeout = 50ms});
        CHECK(ec == bulwark::error::deadline_exceeded);
    }
    {
        net::io_context ioc;
        canned_upstream up{ioc, ""};
        net::cancellation_signal cancel;
        const auto [ec, res] = send_once(
            ioc, {.host = "127.0.0.1", .port = up.acceptor.local_endpoint().port()}, &cancel);
        CHECK(ec == net::error::operation_aborted);
    }
    {
        net::io_context ioc;
        tcp::acceptor closed{ioc, {net::ip::make_address("127.0.0.1"), 0}};
        const auto port = closed.local_endpoint().port();
        closed.close();
        const auto [ec, res] = send_once(ioc, {.host = "127.0.0.1", .port = port});
        CHECK(ec == net::error::connection_refused);
    }
    net::io_context ioc;
    CHECK_THROWS_WITH(http::client(ioc.get_executor(), {.host = "a b", .port = 1}),
                      Catch::Contains("client_config.host"));
    CHECK_THROWS_WITH(http::client(ioc.get_executor(), {.host = "x"}),
                      Catch::Contains("client_config.port"));
    CHECK_THROWS_WITH(http::client(ioc.get_executor(), {.host = "x", .port = 1, .timeout = 0s}),
                      Catch::Contains("client_config.timeout"));
}

TEST_CASE("parse_http_url", "[client]") {
    const auto u = http::parse_http_url("http://127.0.0.1:8080/a/b?c=1");
    REQUIRE(u);
    CHECK_FALSE(u->https);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == 8080);
    CHECK(u->target == "/a/b?c=1");
    const auto s = http::parse_http_url("HTTPS://[::1]");
    REQUIRE(s);
    CHECK(s->https);
    CHECK(s->host == "::1");
    CHECK(s->port == 443);
    CHECK(s->target == "/");
    CHECK(http::parse_http_url("http://example.com?q")->target == "/?q");
    for (const char* bad :
         {"ftp://x/", "http://user@x/", "http://x:0/", "http://x:99999/", "http://x/a b",
          "http://x/#frag", "http://::1/", "http:///", "x/y", "http://x/\r\nHost: y"}) {
        INFO(bad);
        CHECK_FALSE(http::parse_http_url(bad));
    }
}
