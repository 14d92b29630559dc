// The health endpoints on a real server over 127.0.0.1: status codes, health+json bodies
// parsed with Boost.JSON, detail hiding, drain and startup gating, and caching under a storm
// of concurrent probes.
#include <bulwark/asio/health/health_monitor.hpp>
#include <bulwark/http/health/health_endpoints.hpp>
#include <bulwark/http/server.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <regex>
#include <string>
#include <support/eventually.hpp>
#include <support/manual_timer.hpp>
#include <support/test_client.hpp>
#include <thread>
#include <vector>

namespace bh = boost::beast::http;
namespace http = bulwark::http;
namespace json = boost::json;
using bulwark::check_result;
using bulwark::health_registry;
using bulwark::test::eventually;
using bulwark::test::get_request;
using bulwark::test::manual_asio_clock;
using bulwark::test::raw_client;
using bulwark::test::test_server;
using namespace std::chrono_literals;
using monitor_type = bulwark::basic_health_monitor<bulwark::test::manual_timer>;

namespace {

const auto now = std::chrono::system_clock::now();

struct probe_result {
    unsigned status = 0;
    json::object body;
    std::string raw;
    std::string content_type;
    std::string cache_control;
};

probe_result probe(const boost::asio::ip::tcp::endpoint& ep, std::string_view path,
                   std::string_view extra = {}) {
    raw_client c{ep};
    auto res = c.request(get_request(path, extra));
    REQUIRE(res);
    probe_result out;
    out.status = res->result_int();
    out.raw = res->body();
    out.body = json::parse(res->body()).as_object();
    out.content_type = std::string{(*res)[bh::field::content_type]};
    out.cache_control = std::string{(*res)[bh::field::cache_control]};
    return out;
}

} // namespace

TEST_CASE("Health endpoints answer probes over a real socket", "[health][endpoints]") {
    health_registry registry;
    const auto warmup = registry.add({.name = "warmup", .groups = {"startup"}});
    const auto db = registry.add({.name = "db"});
    const auto loop = registry.add({.name = "loop", .groups = {"liveness"}});
    http::router routes;
    //! [routes]
    http::add_health_routes(routes, registry); // /health/live, /health/ready, /health/startup
    //! [routes]
    test_server server{{}, http::pipeline<>{}, std::move(routes)};
    const auto ep = server.endpoint();

    // Starting: everything fails, and says only that.
    for (const char* path : {"/health/live", "/health/ready", "/health/startup"}) {
        const auto r = probe(ep, path);
        CHECK(r.status == 503);
        CHECK(r.raw == R"({"status":"fail"})");
        CHECK(r.content_type == "application/health+json");
        CHECK(r.cache_control == "no-store");
    }
    registry.record(warmup, check_result::pass(), now, 1ms);
    registry.record(db, check_result::pass(), now, 1ms);
    registry.record(loop, check_result::pass(), now, 1ms);
    CHECK(probe(ep, "/health/startup").status == 200);
    CHECK(probe(ep, "/health/live").status == 200);
    CHECK(probe(ep, "/health/ready").raw == R"({"status":"pass"})");

    // warn is still 200: the instance keeps its traffic.
    registry.record(db, check_result::warn("replica lag 4 s"), now, 1ms);
    auto r = probe(ep, "/health/ready");
    CHECK(r.status == 200);
    CHECK(r.body.at("status") == "warn");

    // A failing dependency takes the instance out of rotation but does not restart it.
    registry.record(db, check_result::fail("connection refused"), now, 1ms);
    CHECK(probe(ep, "/health/ready").status == 503);
    CHECK(probe(ep, "/health/live").status == 200);

    // Graceful drain: readiness fails while liveness stays up.
    registry.record(db, check_result::pass(), now, 1ms);
    CHECK(probe(ep, "/health/ready").status == 200);
    registry.drain();
    CHECK(probe(ep, "/health/ready").status == 503);
    CHECK(probe(ep, "/health/live").status == 200);
}

