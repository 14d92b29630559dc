// redis::gcra_limiter against a real redis-server: one quota shared by two instances,
// decisions equal to the local GCRA's, keys that expire, NOSCRIPT answered by resending the
// script, the over-limit cache, and Redis killed and restarted under each on_failure mode.
#include <bulwark/redis/rate_limit/gcra_limiter.hpp>

#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <future>
#include <support/eventually.hpp>
#include <support/redis_fixture.hpp>
#include <thread>

namespace net = boost::asio;
using bulwark::quota;
using bulwark::rate_decision;
using bulwark::redis::command;
using bulwark::redis::connection;
using bulwark::redis::gcra_limiter;
using bulwark::redis::on_store_failure;
using bulwark::redis::reply;
using bulwark::test::eventually;
using bulwark::test::io_thread;
using bulwark::test::redis_fixture;
using bulwark::test::redis_server;
using bulwark::test::redis_test_config;
using bulwark::test::run;
using namespace std::chrono_literals;

namespace {

rate_decision decide(gcra_limiter& l, std::string_view key, std::uint64_t n = 1) {
    auto f = l.async_try_acquire(key, n, net::use_future);
    REQUIRE(f.wait_for(10s) == std::future_status::ready); // always decides, never hangs
    return f.get();
}

} // namespace

TEST_CASE("redis gcra: two instances share one quota exactly", "[redis][rate_limit]") {
    redis_server server;
    io_thread t;
    bulwark::test::two_connections conns{t, server.port()};
    auto& a_conn = conns.a;
    auto& b_conn = conns.b;
    // 10 per minute, burst 10: no refill during the test.
    const auto q = quota::per_minute(10);
    gcra_limiter a{a_conn, q, {.over_limit_cache = false}};
    gcra_limiter b{b_conn, q, {.over_limit_cache = false}};
    // All 30 in flight at once on two connections: only the script's atomicity keeps the
    // total at the quota.
    std::vector<std::future<rate_decision>> decisions;
    for (int i = 0; i < 30; ++i) {
        decisions.push_back((i % 2 == 0 ? a : b).async_try_acquire("client-1", 1, net::use_future));
    }
    int allowed = 0;
    for (auto& f : decisions) {
        REQUIRE(f.wait_for(10s) == std::future_status::ready);
        allowed += f.get().allowed ? 1 : 0;
    }
    CHECK(allowed == 10);
    CHECK(a.stats().store_decisions + b.stats().store_decisions == 30);
    // Another key has its own budget.
    CHECK(decide(a, "client-2").allowed);
}

TEST_CASE("redis gcra: decisions equal the local GCRA's", "[redis][rate_limit]") {
    redis_fixture f;
    auto& c = f.c;
    const auto q = quota::per_minute(10); // T = 6 s, burst 10, window 60 s
    gcra_limiter l{c, q};
    auto d = decide(l, "k");
    CHECK(d.allowed);
    CHECK(d.limit == 10);
    CHECK(d.remaining == 9);
    CHECK(d.window == 60s);
    CHECK(d.retry_after == 0s);
    CHECK(d.reset_after > 5900ms); // one token spent: full again in T = 6 s
    CHECK(d.reset_after <= 6s);
    d = decide(l, "k", 9);
    CHECK(d.allowed);
    CHECK(d.remaining == 0);
    d = decide(l, "k");
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after > 5900ms); // the next token in about T
    CHECK(d.retry_after <= 6s);
    const auto peek = decide(l, "k", 0); // cost 0 reads the shared state, spends nothing
    CHECK(peek.allowed);
    CHECK(peek.remaining == 0);
    CHECK(peek.reset_after > 59s);
    d = decide(l, "other", 11); // more than the burst: never
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == rate_decision::never);
}

TEST_CASE("redis gcra: a fractional emission interval gives the local GCRA's decisions exactly",
          "[redis][rate_limit]") {
    redis_fixture f;
    auto& c = f.c;
    const auto q = quota::per_second(7).with_burst(5); // T = 142857143 ns
    gcra_limiter l{c, q};
    bulwark::gcra_limiter local_one{q};
    // Requests a few hundred microseconds apart: far less than T, so the remaining counts are
    // exactly the local limiter's for requests at the same instant.
    for (std::uint64_t expected = 4;; --expected) {
        const auto d = decide(l, "k");
        const auto reference = local_one.try_acquire(1, bulwark::time_point{});
        CHECK(d.allowed == reference.allowed);
        CHECK(d.remaining == reference.remaining);
        CHECK(d.remaining == expected);
        if (expected == 0) {
            break;
        }
    }
    const auto refused = decide(l, "k2", 6); // more than the burst
    CHECK(refused.retry_after == rate_decision::never);
    const auto d = decide(l, "k");
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after > 0ns); // never zero or negative
    CHECK(d.retry_after <= q.emission_interval());
}

