#include <bulwark/core/clock.hpp>
#include <bulwark/http/rate_limit/in_flight_limit.hpp>
#include <bulwark/http/rate_limit/rate_limit.hpp>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace bh = boost::beast::http;
namespace http = bulwark::http;
using namespace std::chrono_literals;

namespace {

struct request_at {
    http::request_context ctx;
    http::request req{bh::verb::get, "/", 11};
    http::response res{bh::status::ok, 11};
    request_at(bulwark::time_point now, const char* client, std::string_view route = "/") {
        const auto address = boost::asio::ip::make_address(client);
        ctx.reset({.peer = address, .client = address, .start = now});
        ctx.set_route(route);
    }
    template <class M>
    http::action run(M& mw) {
        const auto a = mw.on_header(ctx, req);
        if (a == http::action::respond) {
            res = ctx.take_response();
        }
        mw.on_response(ctx, res);
        return a;
    }
};

} // namespace

TEST_CASE("per-client limit answers 429 with Retry-After and RateLimit headers",
          "[rate_limit_http]") {
    //! [per_client]
    auto limiter = std::make_shared<bulwark::keyed_limiter<bulwark::gcra_limiter>>(
        bulwark::quota::per_minute(2));
    http::rate_limit per_client{limiter, {.policy = "per-ip"}};
    //! [per_client]
    // The limiter counts from its construction: the request times are taken after it.
    const auto t0 = std::chrono::steady_clock::now();
    request_at a1{t0, "192.0.2.1"};
    CHECK(a1.run(per_client) == http::action::proceed);
    CHECK(a1.res["RateLimit"].empty()); // headers_on_allowed is off by default
    request_at a2{t0, "192.0.2.1"};
    CHECK(a2.run(per_client) == http::action::proceed);
    request_at a3{t0, "192.0.2.1"};
    REQUIRE(a3.run(per_client) == http::action::respond);
    CHECK(a3.res.result_int() == 429);
    CHECK(a3.res[bh::field::retry_after] == "30");
    CHECK(a3.res["RateLimit-Policy"] == "\"per-ip\";q=2;w=60");
    CHECK(a3.res["RateLimit"] == "\"per-ip\";r=0;t=30");
    CHECK(a3.res[bh::field::content_type] == "application/problem+json");
    // Another client has its own budget; the same client recovers at the time it was told.
    request_at b1{t0, "192.0.2.2"};
    CHECK(b1.run(per_client) == http::action::proceed);
    request_at a4{t0 + 30s, "192.0.2.1"};
    CHECK(a4.run(per_client) == http::action::proceed);
    CHECK(per_client.stats().limited == 1);
    CHECK(per_client.stats().allowed == 4);
}

