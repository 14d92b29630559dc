// Logging in the HTTP layer, on a real server over 127.0.0.1: the request's log context
// carried across co_await on a multi-threaded io_context (log_context_executor), and the
// access-log middleware (its members, query values redacted, never-logged headers, client
// address modes, levels, deterministic sampling, config errors).
#include <bulwark/http/access_log/access_log.hpp>
#include <bulwark/http/log_context_executor.hpp>
#include <bulwark/http/request_id/request_id.hpp>
#include <bulwark/http/server.hpp>
#include <bulwark/http/trace/tracing.hpp>
#include <bulwark/telemetry/log/json_logger.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <mutex>
#include <set>
#include <string>
#include <support/capture_sink.hpp>
#include <support/eventually.hpp>
#include <support/test_client.hpp>
#include <thread>
#include <vector>

namespace http = bulwark::http;
namespace net = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;
using bulwark::test::capture_sink;
using bulwark::test::eventually;
using bulwark::test::raw_client;
using bulwark::test::test_server;

namespace {

// Every line the sink kept, parsed.
std::vector<json::object> objects(bulwark::test::capture_sink& sink) {
    std::vector<json::object> out;
    for (const auto& l : sink.lines()) {
        out.push_back(json::parse(l).as_object());
    }
    return out;
}

http::response text(const http::request_context& ctx, unsigned status, std::string body) {
    http::response res{static_cast<bh::status>(status), ctx.http_version()};
    res.body() = std::move(body);
    return res;
}

} // namespace

TEST_CASE("log_context_executor makes the context current on every resumption, on any thread",
          "[log][http][concurrency]") {
    net::io_context ioc;
    const bulwark::telemetry::log_context mine{.request_id = "mine"};
    const auto slot = std::make_shared<http::log_context_slot>(http::log_context_slot{&mine});
    // What each step saw: the context pointer and the thread. Recorded, asserted after join
    // (Catch2 is not thread-safe).
    std::vector<std::pair<const bulwark::telemetry::log_context*, std::thread::id>> seen;
    const auto ex = http::with_log_context(net::any_io_executor{net::make_strand(ioc)}, slot);
    net::co_spawn(
        ex,
        [&]() -> net::awaitable<void> {
            for (int i = 0; i < 200; ++i) {
                seen.emplace_back(bulwark::telemetry::current_log_context(),
                                  std::this_thread::get_id());
                net::steady_timer t{co_await net::this_coro::executor,
                                    std::chrono::microseconds{i % 3}};
                co_await t.async_wait(net::use_awaitable);
            }
            seen.emplace_back(bulwark::telemetry::current_log_context(),
                              std::this_thread::get_id());
        },
        net::detached);
    // Other work on the same threads runs with no context.
    std::vector<const bulwark::telemetry::log_context*> others;
    std::mutex others_mutex;
    for (int i = 0; i < 200; ++i) {
        net::post(ioc, [&] {
            std::lock_guard lock{others_mutex};
            others.push_back(bulwark::telemetry::current_log_context());
        });
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&] { ioc.run(); });
    }
    for (auto& t : threads) {
        t.join();
    }
    REQUIRE(seen.size() == 201);
    std::set<std::thread::id> distinct;
    for (const auto& [ctx, id] : seen) {
        CHECK(ctx == &mine);
        distinct.insert(id);
    }
    for (const auto* ctx : others) {
        CHECK(ctx == nullptr);
    }
    // The point of the wrapper: the coroutine did move between threads (3 threads, 200 waits).
    WARN("the coroutine ran on " << distinct.size() << " threads");
}

