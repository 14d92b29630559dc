#include <bulwark/core/retry/retry_policy.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using bulwark::attempt_result;
using bulwark::retry_policy;
using bulwark::retry_verdict;
using bulwark::time_point;

namespace {
const time_point t0{100s};
const bulwark::backoff_config fixed{.initial = 100ms, .max = 10s, .mode = bulwark::jitter::none};
} // namespace

TEST_CASE("only idempotent operations are retried by default", "[retry_policy]") {
    const attempt_result refused{.error = std::make_error_code(std::errc::connection_refused)};
    CHECK(retry_policy{{.idempotent = true}}.retryable(refused));
    CHECK_FALSE(retry_policy{{.idempotent = false}}.retryable(refused));
    CHECK_FALSE(retry_policy{}.retryable(refused)); // safe default
}

TEST_CASE("transient failures: 429/502/503/504 and transport errors", "[retry_policy]") {
    for (const unsigned status : {429u, 502u, 503u, 504u}) {
        CHECK(retry_policy::is_transient({.http_status = status}));
    }
    for (const unsigned status : {0u, 200u, 400u, 404u, 500u, 501u}) {
        CHECK_FALSE(retry_policy::is_transient({.http_status = status}));
    }
    CHECK(retry_policy::is_transient({.error = std::make_error_code(std::errc::timed_out)}));
    CHECK(retry_policy::is_transient({.error = std::make_error_code(std::errc::connection_reset)}));
    CHECK_FALSE(
        retry_policy::is_transient({.error = std::make_error_code(std::errc::invalid_argument)}));
    CHECK_FALSE(
        retry_policy::is_transient({.error = std::make_error_code(std::errc::operation_canceled)}));
    CHECK_FALSE(retry_policy::is_transient({.error = bulwark::error::circuit_open}));
}

TEST_CASE("attempts are bounded by max_attempts", "[retry_policy]") {
    const retry_policy p{{.max_attempts = 3, .backoff = fixed, .idempotent = true}};
    const attempt_result busy{.http_status = 503};
    auto d = p.decide(1, busy, t0, t0, {}, 0.5);
    CHECK(d.verdict == retry_verdict::retry);
    CHECK(d.delay == 100ms);
    d = p.decide(2, busy, t0, t0 + 100ms, 100ms, 0.5);
    CHECK(d.verdict == retry_verdict::retry);
    CHECK(d.delay == 200ms);
    CHECK(p.decide(3, busy, t0, t0 + 300ms, 200ms, 0.5).verdict ==
          retry_verdict::attempts_exhausted);
    CHECK(p.decide(1, {.http_status = 200}, t0, t0, {}, 0.5).verdict == retry_verdict::done);
}

TEST_CASE("the server's Retry-After is honoured exactly, never earlier", "[retry_policy]") {
    const retry_policy p{{.max_attempts = 5, .backoff = fixed, .idempotent = true}};
    const auto d = p.decide(1, {.http_status = 429, .retry_after = 7s}, t0, t0, {}, 0.5);
    CHECK(d.verdict == retry_verdict::retry);
    CHECK(d.delay == 7s);
    // a shorter hint does not shorten the backoff
    CHECK(p.decide(3, {.http_status = 503, .retry_after = 1ms}, t0, t0, {}, 0.5).delay == 400ms);
}

TEST_CASE("the deadline stops retries that would start after it", "[retry_policy]") {
    const retry_policy p{
        {.max_attempts = 10, .deadline = 1s, .backoff = fixed, .idempotent = true}};
    CHECK(p.decide(1, {.http_status = 503}, t0, t0 + 850ms, {}, 0.5).verdict ==
          retry_verdict::retry);
    CHECK(p.decide(1, {.http_status = 503}, t0, t0 + 900ms, {}, 0.5).verdict ==
          retry_verdict::deadline_exceeded);
    // a server hint beyond the deadline is not cut short: we stop instead
    CHECK(p.decide(1, {.http_status = 429, .retry_after = 2s}, t0, t0, {}, 0.5).verdict ==
          retry_verdict::deadline_exceeded);
}

TEST_CASE("a custom classifier decides, and a throwing one means no retry", "[retry_policy]") {
    const retry_policy p{
        {.retry_on = [](const attempt_result& r) { return r.http_status == 500; }}};
    CHECK(p.retryable({.http_status = 500}));
    CHECK_FALSE(p.retryable({.http_status = 503}));
    const retry_policy throwing{{.retry_on = [](const attempt_result&) -> bool {
        throw std::runtime_error("classifier bug");
    }}};
    CHECK_FALSE(throwing.retryable({.http_status = 503}));
}

TEST_CASE("retry policy configs are validated naming the field", "[retry_policy][config]") {
    bulwark::config_issue issue;
    CHECK(retry_policy::validate({.max_attempts = 0}, &issue));
    CHECK(issue.field == "retry_policy_config.max_attempts");
    CHECK(retry_policy::validate({.deadline = -1s}, &issue));
    CHECK(issue.field == "retry_policy_config.deadline");
    CHECK(retry_policy::validate({.backoff = {.initial = 0ms}}, &issue));
    CHECK(issue.field == "retry_policy_config.backoff.initial");
    CHECK_THROWS_WITH(retry_policy({.max_attempts = 0}), Catch::Contains("max_attempts"));
}
