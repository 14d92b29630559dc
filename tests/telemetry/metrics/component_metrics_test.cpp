// The component bindings: a real circuit breaker on a manual clock, the retry hook, and a real
// health registry, each read back from the registry's text exposition.
#include <bulwark/core/circuit_breaker/circuit_breaker.hpp>
#include <bulwark/core/health/health_registry.hpp>
#include <bulwark/telemetry/metrics/component_metrics.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <support/metrics_text.hpp>
#include <vector>

namespace telemetry = bulwark::telemetry;
using bulwark::breaker_state;
using bulwark::call_outcome;
using bulwark::manual_clock;
using bulwark::test::value_of;
using namespace std::chrono_literals;

namespace {

bool call(bulwark::basic_circuit_breaker<manual_clock>& b, manual_clock& clock, call_outcome o) {
    auto p = b.try_acquire();
    if (!p) {
        return false;
    }
    p.record(o, clock.now());
    return true;
}

} // namespace

TEST_CASE("A breaker's state, calls and transitions are exported", "[metrics][breaker]") {
    telemetry::metrics_registry registry;
    std::vector<std::string> seen; // the user's own hook keeps running
    //! [breaker]
    bulwark::circuit_breaker_config config{.failure_rate_threshold = 50,
                                           .window_size = 4,
                                           .minimum_calls = 4,
                                           .permitted_calls_in_half_open = 1,
                                           .wait_in_open = 10s};
    config.on_transition = [&](breaker_state from, breaker_state to) {
        seen.push_back(std::string{to_string(from)} + "->" + to_string(to));
    };
    telemetry::instrument(config, registry, "payments");
    //! [breaker]
    manual_clock clock;
    bulwark::basic_circuit_breaker<manual_clock> breaker{config, clock};

    auto text = registry.serialize();
    CHECK(value_of(text, R"(bulwark_circuit_breaker_state{breaker="payments",state="closed"})") ==
          1);
    CHECK(value_of(text, R"(bulwark_circuit_breaker_state{breaker="payments",state="open"})") == 0);

    CHECK(call(breaker, clock, call_outcome::success));
    CHECK(call(breaker, clock, call_outcome::ignored));
    for (int i = 0; i < 3; ++i) {
        CHECK(call(breaker, clock, call_outcome::failure));
    }
    REQUIRE(breaker.state() == breaker_state::open);
    CHECK_FALSE(call(breaker, clock, call_outcome::success)); // rejected
    CHECK_FALSE(call(breaker, clock, call_outcome::success));
    clock.advance(10s);
    CHECK(call(breaker, clock, call_outcome::success)); // the half-open probe closes it
    REQUIRE(breaker.state() == breaker_state::closed);
    breaker.force_open();

    text = registry.serialize();
    CHECK(value_of(
              text,
              R"(bulwark_circuit_breaker_calls_total{breaker="payments",outcome="success"})") == 2);
    CHECK(value_of(
              text,
              R"(bulwark_circuit_breaker_calls_total{breaker="payments",outcome="failure"})") == 3);
    CHECK(value_of(
              text,
              R"(bulwark_circuit_breaker_calls_total{breaker="payments",outcome="ignored"})") == 1);
    CHECK(
        value_of(text,
                 R"(bulwark_circuit_breaker_calls_total{breaker="payments",outcome="rejected"})") ==
        2);
    CHECK(
        value_of(
            text,
            R"(bulwark_circuit_breaker_transitions_total{breaker="payments",from="closed",to="open"})") ==
        1);
    CHECK(
        value_of(
            text,
            R"(bulwark_circuit_breaker_transitions_total{breaker="payments",from="open",to="half_open"})") ==
        1);
    CHECK(
        value_of(
            text,
            R"(bulwark_circuit_breaker_transitions_total{breaker="payments",from="half_open",to="closed"})") ==
        1);
    CHECK(
        value_of(
            text,
            R"(bulwark_circuit_breaker_transitions_total{breaker="payments",from="closed",to="forced_open"})") ==
        1);
    // Exactly one state is 1.
    CHECK(value_of(text,
                   R"(bulwark_circuit_breaker_state{breaker="payments",state="forced_open"})") ==
          1);
    for (const char* s : {"closed", "open", "half_open", "disabled", "metrics_only"}) {
        CHECK(value_of(text,
                       std::string{R"(bulwark_circuit_breaker_state{breaker="payments",state=")"} +
                           s + "\"}") == 0);
    }
    CHECK(seen == std::vector<std::string>{"closed->open", "open->half_open", "half_open->closed",
                                           "closed->forced_open"});
    CHECK_THROWS_WITH(telemetry::instrument(config, registry, ""),
                      Catch::Contains("instrument.name"));
}