TEST_CASE("a handler's log lines carry the request's context before and after co_await",
          "[log][http]") {
    auto sink = std::make_shared<capture_sink>();
    bulwark::telemetry::json_logger log{{.sinks = {sink}}};
    http::router routes;
    routes.get(
        "/orders/{id}",
        [&log](http::request_context& ctx, http::request&) -> net::awaitable<http::response> {
            ctx.log_context().user_id = "u-42";
            log.info("before");
            net::steady_timer t{co_await net::this_coro::executor, std::chrono::milliseconds{1}};
            co_await t.async_wait(net::use_awaitable);
            log.info("after", {{"order", std::string{ctx.path_param("id")}}});
            co_return text(ctx, 200, "ok");
        });
    test_server server{
        {}, http::pipeline{http::request_id{}, http::tracing{}}, std::move(routes), 2};
    raw_client c{server.endpoint()};
    const auto res =
        c.request("GET /orders/7 HTTP/1.1\r\nHost: t\r\n"
                  "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n");
    REQUIRE(res);
    REQUIRE(res->result_int() == 200);
    const std::string request_id{(*res)["X-Request-Id"]};
    REQUIRE_FALSE(request_id.empty());
    const auto lines = objects(*sink);
    REQUIRE(lines.size() == 2);
    for (const auto& o : lines) {
        CHECK(o.at("request_id") == request_id.c_str());
        CHECK(o.at("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736");
        CHECK(o.at("span_id").as_string().size() == 16);
        CHECK(o.at("route") == "/orders/{id}");
        CHECK(o.at("client_ip") == "[REDACTED:ipv4]"); // the logger's redactor masks it
        CHECK(o.at("user_id") == "u-42");
    }
    CHECK(lines[1].at("order") == "7");
    // The next request on the connection starts clean: no user id left over.
    routes = {};
}

TEST_CASE("access_log: one line per request with the documented members", "[log][http]") {
    auto sink = std::make_shared<capture_sink>();
    bulwark::telemetry::json_logger log{{.sinks = {sink}}};
    http::router routes;
    routes.get("/search", [](http::request_context& ctx, http::request&) {
        return text(ctx, 200, "results");
    });
    routes.get("/boom",
               [](http::request_context& ctx, http::request&) { return text(ctx, 503, "down"); });
    //! [access_log]
    http::access_log access{log, {.query_values_kept = {"page"}, .headers = {"Referer"}}};
    http::pipeline stack{http::request_id{}, http::tracing{}, access};
    //! [access_log]
    test_server server{{}, std::move(stack), std::move(routes)};
    raw_client c{server.endpoint()};
    REQUIRE(c.request("GET /search?q=bob%40example.com&page=2&token=abc HTTP/1.1\r\nHost: t\r\n"
                      "User-Agent: curl/8.4.0\r\nReferer: https://example.com/from\r\n"
                      "Authorization: Bearer s3cr3tT0ken\r\nCookie: sid=abcdef\r\nX-Api-Key: "
                      "k-123456\r\n\r\n")
                ->result_int() == 200);
    REQUIRE(c.request("GET /boom HTTP/1.1\r\nHost: t\r\n\r\n")->result_int() == 503);
    REQUIRE(c.request("GET /missing/bob@example.com HTTP/1.1\r\nHost: t\r\n\r\n")->result_int() ==
            404);
    REQUIRE(eventually([&] { return sink->size() == 3; }));
    const auto lines = objects(*sink);
    const auto& ok = lines[0];
    CHECK(ok.at("level") == "info");
    CHECK(ok.at("message") == "request");
    CHECK(ok.at("method") == "GET");
    CHECK(ok.at("route") == "/search");
    CHECK(ok.at("path") == "/search?q=[REDACTED]&page=2&token=[REDACTED]");
    CHECK(ok.at("status").as_int64() == 200);
    CHECK(ok.at("duration_ms").as_double() >= 0);
    CHECK(ok.at("bytes_in").as_int64() == 0);
    CHECK(ok.at("bytes_out").as_int64() == 7);
    CHECK(ok.at("request_id").as_string().size() > 0);
    CHECK(ok.at("trace_id").as_string().size() == 32);
    CHECK(ok.at("client_ip") == "127.0.0.0/24");
    CHECK(ok.at("user_agent") == "curl/8.4.0");
    CHECK(ok.at("header.referer") == "https://example.com/from");
    // Credentials never reach the line, under any name.
    const auto all = json::serialize(ok);
    for (const char* secret : {"s3cr3tT0ken", "sid=abcdef", "k-123456", "bob", "abc&"}) {
        INFO(secret);
        CHECK(all.find(secret) == std::string::npos);
    }
    CHECK(lines[1].at("level") == "error");
    CHECK(lines[1].at("status").as_int64() == 503);
    CHECK(lines[2].at("level") == "warn");
    CHECK(lines[2].at("route") == "unmatched");
    CHECK(lines[2].at("path") == "/missing/[REDACTED:email]"); // the logger's redactor on the path
    CHECK(access.stats().lines == 3);
}

TEST_CASE("access_log: a client-chosen request id is redacted; a long path is redacted whole",
          "[log][http]") {
    auto sink = std::make_shared<capture_sink>();
    bulwark::telemetry::json_logger log{{.sinks = {sink}}};
    http::router routes;
    routes.get("/p/{a}/{b}", [&](http::request_context& ctx, http::request&) {
        log.info("in handler"); // the context's request id is the client's, redacted too
        return text(ctx, 200, "ok");
    });
    http::access_log access{log, {}};
    test_server server{{}, http::pipeline{http::request_id{}, access}, std::move(routes)};
    raw_client c{server.endpoint()};
    // A card number across byte 2048 of the target: the whole target reaches the redactor
    // (the logger cuts long values only after redacting them).
    const std::string path = "/p/" + std::string(2035, 'a') + "/4111111111111111";
    REQUIRE(
        c.request("GET " + path + " HTTP/1.1\r\nHost: t\r\nX-Request-Id: bob@example.com\r\n\r\n")
            ->result_int() == 200);
    REQUIRE(eventually([&] { return sink->size() == 2; }));
    const auto lines = objects(*sink);
    CHECK(lines[0].at("message") == "in handler");
    CHECK(lines[0].at("request_id") == "[REDACTED:email]");
    CHECK(lines[1].at("request_id") == "[REDACTED:email]");
    const auto all = json::serialize(lines[1]);
    CHECK(all.find("bob") == std::string::npos);
    CHECK(all.find("4111") == std::string::npos);
    CHECK(all.find("/[REDACTED:card") != std::string::npos);
}

TEST_CASE("access_log: client address modes and deterministic sampling of successes",
          "[log][http]") {
    auto sink = std::make_shared<capture_sink>();
    bulwark::telemetry::json_logger log{{.sinks = {sink}}};
    const auto run = [&](http::access_log_config cfg, int requests, int failures) {
        http::router routes;
        routes.get("/ok",
                   [](http::request_context& ctx, http::request&) { return text(ctx, 204, ""); });
        http::access_log access{log, std::move(cfg)};
        test_server server{{}, http::pipeline{access}, std::move(routes)};
        raw_client c{server.endpoint()};
        for (int i = 0; i < requests; ++i) {
            REQUIRE(c.request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n"));
        }
        for (int i = 0; i < failures; ++i) {
            REQUIRE(c.request("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"));
        }
        REQUIRE(eventually([&] {
            return access.stats().lines + access.stats().sampled_out ==
                   std::uint64_t(requests + failures);
        }));
        return access.stats();
    };
    auto st = run({.success_sample_rate = 0.25}, 40, 3);
    CHECK(st.lines == 10 + 3); // exactly a quarter of the successes, every failure
    CHECK(st.sampled_out == 30);
    st = run({.success_sample_rate = 0.0}, 5, 2);
    CHECK(st.lines == 2);

    const auto before = sink->size();
    run({.client_ip = http::client_ip_mode::full}, 1, 0);
    run({.client_ip = http::client_ip_mode::omit}, 1, 0);
    run({.client_ip = http::client_ip_mode::prefix, .ipv4_prefix_bits = 8}, 1, 0);
    const auto lines = objects(*sink);
    REQUIRE(lines.size() == before + 3);
    CHECK(lines[before].at("client_ip") == "127.0.0.1");
    CHECK_FALSE(lines[before + 1].contains("client_ip"));
    CHECK(lines[before + 2].at("client_ip") == "127.0.0.0/8");
}

TEST_CASE("access_log config errors name their field", "[log][http][config]") {
    const auto field_of = [](const http::access_log_config& c) {
        bulwark::config_issue issue;
        return validate(c, &issue) ? std::string{issue.field} : std::string{};
    };
    CHECK(field_of({}).empty());
    CHECK(field_of({.success_sample_rate = 1.5}) == "access_log_config.success_sample_rate");
    CHECK(field_of({.success_sample_rate = std::nan("")}) ==
          "access_log_config.success_sample_rate");
    CHECK(field_of({.ipv4_prefix_bits = 12}) == "access_log_config.ipv4_prefix_bits");
    CHECK(field_of({.ipv6_prefix_bits = 128}) == "access_log_config.ipv6_prefix_bits");
    CHECK(field_of({.headers = {"authorization"}}) == "access_log_config.headers");
    CHECK(field_of({.headers = {"Set-Cookie"}}) == "access_log_config.headers");
    CHECK(field_of({.headers = {"X-Internal"}, .never_logged_headers = {"x-internal"}}) ==
          "access_log_config.headers");
    CHECK(field_of({.message = ""}) == "access_log_config.message");
    bulwark::telemetry::json_logger log{{.sinks = {std::make_shared<capture_sink>()}}};
    CHECK_THROWS_WITH(http::access_log(log, {.headers = {"Cookie"}}),
                      Catch::Contains("access_log_config.headers"));
}
