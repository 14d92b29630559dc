// The metrics middleware on a real server over 127.0.0.1 (route templates as labels, exact
// counts, body sizes, active requests), its hooks driven directly from several threads, the
// lock-free table's overflow, and the scrape-time bindings of the server and the limiters.
#include <bulwark/http/metrics/http_metrics.hpp>
#include <bulwark/http/server.hpp>
#include <bulwark/telemetry/metrics/metric_names.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <deque>
#include <optional>
#include <string>
#include <support/config_error.hpp>
#include <support/eventually.hpp>
#include <support/metrics_text.hpp>
#include <support/test_client.hpp>
#include <thread>
#include <vector>

namespace bh = boost::beast::http;
namespace http = bulwark::http;
namespace telemetry = bulwark::telemetry;
using bulwark::test::eventually;
using bulwark::test::get_request;
using bulwark::test::raw_client;
using bulwark::test::test_server;
using bulwark::test::value_of;
using namespace std::chrono_literals;

namespace {

http::response ok(const http::request_context& ctx, std::string body) {
    http::response res{bh::status::ok, ctx.http_version()};
    res.body() = std::move(body);
    return res;
}

// A request context as a session would leave it at completion. Returns the header phase's
// verdict (no Catch2 assertion here: Catch2 is not thread-safe, and threads call this).
bool complete(http::http_metrics& m, http::request_context& ctx, bh::verb method,
              std::string_view route, unsigned status, bulwark::duration took, std::uint64_t in = 0,
              std::uint64_t out = 0) {
    http::request_context::identity id;
    id.method = method;
    ctx.reset(id);
    http::request_header h;
    const bool proceeded = m.on_header(ctx, h) == http::action::proceed;
    ctx.set_route(route);
    ctx.set_finish(ctx.start() + took);
    ctx.set_result(http::outcome::completed, status, in, out);
    m.on_complete(ctx);
    return proceeded;
}

} // namespace

TEST_CASE("http_metrics counts requests by method, route template and status over a socket",
          "[metrics][http]") {
    telemetry::metrics_registry registry;
    http::router routes;
    routes.get("/users/{id}", [](http::request_context& ctx, http::request&) {
        return ok(ctx, "user " + std::string{ctx.path_param("id")});
    });
    routes.post("/echo",
                [](http::request_context& ctx, http::request& req) { return ok(ctx, req.body()); });
    //! [middleware]
    // First in the pipeline, so its header phase sees every request.
    http::pipeline stack{http::http_metrics{registry}};
    //! [middleware]
    test_server server{{}, std::move(stack), std::move(routes)};
    raw_client c{server.endpoint()};
    for (const char* path : {"/users/1", "/users/2", "/users/3"}) {
        const auto res = c.request(get_request(path));
        REQUIRE(res);
        CHECK(res->result_int() == 200);
    }
    REQUIRE(c.request(get_request("/no/such/thing?secret=1"))->result_int() == 404);
    REQUIRE(c.request("DELETE /users/1 HTTP/1.1\r\nHost: t\r\n\r\n")->result_int() == 405);
    REQUIRE(c.request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")->body() ==
            "hello");
    REQUIRE(c.request("BREW /users/1 HTTP/1.1\r\nHost: t\r\n\r\n")->result_int() == 405);

    // Completion runs after the response is written: wait for the last one to be counted.
    REQUIRE(eventually([&] {
        return value_of(
                   registry.serialize(),
                   R"(http_server_requests_total{method="_OTHER",route="unmatched",status="405"})") ==
               1;
    }));
    const auto text = registry.serialize();
    CHECK(value_of(
              text,
              R"(http_server_requests_total{method="GET",route="/users/{id}",status="200"})") == 3);
    CHECK(value_of(text,
                   R"(http_server_requests_total{method="GET",route="unmatched",status="404"})") ==
          1);
    CHECK(
        value_of(text,
                 R"(http_server_requests_total{method="DELETE",route="unmatched",status="405"})") ==
        1);
    CHECK(value_of(text,
                   R"(http_server_requests_total{method="POST",route="/echo",status="200"})") == 1);
    CHECK(value_of(
              text,
              R"(http_server_request_duration_seconds_count{method="GET",route="/users/{id}"})") ==
          3);
    CHECK(
        value_of(
            text,
            R"(http_server_request_duration_seconds_bucket{method="GET",route="/users/{id}",le="+Inf"})") ==
        3);
    CHECK(value_of(text,
                   R"(http_server_request_body_size_bytes_sum{method="POST",route="/echo"})") == 5);
    CHECK(value_of(text,
                   R"(http_server_response_body_size_bytes_sum{method="POST",route="/echo"})") ==
          5);
    CHECK(
        value_of(
            text,
            R"(http_server_response_body_size_bytes_bucket{method="GET",route="/users/{id}",le="100"})") ==
        3);
    CHECK(value_of(text, R"(http_server_active_requests{method="GET"})") == 0);
    // The raw path never becomes a label.
    CHECK(text.find("/users/1") == std::string::npos);
    CHECK(text.find("secret") == std::string::npos);
    CHECK(text.find("no/such") == std::string::npos);
}

