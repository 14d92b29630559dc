#include <bulwark/core/retry/backoff.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace std::chrono_literals;
using bulwark::backoff;
using bulwark::jitter;

TEST_CASE("backoff without jitter grows by the multiplier up to max", "[backoff]") {
    const backoff b{{.initial = 100ms, .max = 1s, .multiplier = 2.0, .mode = jitter::none}};
    std::vector<bulwark::duration> got;
    for (unsigned retry = 1; retry <= 6; ++retry) {
        got.push_back(b.delay(retry, {}, 0.7));
    }
    CHECK(got == std::vector<bulwark::duration>{100ms, 200ms, 400ms, 800ms, 1s, 1s});
    CHECK(b.delay(10'000, {}, 0.5) == 1s); // saturates instead of overflowing
}

TEST_CASE("full jitter is uniform in [0, E]", "[backoff]") {
    const backoff b{{.initial = 100ms, .max = 10s, .multiplier = 2.0, .mode = jitter::full}};
    CHECK(b.delay(3, {}, 0.0) == 0ms);
    CHECK(b.delay(3, {}, 0.5) == 200ms);
    CHECK(b.delay(3, {}, 0.999999) < 400ms);
}

TEST_CASE("equal jitter keeps half the exponential delay", "[backoff]") {
    const backoff b{{.initial = 100ms, .max = 10s, .multiplier = 2.0, .mode = jitter::equal}};
    CHECK(b.delay(2, {}, 0.0) == 100ms);
    CHECK(b.delay(2, {}, 0.5) == 150ms);
}

TEST_CASE("decorrelated jitter grows from the previous delay", "[backoff]") {
    const backoff b{{.initial = 100ms, .max = 2s, .mode = jitter::decorrelated}};
    CHECK(b.delay(1, 0ms, 0.0) == 100ms);
    CHECK(b.delay(1, 0ms, 0.9) == 100ms); // [100, max(100, 0)]
    CHECK(b.delay(5, 500ms, 0.0) == 100ms);
    CHECK(b.delay(5, 500ms, 0.5) == 800ms); // 100 + 0.5 * (1500 - 100)
    CHECK(b.delay(5, 5s, 0.9) == 2s);       // capped
}

TEST_CASE("a seeded generator gives a reproducible sequence within bounds", "[backoff]") {
    const backoff b{{.initial = 50ms, .max = 3s, .mode = jitter::decorrelated}};
    const auto run = [&] {
        std::mt19937_64 rng{42};
        std::vector<bulwark::duration> seq;
        bulwark::duration previous{};
        for (unsigned retry = 1; retry <= 20; ++retry) {
            previous = b.delay(retry, previous, backoff::unit_interval(rng()));
            seq.push_back(previous);
        }
        return seq;
    };
    const auto first = run();
    CHECK(first == run());
    for (const auto d : first) {
        CHECK(d >= 50ms);
        CHECK(d <= 3s);
    }
    CHECK(backoff::unit_interval(0) == 0.0);
    CHECK(backoff::unit_interval(~std::uint64_t{0}) < 1.0);
}

TEST_CASE("backoff configs are validated naming the field", "[backoff][config]") {
    bulwark::config_issue issue;
    CHECK(backoff::validate({.initial = 0ms}, &issue));
    CHECK(issue.field == "backoff_config.initial");
    CHECK(backoff::validate({.initial = 2s, .max = 1s}, &issue));
    CHECK(issue.field == "backoff_config.max");
    CHECK(backoff::validate({.multiplier = 0.5}, &issue));
    CHECK(issue.field == "backoff_config.multiplier");
    CHECK(backoff::validate({.multiplier = std::numeric_limits<double>::quiet_NaN()}, &issue));
    CHECK(backoff::validate({.mode = static_cast<jitter>(42)}, &issue));
    CHECK(issue.field == "backoff_config.mode");
    CHECK_THROWS_AS(backoff({.initial = -1ms}), std::system_error);
}