TEST_CASE("redis gcra: hash-tagged keys that expire when full again", "[redis][rate_limit]") {
    redis_fixture f;
    auto& c = f.c;
    gcra_limiter l{c, quota::per_second(10), {.name = "api"}}; // T = 100 ms, burst 10
    CHECK(decide(l, "user:7", 3).allowed);
    const std::string key = "bulwark:rl:api:100000000:10:{user:7}"; // name, quota, hash tag
    const auto ttl = run(c, command{"PTTL", key});
    REQUIRE(ttl.type == reply::kind::integer);
    CHECK(ttl.integer > 0);
    CHECK(ttl.integer <= 301); // 3 tokens of 100 ms, plus 1 ms
    REQUIRE(eventually([&] { return run(c, command{"EXISTS", key}).integer == 0; }));
}

TEST_CASE("redis gcra: different limits never share a key; a corrupt key recovers",
          "[redis][rate_limit]") {
    redis_fixture f;
    auto& c = f.c;
    gcra_limiter per_route{c, quota::per_minute(2), {.name = "route"}};
    gcra_limiter per_client{c, quota::per_minute(2), {.name = "client"}};
    CHECK(decide(per_route, "203.0.113.7").allowed);
    CHECK(decide(per_route, "203.0.113.7").allowed);
    CHECK(decide(per_client, "203.0.113.7").allowed); // its own budget
    // A value written by hand is not two integers: the key starts afresh.
    run(c, command{"SET", "bulwark:rl:default:30000000000:2:{x}", "inf"});
    gcra_limiter l{c, quota::per_minute(2)};
    auto d = decide(l, "x");
    CHECK(d.allowed);
    CHECK(d.remaining == 1);
    // A key of another type: Redis answers with an error, which is this key's problem, not
    // Redis being down: the decision follows on_failure and the breaker stays closed.
    run(c, command{"LPUSH", "bulwark:rl:default:30000000000:2:{list}", "x"});
    for (int i = 0; i < 12; ++i) {
        (void)decide(l, "list");
    }
    CHECK(l.stats().reply_errors == 12);
    CHECK(l.stats().local_decisions == 12);
    CHECK(l.store_state() == bulwark::breaker_state::closed);
}

TEST_CASE("redis gcra: NOSCRIPT is answered by sending the script", "[redis][rate_limit]") {
    redis_fixture f;
    auto& c = f.c;
    gcra_limiter l{c, quota::per_minute(10)};
    CHECK(decide(l, "k").allowed); // the first call meets an empty script cache too
    const auto reloads = l.stats().script_reloads;
    CHECK(reloads == 1);
    CHECK(run(c, command{"SCRIPT", "FLUSH"}).text == "OK");
    const auto d = decide(l, "k");
    CHECK(d.allowed);
    CHECK(d.remaining == 8); // the state survived the flush; only the script was reloaded
    CHECK(l.stats().script_reloads == reloads + 1);
    CHECK(decide(l, "k").remaining == 7);
    CHECK(l.stats().script_reloads == reloads + 1);
}

