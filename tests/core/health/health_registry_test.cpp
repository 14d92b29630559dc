#include <bulwark/core/health/health_registry.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <limits>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "support/config_error.hpp"

using namespace std::chrono_literals;
using bulwark::check_result;
using bulwark::health_registry;
using bulwark::health_status;
using bulwark::test::config_error;

namespace {

const auto t0 = std::chrono::system_clock::time_point{} + 1'000'000s;

void pass(health_registry& r, health_registry::check_id id) {
    r.record(id, check_result::pass(), t0, 1ms);
}
void fail(health_registry& r, health_registry::check_id id) {
    r.record(id, check_result::fail("down"), t0, 1ms);
}

} // namespace

TEST_CASE("health_check_config validation names the field", "[health]") {
    health_registry r;
    CHECK_THAT(config_error([&] { r.add({}); }), Catch::Contains("health_check_config.name"));
    CHECK_THAT(config_error([&] { r.add({.name = "db:a:b"}); }),
               Catch::Contains("health_check_config.name"));
    CHECK_THAT(config_error([&] { r.add({.name = "white space"}); }),
               Catch::Contains("health_check_config.name"));
    CHECK_THAT(config_error([&] { r.add({.name = "db", .groups = {}}); }),
               Catch::Contains("health_check_config.groups"));
    CHECK_THAT(config_error([&] {
                   r.add({.name = "db", .groups = {"readiness", "readiness"}});
               }),
               Catch::Contains("health_check_config.groups"));
    CHECK_THAT(config_error([&] { r.add({.name = "db", .groups = {"a:b"}}); }),
               Catch::Contains("health_check_config.groups"));
    CHECK_THAT(config_error([&] { r.add({.name = "db", .timeout = 0s}); }),
               Catch::Contains("health_check_config.timeout"));
    CHECK_THAT(config_error([&] { r.add({.name = "db", .interval = -1s}); }),
               Catch::Contains("health_check_config.interval"));
    CHECK_THAT(config_error([&] { r.add({.name = "db", .timeout = 5s, .interval = 1s}); }),
               Catch::Contains("health_check_config.timeout"));
    CHECK(r.size() == 0);
    CHECK(r.add({.name = "postgres:responseTime"}) == 0);
}

TEST_CASE("A duplicate check name is rejected at registration", "[health]") {
    health_registry r;
    r.add({.name = "db"});
    CHECK_THAT(config_error([&] { r.add({.name = "db", .groups = {"liveness"}}); }),
               Catch::Contains("health_check_config.name: is already registered"));
    CHECK(r.size() == 1);
    CHECK(r.find("db") == 0u);
    CHECK_FALSE(r.find("cache").has_value());
}

TEST_CASE("A check is pending (fail) until its first result", "[health]") {
    health_registry r;
    const auto id = r.add({.name = "db"});
    auto rep = r.report("readiness");
    CHECK(rep->status == health_status::fail);
    REQUIRE(rep->checks.size() == 1);
    CHECK_FALSE(rep->checks[0].completed);
    CHECK(rep->checks[0].result.output == "pending");
    pass(r, id);
    rep = r.report("readiness");
    CHECK(rep->status == health_status::pass);
    CHECK(rep->checks[0].completed);
    CHECK(rep->checks[0].time == t0);
    CHECK(rep->checks[0].took == 1ms);
}

TEST_CASE("Pending checks fail readiness but do not fail liveness", "[health]") {
    health_registry r;
    const auto loop = r.add({.name = "loop", .groups = {"liveness", "readiness"}});
    CHECK(r.status("readiness") == health_status::fail);
    CHECK(r.status("liveness") == health_status::pass);
    CHECK(r.report("liveness")->checks.size() == 1); // still listed, as pending
    fail(r, loop);
    CHECK(r.status("liveness") == health_status::fail);
}