TEST_CASE("http_metrics shows a request in progress as active", "[metrics][http]") {
    telemetry::metrics_registry registry;
    std::atomic<bool> entered{false};
    std::atomic<bool> release{false};
    http::router routes;
    routes.get("/hold", [&](http::request_context& ctx, http::request&) {
        entered = true;
        while (!release) {
            std::this_thread::yield();
        }
        return ok(ctx, "done");
    });
    test_server server{{}, http::pipeline{http::http_metrics{registry}}, std::move(routes)};
    std::thread client{[&] {
        raw_client c{server.endpoint()};
        CHECK(c.request(get_request("/hold"))->result_int() == 200);
    }};
    REQUIRE(eventually([&] { return entered.load(); }));
    CHECK(value_of(registry.serialize(), R"(http_server_active_requests{method="GET"})") == 1);
    release = true;
    client.join();
    REQUIRE(eventually([&] {
        return value_of(registry.serialize(), R"(http_server_active_requests{method="GET"})") == 0;
    }));
}

TEST_CASE("http_metrics hooks record exactly from many threads", "[metrics][concurrency]") {
    telemetry::metrics_registry registry;
    http::http_metrics metrics{registry};
    constexpr int threads = 4;
    constexpr int per_thread = 5000;
    const std::string routes[] = {"/a", "/b/{id}", "/c"};
    std::atomic<int> refused{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            http::request_context ctx;
            for (int i = 0; i < per_thread; ++i) {
                const unsigned status = (i % 10 == 0) ? 503 : 200;
                if (!complete(metrics, ctx, t % 2 == 0 ? bh::verb::get : bh::verb::post,
                              routes[i % 3], status, 2ms, 10, 20)) {
                    ++refused;
                }
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    CHECK(refused == 0);
    const auto text = registry.serialize();
    double total = 0;
    for (const char* method : {"GET", "POST"}) {
        for (const auto& route : routes) {
            for (const char* status : {"200", "503"}) {
                const auto v =
                    value_of(text, std::string{"http_server_requests_total{method=\""} + method +
                                       "\",route=\"" + route + "\",status=\"" + status + "\"}");
                REQUIRE(v > 0);
                total += v;
            }
        }
    }
    CHECK(total == threads * per_thread);
    CHECK(
        value_of(text, R"(http_server_request_duration_seconds_sum{method="GET",route="/a"})") ==
        Approx(0.002 *
               value_of(text,
                        R"(http_server_request_duration_seconds_count{method="GET",route="/a"})")));
    CHECK(value_of(text, R"(http_server_active_requests{method="GET"})") == 0);
    CHECK(value_of(text, R"(http_server_active_requests{method="POST"})") == 0);
    CHECK(metrics.series() == 12);
}

TEST_CASE("http_metrics tells routes apart by content, beyond its lock-free table too",
          "[metrics]") {
    telemetry::metrics_registry registry;
    http::http_metrics metrics{registry};
    http::request_context ctx;

    // One buffer reused with other contents (a hand-written session with a temporary string):
    // each content is its own series, never the one the pointer had before.
    std::string buffer = "/first";
    CHECK(complete(metrics, ctx, bh::verb::get, buffer, 200, 1ms));
    buffer.replace(0, buffer.size(), "/other");
    CHECK(complete(metrics, ctx, bh::verb::get, buffer, 200, 1ms));
    // The same content at another address shares the series.
    const std::string copy = "/first";
    CHECK(complete(metrics, ctx, bh::verb::get, copy, 200, 1ms));

    // More combinations than the table holds: the rest go through the locked map, still exact.
    std::deque<std::string> many;
    for (int i = 0; i < 4000; ++i) {
        many.push_back("/r" + std::to_string(i));
        CHECK(complete(metrics, ctx, bh::verb::get, many.back(), 200, 1ms));
        CHECK(complete(metrics, ctx, bh::verb::get, many.back(), 200, 1ms));
    }
    // Not counted through the session: no status was sent.
    ctx.reset({});
    ctx.set_result(http::outcome::aborted, 0, 0, 0);
    metrics.on_complete(ctx);

    const auto text = registry.serialize();
    CHECK(value_of(text,
                   R"(http_server_requests_total{method="GET",route="/first",status="200"})") == 2);
    CHECK(value_of(text,
                   R"(http_server_requests_total{method="GET",route="/other",status="200"})") == 1);
    CHECK(value_of(text, R"(http_server_requests_total{method="GET",route="/r0",status="200"})") ==
          2);
    CHECK(value_of(text,
                   R"(http_server_requests_total{method="GET",route="/r3999",status="200"})") == 2);
    CHECK(
        value_of(
            text,
            R"(http_server_requests_total{method="_OTHER",route="unmatched",status="aborted"})") ==
        1);
}

TEST_CASE("http_metrics names its bad config fields", "[metrics]") {
    telemetry::metrics_registry registry;
    CHECK_THROWS_WITH(http::http_metrics(registry, {.duration_buckets = {}}),
                      Catch::Contains("http_metrics_config.duration_buckets"));
    CHECK_THROWS_WITH(http::http_metrics(registry, {.duration_buckets = {0.1, 0.05}}),
                      Catch::Contains("http_metrics_config.duration_buckets"));
    CHECK_THROWS_WITH(http::http_metrics(registry, {.size_buckets = {1, std::nan("")}}),
                      Catch::Contains("http_metrics_config.size_buckets"));
    CHECK(http::method_label(bh::verb::patch) == "PATCH");
    CHECK(http::method_label(bh::verb::propfind) == "_OTHER");
}

TEST_CASE("Server and limiter counters are exported at scrape time", "[metrics][http]") {
    telemetry::metrics_registry registry;
    auto limit = http::per_client_rate_limit(bulwark::quota::per_minute(2), {.policy = "pc"});
    http::in_flight_limit in_flight{{.max_in_flight = 100}};
    //! [instrument]
    const auto limit_metrics = http::instrument(registry, limit, "per-client");
    const auto in_flight_metrics = http::instrument(registry, in_flight, "in-flight");
    //! [instrument]
    http::router routes;
    routes.get("/", [](http::request_context& ctx, http::request&) { return ok(ctx, "hi"); });
    std::optional<telemetry::collect_hook> server_metrics;
    {
        test_server server{{}, http::pipeline{limit, in_flight}, std::move(routes)};
        server_metrics = http::instrument(registry, server.server());
        raw_client c{server.endpoint()};
        CHECK(c.request(get_request("/"))->result_int() == 200);
        CHECK(c.request(get_request("/"))->result_int() == 200);
        CHECK(c.request(get_request("/"))->result_int() == 429);

        const auto text = registry.serialize();
        CHECK(value_of(
                  text,
                  R"(bulwark_ratelimit_decisions_total{limiter="per-client",result="allowed"})") ==
              2);
        CHECK(value_of(
                  text,
                  R"(bulwark_ratelimit_decisions_total{limiter="per-client",result="limited"})") ==
              1);
        CHECK(value_of(
                  text,
                  R"(bulwark_ratelimit_decisions_total{limiter="in-flight",result="limited"})") ==
              0);
        // The per-client limit refused the third request before it reached the in-flight one.
        CHECK(value_of(
                  text,
                  R"(bulwark_ratelimit_decisions_total{limiter="in-flight",result="allowed"})") ==
              2);
        CHECK(value_of(text, "http_server_connections_total") == 1);
        CHECK(value_of(text, "http_server_open_connections") == 1);
        // A second scrape adds only what changed.
        CHECK(value_of(registry.serialize(), "http_server_connections_total") == 1);
    }
    // The hook holds the server's state: scraping after the server is gone is safe.
    CHECK(value_of(registry.serialize(), "http_server_open_connections") >= 0);
    server_metrics.reset();

    // Unregistered hooks no longer run; a handle may outlive its registry.
    std::atomic<int> runs{0};
    telemetry::collect_hook late;
    {
        telemetry::metrics_registry short_lived;
        auto hook = short_lived.on_collect([&] { ++runs; });
        (void)short_lived.serialize();
        CHECK(runs == 1);
        hook.reset();
        (void)short_lived.serialize();
        CHECK(runs == 1);
        late = short_lived.on_collect([&] { ++runs; });
    }
    late.reset(); // after the registry: nothing to do, no crash
    CHECK_FALSE(late);
    CHECK_THROWS_WITH(http::instrument(registry, limit, ""), Catch::Contains("instrument.name"));
}