TEST_CASE("redis gcra: batch leasing spends granted tokens locally and never over-admits",
          "[redis][rate_limit]") {
    redis_server server;
    io_thread t;
    bulwark::test::two_connections conns{t, server.port()};
    auto& a_conn = conns.a;
    auto& b_conn = conns.b;
    const auto q = quota::per_minute(10); // T = 6 s, burst 10: no refill within the test

    SECTION("two instances: exactly the quota, most decisions without a round trip") {
        //! [lease]
        gcra_limiter a{a_conn, q, {.name = "api", .lease = 4, .lease_ttl = 5s}};
        //! [lease]
        gcra_limiter b{b_conn, q, {.name = "api", .lease = 4, .lease_ttl = 5s}};
        // The first call for a key asks for its own cost; the second, within lease_ttl, takes
        // 4 tokens: 1 now and 3 for the next calls, which make no round trip.
        CHECK(decide(a, "k").allowed);
        CHECK(decide(a, "k").allowed);
        const auto sent = a_conn.stats().commands;
        rate_decision d;
        for (int i = 0; i < 3; ++i) {
            d = decide(a, "k");
            CHECK(d.allowed);
        }
        CHECK(a_conn.stats().commands == sent);
        CHECK(a.stats().lease_decisions == 3);
        CHECK(a.stats().leased_tokens == 3);
        CHECK(d.remaining == 5); // as a sees the bucket: 5 spent of 10

        // b meets the tokens a took as spent: the other 5, then refusals.
        int b_allowed = 0;
        for (int i = 0; i < 8; ++i) {
            b_allowed += decide(b, "k").allowed ? 1 : 0;
        }
        CHECK(b_allowed == 5);
        CHECK_FALSE(decide(a, "k").allowed);
        CHECK(a.stats().store_decisions == 3);
        CHECK(b.stats().store_decisions == 3);
        CHECK(b.stats().lease_decisions == 3);
        CHECK(b.stats().cached_denials == 2);
        CHECK(a.stats().lease_expired + b.stats().lease_expired == 0); // nothing wasted
    }
    SECTION("concurrent misses: one grant in flight per key, every request admitted") {
        gcra_limiter l{
            a_conn, quota::per_minute(100), {.name = "burst", .lease = 10, .lease_ttl = 5s}};
        std::vector<std::future<rate_decision>> decisions;
        for (int i = 0; i < 20; ++i) {
            decisions.push_back(l.async_try_acquire("k", 1, net::use_future));
        }
        for (auto& f : decisions) {
            REQUIRE(f.wait_for(10s) == std::future_status::ready);
            CHECK(f.get().allowed);
        }
        CHECK(l.stats().leased_tokens == 9); // only the second call asked for a lease
        const auto sent = a_conn.stats().commands;
        for (int i = 0; i < 9; ++i) {
            CHECK(decide(l, "k").allowed);
        }
        CHECK(a_conn.stats().commands == sent);
        CHECK(l.stats().lease_decisions == 9);
    }
    SECTION("a key seen less often than lease_ttl is never leased") {
        gcra_limiter sparse{a_conn, q, {.name = "sparse", .lease = 5, .lease_ttl = 1ns}};
        for (int i = 0; i < 4; ++i) {
            CHECK(decide(sparse, "k").allowed);
        }
        CHECK(sparse.stats().leased_tokens == 0);
        CHECK(decide(sparse, "k").remaining == 5); // 5 of 10 spent: nothing taken unused
    }
    SECTION("leased tokens past lease_ttl are dropped, not spent") {
        const auto ttl = 300ms;
        gcra_limiter brief{a_conn, q, {.name = "brief", .lease = 5, .lease_ttl = ttl}};
        const auto start = std::chrono::steady_clock::now();
        CHECK(decide(brief, "k").allowed);
        CHECK(decide(brief, "k").allowed);                     // takes 5: 4 leased
        const auto granted = std::chrono::steady_clock::now(); // after the lease's send
        if (granted - start < ttl) { // the two calls were within lease_ttl (a slow CI may not)
            CHECK(brief.stats().leased_tokens == 4);
            REQUIRE(eventually([&] { return std::chrono::steady_clock::now() - granted > ttl; }));
            CHECK(decide(brief, "k").allowed); // from Redis: the lease expired
            CHECK(brief.stats().lease_decisions == 0);
            CHECK(brief.stats().lease_expired == 4);
        }
    }
}

TEST_CASE("redis gcra: the over-limit cache refuses known keys without a round trip",
          "[redis][rate_limit]") {
    redis_fixture f;
    auto& c = f.c;
    gcra_limiter l{c, quota::per_minute(2)};
    CHECK(decide(l, "k").allowed);
    CHECK(decide(l, "k").allowed);
    const auto refused = decide(l, "k");
    CHECK_FALSE(refused.allowed);
    const auto sent = c.stats().commands;
    for (int i = 0; i < 5; ++i) {
        const auto d = decide(l, "k");
        CHECK_FALSE(d.allowed);
        CHECK(d.retry_after <= refused.retry_after);
        CHECK(d.retry_after > 0s);
    }
    CHECK(c.stats().commands == sent); // none reached Redis
    CHECK(l.stats().cached_denials == 5);
    CHECK(decide(l, "other").allowed); // other keys still go to Redis
}