TEST_CASE("Retry attempts and budget refusals are exported", "[metrics][retry]") {
    telemetry::metrics_registry registry;
    bulwark::retry_policy_config config;
    int user_calls = 0;
    config.on_attempt = [&](unsigned, bulwark::retry_attempt_result) { ++user_calls; };
    //! [retry]
    telemetry::instrument(config, registry, "inventory.get");
    //! [retry]
    using r = bulwark::retry_attempt_result;
    // Two operations as async_retry reports them: fail, fail, succeed; fail, then the budget
    // refuses the retry.
    for (const auto& [attempt, result] : {std::pair{1U, r::retried},
                                          {2U, r::retried},
                                          {3U, r::success},
                                          {1U, r::budget_exhausted}}) {
        config.on_attempt(attempt, result);
    }
    const auto text = registry.serialize();
    CHECK(value_of(text,
                   R"(bulwark_retry_attempts_total{operation="inventory.get",result="success"})") ==
          1);
    CHECK(value_of(text,
                   R"(bulwark_retry_attempts_total{operation="inventory.get",result="retried"})") ==
          2);
    CHECK(value_of(text,
                   R"(bulwark_retry_attempts_total{operation="inventory.get",result="failed"})") ==
          1);
    CHECK(value_of(text, R"(bulwark_retry_budget_exhausted_total{operation="inventory.get"})") ==
          1);
    CHECK(user_calls == 4);
    CHECK(std::string{to_string(r::budget_exhausted)} == "budget_exhausted");
}

TEST_CASE("Health check runs are exported per check and group", "[metrics][health]") {
    telemetry::metrics_registry registry;
    //! [health]
    bulwark::health_registry_config config;
    telemetry::instrument(config, registry);
    bulwark::health_registry health{std::move(config)};
    //! [health]
    const auto db = health.add({.name = "db:connect", .groups = {"readiness", "deep"}});
    const auto disk = health.add({.name = "disk:free", .critical = false});
    const auto pending = health.add({.name = "cache:warm", .groups = {"startup"}});
    (void)pending;
    const auto now = std::chrono::system_clock::now();
    health.record(db, bulwark::check_result::pass(), now, 20ms);
    health.record(disk, bulwark::check_result::warn("85% used"), now, 1ms);
    auto text = registry.serialize();
    CHECK(value_of(text, R"(bulwark_health_check_status{check="db:connect",group="readiness"})") ==
          1);
    CHECK(value_of(text, R"(bulwark_health_check_status{check="db:connect",group="deep"})") == 1);
    CHECK(value_of(text, R"(bulwark_health_check_status{check="disk:free",group="readiness"})") ==
          0.5);
    CHECK(text.find("cache:warm") == std::string::npos); // never ran: no series

    health.record(db, bulwark::check_result::fail("refused"), now, 1s);
    text = registry.serialize();
    CHECK(value_of(text, R"(bulwark_health_check_status{check="db:connect",group="readiness"})") ==
          0);
    CHECK(value_of(text, R"(bulwark_health_check_duration_seconds_count{check="db:connect"})") ==
          2);
    CHECK(value_of(text, R"(bulwark_health_check_duration_seconds_sum{check="db:connect"})") ==
          Approx(1.02));
    CHECK(value_of(
              text,
              R"(bulwark_health_check_duration_seconds_bucket{check="db:connect",le="0.025"})") ==
          1);
}

TEST_CASE("A shared-store rate limit's decisions and store errors are exported",
          "[metrics][rate_limit]") {
    telemetry::metrics_registry registry;
    auto stats = std::make_shared<bulwark::global_limit_stats>();
    auto hook = telemetry::instrument(registry, "api", [stats] { return *stats; });
    const auto decisions = [&](std::string_view source) {
        return value_of(registry.serialize(),
                        std::string{R"(bulwark_ratelimit_store_decisions_total{limiter="api",)"} +
                            "source=\"" + std::string{source} + "\"}");
    };
    const auto errors = [&](std::string_view kind) {
        return value_of(registry.serialize(),
                        std::string{R"(bulwark_ratelimit_store_errors_total{limiter="api",)"} +
                            "kind=\"" + std::string{kind} + "\"}");
    };
    // Every series is there from the first scrape, at zero (a rate() needs its start).
    for (const auto* source : {"store", "over_limit_cache", "lease", "fallback_local",
                               "fallback_allow", "fallback_deny"}) {
        CHECK(decisions(source) == 0);
    }
    *stats = {.store_decisions = 40,
              .cached_denials = 7,
              .store_failures = 3,
              .reply_errors = 1,
              .breaker_skips = 5,
              .failure_allowed = 0,
              .failure_denied = 0,
              .local_decisions = 8,
              .script_reloads = 2,
              .lease_decisions = 12,
              .leased_tokens = 30,
              .lease_expired = 4};
    CHECK(decisions("store") == 40);
    CHECK(decisions("over_limit_cache") == 7);
    CHECK(decisions("lease") == 12);
    CHECK(decisions("fallback_local") == 8);
    CHECK(decisions("fallback_deny") == 0);
    CHECK(errors("failure") == 3);
    CHECK(errors("reply_error") == 1);
    CHECK(errors("breaker_open") == 5);
    CHECK(errors("noscript") == 2);
    const auto lease = [&](std::string_view state) {
        return value_of(
            registry.serialize(),
            std::string{R"(bulwark_ratelimit_store_lease_tokens_total{limiter="api",)"} +
                "state=\"" + std::string{state} + "\"}");
    };
    CHECK(lease("granted") == 30);
    CHECK(lease("expired") == 4);
    // Later scrapes add only what changed.
    stats->store_decisions = 45;
    CHECK(decisions("store") == 45);
    CHECK(decisions("store") == 45);

    CHECK_THROWS_WITH(telemetry::instrument(registry, "", [stats] { return *stats; }),
                      Catch::Contains("instrument.name"));
    CHECK_THROWS_WITH(telemetry::instrument(registry, "x", {}), Catch::Contains("instrument.read"));
}
