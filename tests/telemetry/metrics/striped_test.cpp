#include <bulwark/telemetry/metrics/striped.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>
#include <vector>

using namespace bulwark::telemetry;

TEST_CASE("striped_counter and striped_gauge sum their stripes", "[metrics][striped]") {
    striped_counter c;
    c.add();
    c.add(41);
    CHECK(c.value() == 42);
    striped_gauge g;
    g.increment();
    g.increment();
    g.decrement();
    g.add(-5);
    CHECK(g.value() == -4);
}

TEST_CASE("striped_histogram puts values in Prometheus buckets", "[metrics][striped]") {
    const double bounds[] = {0.1, 1.0, 10.0};
    striped_histogram h{bounds};
    h.observe(0.05);
    h.observe(0.1); // le="0.1" includes the bound
    h.observe(0.5);
    h.observe(10.0);
    h.observe(11.0);
    h.observe(-1.0); // counted in the first bucket, adds nothing to the sum
    h.observe(std::numeric_limits<double>::quiet_NaN()); // +Inf bucket, nothing to the sum
    const auto s = h.snapshot();
    CHECK(s.cumulative == std::vector<std::uint64_t>{3, 4, 5, 7});
    CHECK(s.count == 7);
    CHECK(s.sum == Approx(21.65).epsilon(1e-12));
}

TEST_CASE("striped_histogram sums bytes exactly with unit 1", "[metrics][striped]") {
    striped_histogram h{http_size_buckets, 1.0};
    for (int i = 0; i < 1000; ++i) {
        h.observe(1500);
    }
    const auto s = h.snapshot();
    CHECK(s.sum == 1'500'000.0);
    CHECK(s.cumulative[1] == 0);    // le=1000
    CHECK(s.cumulative[2] == 1000); // le=10000
}

TEST_CASE("striped_histogram rejects bad bounds naming the field", "[metrics][striped]") {
    const double descending[] = {1.0, 0.5};
    const double inf[] = {1.0, std::numeric_limits<double>::infinity()};
    CHECK_THROWS_WITH(striped_histogram(std::span<const double>{}),
                      Catch::Contains("striped_histogram.upper_bounds"));
    CHECK_THROWS_WITH(striped_histogram{descending},
                      Catch::Contains("striped_histogram.upper_bounds"));
    CHECK_THROWS_WITH(striped_histogram{inf}, Catch::Contains("striped_histogram.upper_bounds"));
    CHECK_THROWS_WITH(striped_histogram(http_duration_buckets, 0.0),
                      Catch::Contains("striped_histogram.unit"));
}

TEST_CASE("Striped instruments conserve every update across threads",
          "[metrics][striped][concurrency]") {
    striped_counter c;
    striped_gauge g;
    striped_histogram h{http_duration_buckets};
    constexpr int threads = 4;
    constexpr int per_thread = 50'000;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                c.add();
                g.increment();
                h.observe(t == 0 ? 0.001 : 0.2);
                g.decrement();
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    CHECK(c.value() == threads * per_thread);
    CHECK(g.value() == 0);
    const auto s = h.snapshot();
    CHECK(s.count == threads * per_thread);
    CHECK(s.cumulative[0] == per_thread); // le=0.005: thread 0's observations
    CHECK(s.sum == Approx(per_thread * 0.001 + 3 * per_thread * 0.2));
}

TEST_CASE("Threads alive at the same time get distinct stripes, however many came before",
          "[metrics][striped][concurrency]") {
    // Churn: many short-lived threads, as a benchmark or a thread pool restart makes.
    for (int i = 0; i < 100; ++i) {
        std::thread{[] { (void)this_thread_stripe(); }}.join();
    }
    const auto mine = this_thread_stripe();
    std::size_t other = mine;
    std::thread{[&] { other = this_thread_stripe(); }}.join();
    CHECK(other != mine);
    // Sixteen threads alive together take sixteen different stripes.
    std::vector<std::size_t> stripes(metric_stripes - 1);
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t + 1 < metric_stripes; ++t) {
        pool.emplace_back([&, t] {
            stripes[t] = this_thread_stripe();
            ++ready;
            while (!go) {
                std::this_thread::yield();
            }
        });
    }
    while (ready < static_cast<int>(metric_stripes) - 1) {
        std::this_thread::yield();
    }
    go = true;
    for (auto& t : pool) {
        t.join();
    }
    stripes.push_back(mine);
    std::sort(stripes.begin(), stripes.end());
    CHECK(std::adjacent_find(stripes.begin(), stripes.end()) == stripes.end());
}
