#include <bulwark/core/retry/retry_budget.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bulwark::manual_clock;
using budget = bulwark::basic_retry_budget<manual_clock>;

TEST_CASE("retry budget: the minimum rate allows retries without traffic", "[retry_budget]") {
    manual_clock clock;
    budget b{{.retry_ratio = 0.2, .min_retries_per_second = 1, .window = 10s}, clock};
    for (int i = 0; i < 10; ++i) {
        CHECK(b.try_acquire());
    }
    CHECK_FALSE(b.try_acquire()); // 1/s × 10 s spent
    CHECK(b.snapshot().retries == 10);
}

TEST_CASE("retry budget: retries follow the ratio of requests", "[retry_budget]") {
    manual_clock clock;
    budget b{{.retry_ratio = 0.2, .min_retries_per_second = 0, .window = 10s}, clock};
    for (int i = 0; i < 100; ++i) {
        b.record_request();
    }
    int admitted = 0;
    while (b.try_acquire()) {
        ++admitted;
    }
    CHECK(admitted == 20);
    CHECK(b.snapshot().allowed == 20);
}

TEST_CASE("retry budget: exhaustion recovers as the window slides", "[retry_budget]") {
    manual_clock clock;
    budget b{{.retry_ratio = 0.0, .min_retries_per_second = 1, .window = 5s}, clock};
    for (int i = 0; i < 5; ++i) {
        CHECK(b.try_acquire());
    }
    CHECK_FALSE(b.try_acquire());
    clock.advance(4s);
    CHECK_FALSE(b.try_acquire()); // all five still within the last 5 s
    clock.advance(1s);            // the second they were spent in leaves the window
    CHECK(b.try_acquire());
    clock.advance(1h); // a long silence: every slot is stale
    CHECK(b.snapshot().retries == 0);
    CHECK(b.snapshot().requests == 0);
}

TEST_CASE("retry budget: configs are validated naming the field", "[retry_budget][config]") {
    bulwark::config_issue issue;
    CHECK(budget::validate({.retry_ratio = -0.1}, &issue));
    CHECK(issue.field == "retry_budget_config.retry_ratio");
    CHECK(budget::validate({.window = 0s}, &issue));
    CHECK(issue.field == "retry_budget_config.window");
    CHECK_THROWS_AS(budget({.window = 7200s}, manual_clock{}), std::system_error);
}

TEST_CASE("retry budget: concurrent requests are all counted", "[retry_budget][concurrency]") {
    manual_clock clock;
    budget b{{.retry_ratio = 0.5, .min_retries_per_second = 0, .window = 10s}, clock};
    std::vector<std::thread> pool;
    std::atomic<int> admitted{0};
    for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                b.record_request();
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    CHECK(b.snapshot().requests == 20000);
    pool.clear();
    for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                if (b.try_acquire()) {
                    admitted.fetch_add(1);
                }
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    // 10,000 allowed; racing callers may each take the last one
    CHECK(admitted.load() >= 10000);
    CHECK(admitted.load() <= 10000 + 3);
    CHECK(b.snapshot().retries == static_cast<std::uint64_t>(admitted.load()));
}

TEST_CASE("retry budget: the ratio is not lost to binary rounding", "[retry_budget]") {
    manual_clock clock;
    budget b{{.retry_ratio = 0.29, .min_retries_per_second = 0, .window = 10s}, clock};
    for (int i = 0; i < 100; ++i) {
        b.record_request();
    }
    CHECK(b.snapshot().allowed == 29);
}