TEST_CASE("redis gcra: Redis down: each failure mode decides, the breaker skips, recovery",
          "[redis][rate_limit]") {
    redis_server server;
    io_thread t;
    auto cfg = redis_test_config(server.port());
    cfg.command_timeout = 100ms;
    connection c{t.io.get_executor(), cfg};
    c.start();
    REQUIRE(eventually([&] { return c.connected(); }));
    const auto q = quota::per_minute(10);
    const bulwark::circuit_breaker_config breaker{
        .window_size = 4, .minimum_calls = 4, .wait_in_open = 1s};
    gcra_limiter open{c, q, {.on_failure = on_store_failure::allow, .breaker = breaker}};
    gcra_limiter closed{c, q, {.on_failure = on_store_failure::deny, .breaker = breaker}};
    gcra_limiter local_limit{
        c,
        q,
        {.on_failure = on_store_failure::local_limit, .expected_instances = 5, .breaker = breaker}};
    CHECK(decide(local_limit, "k").allowed);
    const auto ready = local_limit.health_check();
    CHECK(ready().status == bulwark::health_status::pass);
    server.kill();
    REQUIRE(eventually([&] { return !c.connected(); }));
    CHECK(ready().status == bulwark::health_status::fail);
    CHECK(ready().output == "redis not connected; deciding by local_limit");

    CHECK(decide(open, "k").allowed);
    CHECK_FALSE(decide(closed, "k").allowed);
    // 10 per minute over 5 instances: a local burst of 2.
    int allowed = 0;
    for (int i = 0; i < 6; ++i) {
        allowed += decide(local_limit, "k").allowed ? 1 : 0;
    }
    CHECK(allowed == 2);
    const auto s = local_limit.stats();
    CHECK(s.local_decisions == 6);
    CHECK(s.store_failures + s.breaker_skips == 6);
    CHECK(s.breaker_skips >= 2); // opened after 4 failures: the rest never waited
    CHECK(local_limit.store_state() == bulwark::breaker_state::open);

    server.restart();
    REQUIRE(eventually([&] { return c.connected(); }));
    // After wait_in_open (1 s), half-open probes reach Redis again and close the breaker.
    int probe = 0;
    REQUIRE(eventually([&] {
        // A new key each time: a cached denial would never reach the breaker.
        (void)decide(local_limit, "fresh-" + std::to_string(++probe));
        return local_limit.store_state() == bulwark::breaker_state::closed;
    }));
    CHECK(ready().status == bulwark::health_status::pass);
    const auto before = local_limit.stats().store_decisions;
    CHECK(decide(local_limit, "fresh-2").allowed);
    CHECK(local_limit.stats().store_decisions == before + 1);
}

TEST_CASE("redis gcra config errors name their field", "[redis][rate_limit][config]") {
    io_thread t;
    connection c{t.io.get_executor(), {}};
    CHECK_THROWS_WITH((gcra_limiter{c, quota::per_second(1), {.expected_instances = 0}}),
                      Catch::Contains("gcra_limiter_config.expected_instances"));
    CHECK_THROWS_WITH((gcra_limiter{c, quota::per_second(1), {.max_local_keys = 0}}),
                      Catch::Contains("gcra_limiter_config.max_local_keys"));
    CHECK_THROWS_WITH((gcra_limiter{c, quota::per_second(-1)}), Catch::Contains("quota"));
    CHECK_THROWS_WITH((gcra_limiter{c, quota::per_second(1), {.name = ""}}),
                      Catch::Contains("gcra_limiter_config.name"));
    CHECK_THROWS_WITH((gcra_limiter{c, quota::per_second(1), {.lease = 0}}),
                      Catch::Contains("gcra_limiter_config.lease"));
    CHECK_THROWS_WITH((gcra_limiter{c, quota::per_minute(10), {.lease = 11}}),
                      Catch::Contains("gcra_limiter_config.lease"));
    CHECK_THROWS_WITH((gcra_limiter{c, quota::per_second(1), {.lease_ttl = 0ns}}),
                      Catch::Contains("gcra_limiter_config.lease_ttl"));
    // A debt of up to T x burst must stay exact in the script: 2^53 ns is about 104 days.
    CHECK_THROWS_WITH((gcra_limiter{c, quota::per(std::chrono::hours{24 * 365}, 1000)}),
                      Catch::Contains("quota.burst"));
}

TEST_CASE("the example of docs/rate_limit.md (global limits)", "[redis][rate_limit][docs]") {
    redis_server server;
    io_thread t;
    connection redis{t.io.get_executor(), redis_test_config(server.port())};
    redis.start();
    REQUIRE(eventually([&] { return redis.connected(); }));
    const std::string client_key = "203.0.113.7";
    std::promise<bool> admitted;
    //! [redis_gcra]
    // 100 requests per second per client, shared by every instance of the service. If Redis
    // is unreachable, each of the 4 instances limits on its own at 25 per second.
    bulwark::redis::gcra_limiter limiter{
        redis,
        bulwark::quota::per_second(100),
        {.on_failure = bulwark::redis::on_store_failure::local_limit, .expected_instances = 4}};
    limiter.async_try_acquire(client_key, 1, [&](bulwark::rate_decision d) {
        // The same decision type as the local limiters: allowed, remaining, retry_after...
        admitted.set_value(d.allowed);
    });
    //! [redis_gcra]
    auto f = admitted.get_future();
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    CHECK(f.get());
    CHECK(limiter.stats().store_decisions == 1);
}