TEST_CASE("Aggregation: worst status; a non-critical failure only warns", "[health]") {
    health_registry r;
    const auto db = r.add({.name = "db"});
    const auto cache = r.add({.name = "cache", .critical = false});
    pass(r, db);
    pass(r, cache);
    CHECK(r.status("readiness") == health_status::pass);
    fail(r, cache);
    CHECK(r.status("readiness") == health_status::warn);
    r.record(db, check_result::warn("slow"), t0, 1ms);
    CHECK(r.status("readiness") == health_status::warn);
    fail(r, db);
    CHECK(r.status("readiness") == health_status::fail);
    pass(r, db);
    r.record(cache, check_result::warn("slow"), t0, 1ms);
    CHECK(r.status("readiness") == health_status::warn);
}

TEST_CASE("Groups are independent; an unknown or empty group passes", "[health]") {
    health_registry r;
    const auto disk = r.add({.name = "disk", .groups = {"liveness", "readiness"}});
    const auto db = r.add({.name = "db", .groups = {"readiness", "deep"}});
    pass(r, disk);
    fail(r, db);
    CHECK(r.status("liveness") == health_status::pass);
    CHECK(r.status("readiness") == health_status::fail);
    CHECK(r.status("deep") == health_status::fail);
    CHECK(r.report("deep")->checks.size() == 1);
    CHECK(r.report("readiness")->checks.size() == 2);
    CHECK(r.status("no-such-group") == health_status::pass);
    CHECK(r.report("no-such-group")->checks.empty());
}

TEST_CASE("Startup gates liveness and readiness until it has passed once", "[health]") {
    health_registry r;
    const auto warmup = r.add({.name = "warmup", .groups = {"startup"}});
    const auto db = r.add({.name = "db"});
    const auto loop = r.add({.name = "loop", .groups = {"liveness"}});
    pass(r, db);
    pass(r, loop);
    CHECK_FALSE(r.started());
    CHECK(r.status("liveness") == health_status::fail);
    CHECK(r.report("liveness")->output == "starting");
    CHECK(r.status("readiness") == health_status::fail);
    CHECK(r.report("readiness")->output == "starting");
    CHECK(r.status("startup") == health_status::fail);
    // A failed startup run keeps the gate closed.
    fail(r, warmup);
    CHECK_FALSE(r.started());
    CHECK(r.status("liveness") == health_status::fail);
    pass(r, warmup);
    CHECK(r.started());
    CHECK(r.status("liveness") == health_status::pass);
    CHECK(r.report("liveness")->output.empty());
    CHECK(r.status("readiness") == health_status::pass);
    // Latched: a later startup failure does not gate again (Kubernetes has stopped asking).
    fail(r, warmup);
    CHECK(r.started());
    CHECK(r.status("startup") == health_status::fail);
    CHECK(r.status("liveness") == health_status::pass);
}

TEST_CASE("Without startup checks the registry starts at once", "[health]") {
    health_registry r;
    CHECK(r.started());
    const auto db = r.add({.name = "db"});
    CHECK(r.started());
    pass(r, db);
    CHECK(r.status("readiness") == health_status::pass);
    CHECK(r.status("liveness") == health_status::pass);
}

TEST_CASE("A warning startup check also opens the gate", "[health]") {
    health_registry r;
    const auto warmup = r.add({.name = "warmup", .groups = {"startup"}});
    r.record(warmup, check_result::warn("cache half warm"), t0, 1ms);
    CHECK(r.started());
    CHECK(r.status("liveness") == health_status::pass);
}

TEST_CASE("drain() fails readiness and leaves liveness alone", "[health]") {
    health_registry r;
    const auto db = r.add({.name = "db", .groups = {"liveness", "readiness"}});
    pass(r, db);
    const auto before = r.report("readiness")->generation;
    r.drain();
    CHECK(r.draining());
    CHECK(r.status("readiness") == health_status::fail);
    CHECK(r.report("readiness")->output == "draining");
    CHECK(r.report("readiness")->generation > before);
    CHECK(r.status("liveness") == health_status::pass);
    // Results still update the checks, and readiness stays failed.
    pass(r, db);
    CHECK(r.status("readiness") == health_status::fail);
    CHECK(r.report("readiness")->checks[0].completed);
    r.drain(); // idempotent
    CHECK(r.status("liveness") == health_status::pass);
}

