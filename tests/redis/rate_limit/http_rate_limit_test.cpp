// The HTTP rate_limit middleware with redis::gcra_limiter: two real servers (two instances of
// a service) on loopback share one limit kept in a real redis-server, answer with the same 429
// and headers as a local limit, and keep answering when Redis goes away.
#include <bulwark/http/rate_limit/rate_limit.hpp>
#include <bulwark/http/server.hpp>
#include <bulwark/redis/rate_limit/gcra_limiter.hpp>
#include <bulwark/telemetry/metrics/component_metrics.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <support/metrics_text.hpp>
#include <support/redis_fixture.hpp>
#include <support/test_client.hpp>

namespace bh = boost::beast::http;
namespace http = bulwark::http;
using bulwark::quota;
using bulwark::redis::command;
using bulwark::redis::connection;
using bulwark::redis::gcra_limiter;
using bulwark::test::eventually;
using bulwark::test::get_request;
using bulwark::test::io_thread;
using bulwark::test::raw_client;
using bulwark::test::redis_server;
using bulwark::test::redis_test_config;
using bulwark::test::test_server;
using namespace std::chrono_literals;

static_assert(http::async_keyed_limiter<gcra_limiter>);

namespace {

http::router hello() {
    http::router r;
    r.get("/", [](http::request_context& ctx, http::request&) {
        http::response res{bh::status::ok, ctx.http_version()};
        res.body() = "hello";
        return res;
    });
    return r;
}

// One instance of the service: its own connection to Redis and its own server.
struct instance {
    std::shared_ptr<gcra_limiter> limiter;
    test_server server;

    instance(connection& store, const quota& q, bulwark::redis::gcra_limiter_config cfg)
        : limiter{std::make_shared<gcra_limiter>(store, q, std::move(cfg))},
          server{{},
                 //! [http]
                 http::pipeline{http::rate_limit<gcra_limiter>{limiter, {.policy = "api"}}},
                 //! [http]
                 hello(),
                 2} {}

    unsigned get() {
        raw_client client{server.endpoint()};
        const auto res = client.request(get_request("/"));
        REQUIRE(res);
        return res->result_int();
    }
};

} // namespace

TEST_CASE("redis rate limit over HTTP: two servers share one limit and answer 429 alike",
          "[redis][rate_limit][http]") {
    redis_server redis;
    io_thread t;
    bulwark::test::two_connections stores{t, redis.port()};
    auto& a_store = stores.a;
    auto& b_store = stores.b;
    const auto q = quota::per_minute(4); // burst 4, no refill within the test
    // Instance a asks Redis every time; b remembers a refused key until its retry time.
    instance a{a_store, q, {.name = "api", .expected_instances = 2, .over_limit_cache = false}};
    instance b{b_store, q, {.name = "api", .expected_instances = 2}};
    bulwark::telemetry::metrics_registry registry;
    //! [metrics]
    const auto exported =
        bulwark::telemetry::instrument(registry, "api", a.limiter->stats_reader());
    //! [metrics]

    // Alternating between the instances: the quota is global, not 4 per instance.
    int allowed = 0;
    for (int i = 0; i < 8; ++i) {
        const auto status = (i % 2 == 0 ? a : b).get();
        CHECK((status == 200 || status == 429));
        allowed += status == 200 ? 1 : 0;
    }
    CHECK(allowed == 4);

    // The refusal is the local limit's: problem+json 429, Retry-After and RateLimit headers.
    raw_client client{b.server.endpoint()};
    const auto res = client.request(get_request("/"));
    REQUIRE(res);
    CHECK(res->result_int() == 429);
    CHECK(res->at(bh::field::content_type) == "application/problem+json");
    const auto retry_after = std::stoi(std::string{res->at(bh::field::retry_after)});
    CHECK(retry_after >= 14); // one token every 15 s
    CHECK(retry_after <= 15);
    CHECK(res->at("RateLimit-Policy") == "\"api\";q=4;w=60");
    CHECK(res->at("RateLimit").starts_with("\"api\";r=0;t="));
    const auto body = boost::json::parse(res->body()).as_object();
    CHECK(body.at("status").as_int64() == 429);

    // The key is the client's address as text, inside the hash tag.
    const auto keys = bulwark::test::run(a_store, command{"KEYS", "bulwark:rl:api:*"});
    REQUIRE(keys.elements.size() == 1);
    INFO(keys.elements[0].text);
    CHECK(keys.elements[0].text.ends_with(":{127.0.0.1/32}"));
    CHECK(a.limiter->stats().store_decisions == 4);
    CHECK(b.limiter->stats().store_decisions == 3);
    CHECK(b.limiter->stats().cached_denials == 2); // its last two refusals had no round trip

    // Redis gone: the instances fall back to their local share (4 / 2 instances = 2) at once.
    redis.kill();
    REQUIRE(eventually([&] { return !a_store.connected(); }));
    int local_allowed = 0;
    for (int i = 0; i < 4; ++i) {
        local_allowed += a.get() == 200 ? 1 : 0;
    }
    CHECK(local_allowed == 2);
    CHECK(a.limiter->stats().local_decisions == 4);
    const auto text = registry.serialize();
    using bulwark::test::value_of;
    CHECK(value_of(text,
                   R"(bulwark_ratelimit_store_decisions_total{limiter="api",source="store"})") ==
          4);
    CHECK(
        value_of(
            text,
            R"(bulwark_ratelimit_store_decisions_total{limiter="api",source="fallback_local"})") ==
        4);
    CHECK(value_of(text, R"(bulwark_ratelimit_store_errors_total{limiter="api",kind="failure"})") +
              value_of(
                  text,
                  R"(bulwark_ratelimit_store_errors_total{limiter="api",kind="breaker_open"})") ==
          4);
}