TEST_CASE("headers on allowed responses, shadow mode, unkeyed requests", "[rate_limit_http]") {
    const auto t0 = std::chrono::steady_clock::now();
    SECTION("headers_on_allowed") {
        auto mw = http::per_client_rate_limit(bulwark::quota::per_second(10),
                                              {.policy = "p", .headers_on_allowed = true});
        request_at r{t0, "2001:db8::1"};
        CHECK(r.run(mw) == http::action::proceed);
        CHECK(r.res["RateLimit"] == "\"p\";r=9;t=1");
        CHECK(r.res[bh::field::retry_after].empty());
    }
    SECTION("shadow mode counts without refusing") {
        auto mw = http::per_client_rate_limit(bulwark::quota::per_minute(1), {.enforce = false});
        request_at r1{t0, "192.0.2.9"};
        CHECK(r1.run(mw) == http::action::proceed);
        request_at r2{t0, "192.0.2.9"};
        CHECK(r2.run(mw) == http::action::proceed);
        CHECK(r2.res.result_int() == 200);
        CHECK(r2.ctx.shadow_rejections() == 1);
        CHECK(mw.stats().limited == 1);
        // A 429 from elsewhere does not carry the shadow limiter's headers.
        request_at r3{t0, "192.0.2.9"};
        CHECK(mw.on_header(r3.ctx, r3.req) == http::action::proceed);
        r3.ctx.reject({.status = 429}, "another_limiter");
        r3.res = r3.ctx.take_response();
        mw.on_response(r3.ctx, r3.res);
        CHECK(r3.res["RateLimit"].empty());
        CHECK(r3.res[bh::field::retry_after].empty());
    }
    SECTION("a header key skips requests without the header") {
        //! [header_key]
        http::rate_limit<bulwark::keyed_limiter<bulwark::gcra_limiter>, http::header_key> mw{
            std::make_shared<bulwark::keyed_limiter<bulwark::gcra_limiter>>(
                bulwark::quota::per_minute(1)),
            {.policy = "api-key"},
            http::header_key{"X-Api-Key"}};
        //! [header_key]
        for (int i = 0; i < 3; ++i) {
            request_at r{t0, "192.0.2.9"};
            CHECK(r.run(mw) == http::action::proceed);
        }
        CHECK(mw.stats().unkeyed == 3);
        request_at k1{t0, "192.0.2.9"};
        k1.req.set("X-Api-Key", "k");
        CHECK(k1.run(mw) == http::action::proceed);
        request_at k2{t0, "192.0.2.10"};
        k2.req.set("X-Api-Key", "k"); // same key from elsewhere: same budget
        CHECK(k2.run(mw) == http::action::respond);
    }
    SECTION("a single limiter shared by every request") {
        //! [global]
        http::rate_limit<bulwark::gcra_limiter> global{
            std::make_shared<bulwark::gcra_limiter>(bulwark::quota::per_minute(1)),
            {.policy = "global"}};
        //! [global]
        request_at r1{t0, "192.0.2.1"};
        CHECK(r1.run(global) == http::action::proceed);
        request_at r2{t0, "192.0.2.2"};
        CHECK(r2.run(global) == http::action::respond);
        CHECK(r2.res["RateLimit-Policy"] == "\"global\";q=1;w=60");
    }
    SECTION("route key and chained limits: the refusing policy's headers are sent") {
        //! [route_key]
        http::rate_limit<bulwark::keyed_limiter<bulwark::gcra_limiter>, http::route_key> route{
            std::make_shared<bulwark::keyed_limiter<bulwark::gcra_limiter>>(
                bulwark::quota::per_minute(1)),
            {.policy = "route"}};
        auto client =
            http::per_client_rate_limit(bulwark::quota::per_minute(100), {.policy = "client"});
        //! [route_key]
        request_at r1{t0, "192.0.2.1", "/search"};
        CHECK(r1.run(client) == http::action::proceed);
        CHECK(r1.run(route) == http::action::proceed);
        request_at r2{t0, "192.0.2.2", "/search"};
        CHECK(r2.ctx.route() == "/search");
        CHECK(client.on_header(r2.ctx, r2.req) == http::action::proceed);
        REQUIRE(route.on_header(r2.ctx, r2.req) == http::action::respond);
        r2.res = r2.ctx.take_response();
        route.on_response(r2.ctx, r2.res);
        client.on_response(r2.ctx, r2.res);
        CHECK(r2.res["RateLimit-Policy"] == "\"route\";q=1;w=60");
    }
}

TEST_CASE("in-flight limit: 503 with Retry-After at the limit, permit back on completion",
          "[rate_limit_http]") {
    //! [in_flight]
    http::in_flight_limit mw{{.max_in_flight = 2, .retry_after = 3s}};
    //! [in_flight]
    http::request_context first;
    http::request_context second;
    http::request_context third;
    http::request req{bh::verb::get, "/", 11};
    first.reset({});
    second.reset({});
    third.reset({});
    CHECK(mw.on_header(first, req) == http::action::proceed);
    CHECK(mw.on_header(second, req) == http::action::proceed);
    CHECK(mw.stats().in_flight == 2);
    REQUIRE(mw.on_header(third, req) == http::action::respond);
    auto res = third.take_response();
    mw.on_response(third, res);
    CHECK(res.result_int() == 503);
    CHECK(res[bh::field::retry_after] == "3");
    first.release(); // what the session does after the completion hooks
    CHECK(mw.stats().in_flight == 1);
    third.reset({});
    CHECK(mw.on_header(third, req) == http::action::proceed);
    CHECK(mw.stats().refused == 1);
    CHECK_THROWS_AS(http::in_flight_limit({.max_in_flight = 0}), std::system_error);
}