TEST_CASE("Garbage results are sanitized into well-formed ones", "[health]") {
    health_registry r;
    const auto id = r.add({.name = "db"});
    check_result garbage;
    garbage.status = static_cast<health_status>(42);
    garbage.output = "whatever";
    r.record(id, garbage, t0, 1ms);
    auto rep = r.report("readiness");
    CHECK(rep->status == health_status::fail);
    CHECK(rep->checks[0].result.output == "invalid check result");

    auto nan = check_result::pass().observed(std::numeric_limits<double>::quiet_NaN(), "ms");
    r.record(id, nan, t0, 1ms);
    rep = r.report("readiness");
    CHECK(rep->status == health_status::pass);
    CHECK_FALSE(rep->checks[0].result.observed_value.has_value());
    CHECK(rep->checks[0].result.observed_unit.empty());

    // Output is cut to 1024 bytes, never inside a UTF-8 sequence.
    std::string long_output(1023, 'x');
    long_output += "\xc3\xa9\xc3\xa9"; // é é straddling the limit
    r.record(id, check_result::fail(long_output), t0, 1ms);
    rep = r.report("readiness");
    CHECK(rep->checks[0].result.output == std::string(1023, 'x'));
}

TEST_CASE("Records for an unknown id are ignored", "[health]") {
    health_registry r;
    r.record(7, check_result::pass(), t0, 1ms);
    CHECK(r.size() == 0);
    CHECK(r.status("readiness") == health_status::pass);
}

TEST_CASE("on_run observes every recorded run", "[health]") {
    std::vector<std::tuple<std::string, health_status, bulwark::duration, bool>> runs;
    health_registry r{{.on_run = [&](const bulwark::health_run& run) {
        runs.emplace_back(run.config.name, run.status, run.took, run.timed_out);
    }}};
    const auto id = r.add({.name = "db"});
    r.record(id, check_result::pass(), t0, 3ms);
    r.record(id, check_result::fail("timed out"), t0, 1s, true);
    REQUIRE(runs.size() == 2);
    CHECK(runs[0] ==
          std::tuple{std::string{"db"}, health_status::pass, bulwark::duration{3ms}, false});
    CHECK(runs[1] ==
          std::tuple{std::string{"db"}, health_status::fail, bulwark::duration{1s}, true});
}

TEST_CASE("Reports are immutable snapshots readers can hold while results change",
          "[health][concurrency]") {
    health_registry r;
    const auto a = r.add({.name = "a"});
    const auto b = r.add({.name = "b"});
    std::atomic<bool> stop{false};
    std::atomic<int> torn{0};
    std::thread reader{[&] {
        while (!stop.load()) {
            const auto rep = r.report("readiness");
            // A snapshot's aggregate always matches its own checks.
            auto s = health_status::pass;
            for (const auto& c : rep->checks) {
                s = bulwark::worst(s, c.result.status);
            }
            if (s != rep->status) {
                torn.fetch_add(1);
            }
        }
    }};
    for (int i = 0; i < 20000; ++i) {
        r.record(a, i % 2 ? check_result::pass() : check_result::fail("x"), t0, 1ms);
        r.record(b, i % 3 ? check_result::pass() : check_result::warn("y"), t0, 1ms);
    }
    stop = true;
    reader.join();
    CHECK(torn.load() == 0);
}

TEST_CASE("A group_ref follows its group without lookups", "[health]") {
    health_registry r;
    const auto warmup = r.add({.name = "warmup", .groups = {"startup"}});
    const auto db = r.add({.name = "db"});
    const auto ready = r.group("readiness");
    const auto custom = r.group("not-yet-used");
    CHECK(ready.status() == health_status::fail); // starting
    CHECK(ready.report()->output == "starting");
    CHECK(custom.status() == health_status::pass);
    CHECK(custom.report()->checks.empty());
    pass(r, warmup);
    CHECK(ready.status() == health_status::fail); // db pending
    pass(r, db);
    CHECK(ready.status() == health_status::pass);
    CHECK(ready.report() == r.report("readiness"));
    r.drain();
    CHECK(ready.status() == health_status::fail);
    CHECK(r.group("readiness").status() == health_status::fail);
}