TEST_CASE("Public endpoints hide details; an internal listener shows them", "[health][endpoints]") {
    health_registry registry;
    const auto db = registry.add({.name = "postgres:connect",
                                  .component_type = "datastore",
                                  .component_id = "10.1.2.3:5432"});
    registry.record(db, check_result::fail("password authentication failed for user app"), now,
                    3ms);
    const bulwark::health_service_info service{.version = "1", .release_id = "1.4.2-9f2c1e0"};

    http::router public_routes;
    http::add_health_routes(public_routes, registry, {.service = service});
    //! [internal]
    http::router internal_routes;
    http::add_health_routes(internal_routes, registry,
                            {.details = http::health_details::always, .service = service});
    //! [internal]
    test_server public_server{{}, http::pipeline<>{}, std::move(public_routes)};
    test_server internal_server{{}, http::pipeline<>{}, std::move(internal_routes)};

    const auto pub = probe(public_server.endpoint(), "/health/ready");
    CHECK(pub.status == 503);
    CHECK(pub.body.size() == 1);
    CHECK(pub.raw.find("password") == std::string::npos);
    CHECK(pub.raw.find("10.1.2.3") == std::string::npos);
    CHECK(pub.raw.find("1.4.2") == std::string::npos);

    const auto in = probe(internal_server.endpoint(), "/health/ready");
    CHECK(in.status == 503);
    CHECK(in.body.at("status") == "fail");
    CHECK(in.body.at("version") == "1");
    CHECK(in.body.at("releaseId") == "1.4.2-9f2c1e0");
    const auto& checks = in.body.at("checks").as_object();
    REQUIRE(checks.size() == 1);
    const auto& entries = checks.at("postgres:connect").as_array();
    REQUIRE(entries.size() == 1);
    const auto& check = entries[0].as_object();
    CHECK(check.at("componentType") == "datastore");
    CHECK(check.at("componentId") == "10.1.2.3:5432");
    CHECK(check.at("status") == "fail");
    CHECK(check.at("output") == "password authentication failed for user app");
    const std::regex rfc3339{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"};
    CHECK(std::regex_match(std::string{check.at("time").as_string()}, rfc3339));
}

TEST_CASE("Details when authorized: a predicate decides per request", "[health][endpoints]") {
    health_registry registry;
    const auto db = registry.add({.name = "db"});
    registry.record(db, check_result::pass().observed(4.25, "ms"), now, 4ms);
    http::router routes;
    //! [authorized]
    http::add_health_routes(
        routes, registry,
        {.details = http::health_details::when_authorized,
         .authorize = [](const http::request_context&, const http::request& req) {
             return req[boost::beast::http::field::authorization] == "Bearer ops-token";
         }});
    //! [authorized]
    test_server server{{}, http::pipeline<>{}, std::move(routes)};
    const auto anonymous = probe(server.endpoint(), "/health/ready");
    CHECK(anonymous.raw == R"({"status":"pass"})");
    const auto wrong = probe(server.endpoint(), "/health/ready", "Authorization: Bearer guess\r\n");
    CHECK(wrong.raw == R"({"status":"pass"})");
    const auto ops =
        probe(server.endpoint(), "/health/ready", "Authorization: Bearer ops-token\r\n");
    const auto& check = ops.body.at("checks").at("db").as_array()[0].as_object();
    CHECK(check.at("observedValue").to_number<double>() == 4.25);
    CHECK(check.at("observedUnit") == "ms");
    CHECK_FALSE(check.contains("output")); // a pass has no output
}

TEST_CASE("Custom paths and groups; configuration errors name the field", "[health][endpoints]") {
    health_registry registry;
    const auto deep = registry.add({.name = "search", .groups = {"deep"}});
    registry.record(deep, check_result::fail("index stale"), now, 1ms);
    http::router routes;
    http::add_health_routes(routes, registry,
                            {.routes = {{"/livez", "liveness"}, {"/internal/deep", "deep"}}});
    test_server server{{}, http::pipeline<>{}, std::move(routes)};
    CHECK(probe(server.endpoint(), "/livez").status == 200);
    CHECK(probe(server.endpoint(), "/internal/deep").status == 503);
    raw_client c{server.endpoint()};
    CHECK(c.request(get_request("/health/live"))->result_int() == 404);

    http::router r2;
    CHECK_THROWS_WITH(http::add_health_routes(r2, registry, {.routes = {}}),
                      Catch::Contains("health_endpoints_config.routes"));
    CHECK_THROWS_WITH(http::add_health_routes(r2, registry, {.routes = {{"live", "liveness"}}}),
                      Catch::Contains("health_endpoints_config.routes.path"));
    CHECK_THROWS_WITH(http::add_health_routes(r2, registry, {.routes = {{"/x", "a b"}}}),
                      Catch::Contains("health_endpoints_config.routes.group"));
    CHECK_THROWS_WITH(
        http::add_health_routes(r2, registry, {.details = http::health_details::when_authorized}),
        Catch::Contains("health_endpoints_config.authorize"));
    http::add_health_routes(r2, registry);
    CHECK_THROWS_WITH(http::add_health_routes(r2, registry), Catch::Contains("router"));
}

TEST_CASE("1000 concurrent probes never run a check more than once per interval",
          "[health][endpoints][concurrency]") {
    health_registry registry;
    http::router routes;
    http::add_health_routes(routes, registry);
    test_server server{{}, http::pipeline<>{}, std::move(routes), 2};
    std::atomic<int> runs{0};
    monitor_type monitor{server.context().get_executor(), registry};
    monitor.add({.name = "db", .timeout = 1s, .interval = 10s}, [&runs] {
        ++runs;
        return check_result::pass();
    });
    monitor.start();
    REQUIRE(
        eventually([&] { return registry.status("readiness") == bulwark::health_status::pass; }));

    // 250 connections with 4 pipelined probes each: 1000 probes in flight at once.
    constexpr int connections = 250;
    constexpr int per_connection = 4;
    std::vector<std::unique_ptr<raw_client>> clients;
    for (int i = 0; i < connections; ++i) {
        clients.push_back(std::make_unique<raw_client>(server.endpoint()));
    }
    std::string burst;
    for (int i = 0; i < per_connection; ++i) {
        burst += get_request("/health/ready");
    }
    for (auto& c : clients) {
        REQUIRE(c->send(burst));
    }
    int ok = 0;
    for (auto& c : clients) {
        for (int i = 0; i < per_connection; ++i) {
            const auto res = c->read_response();
            ok += res && res->result_int() == 200 && res->body() == R"({"status":"pass"})";
        }
    }
    CHECK(ok == connections * per_connection);
    CHECK(runs == 1);

    manual_asio_clock::advance(10s);
    REQUIRE(eventually([&] { return runs == 2; }));
    for (auto& c : clients) {
        REQUIRE(c->send(burst));
    }
    for (auto& c : clients) {
        for (int i = 0; i < per_connection; ++i) {
            REQUIRE(c->read_response());
        }
    }
    CHECK(runs == 2);
    monitor.stop();
}

TEST_CASE("make_health_response serves a user's own session loop", "[health][endpoints]") {
    health_registry registry;
    const auto db = registry.add({.name = "db"});
    registry.record(db, check_result::fail("down"), now, 1ms);
    const auto res = http::make_health_response(*registry.report("readiness"), {}, false, 10);
    CHECK(res.result() == bh::status::service_unavailable);
    CHECK(res.version() == 10);
    CHECK(res.body() == R"({"status":"fail"})");
    CHECK(res[bh::field::content_length] == "17");
}
