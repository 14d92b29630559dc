#include <bulwark/core/rate_limit/concurrency_limiter.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using bulwark::concurrency_limiter;
using bulwark::concurrency_permit;

TEST_CASE("concurrency limiter: at most max_in_flight permits", "[concurrency_limiter]") {
    concurrency_limiter lim{{.max_in_flight = 2}};
    auto a = lim.try_acquire();
    auto b = lim.try_acquire();
    auto c = lim.try_acquire();
    CHECK(a);
    CHECK(b);
    CHECK_FALSE(c);
    CHECK(lim.snapshot().in_flight == 2);
    a.release();
    CHECK(lim.snapshot().in_flight == 1);
    a.release(); // twice is harmless
    CHECK(lim.snapshot().in_flight == 1);
    {
        auto d = lim.try_acquire();
        CHECK(d);
        concurrency_permit moved = std::move(d);
        CHECK_FALSE(d);
        CHECK(lim.snapshot().in_flight == 2);
    } // RAII
    CHECK(lim.snapshot().in_flight == 1);
}

TEST_CASE("concurrency limiter: config is validated", "[concurrency_limiter][config]") {
    bulwark::config_issue issue;
    CHECK(concurrency_limiter::validate({.max_in_flight = 0}, &issue));
    CHECK(issue.field == "concurrency_limiter_config.max_in_flight");
    CHECK_THROWS_WITH(concurrency_limiter({.max_in_flight = 0}), Catch::Contains("max_in_flight"));
}

namespace {
struct recording_waiter final : concurrency_limiter::waiter {
    concurrency_permit permit;
    int grants = 0;
    void grant(concurrency_permit p) noexcept override {
        permit = std::move(p);
        ++grants;
    }
};
} // namespace

TEST_CASE("concurrency limiter: the waiter queue hands permits over", "[concurrency_limiter]") {
    concurrency_limiter lim{{.max_in_flight = 1, .max_waiters = 2}};
    recording_waiter w1;
    recording_waiter w2;
    recording_waiter w3;
    concurrency_permit granted;
    CHECK(lim.enqueue(w1, granted) == concurrency_limiter::enqueue_result::granted);
    CHECK(granted);
    concurrency_permit unused;
    CHECK(lim.enqueue(w2, unused) == concurrency_limiter::enqueue_result::queued);
    CHECK(lim.enqueue(w3, unused) == concurrency_limiter::enqueue_result::queued);
    recording_waiter w4;
    CHECK(lim.enqueue(w4, unused) == concurrency_limiter::enqueue_result::full);
    CHECK(lim.snapshot().waiting == 2);

    CHECK(lim.cancel(w2));
    CHECK_FALSE(lim.cancel(w2));
    granted.release(); // goes to w3, the only waiter left
    CHECK(w3.grants == 1);
    CHECK(w3.permit);
    CHECK(w2.grants == 0);
    CHECK(lim.snapshot().in_flight == 1);
    CHECK_FALSE(lim.cancel(w3)); // already granted
    w3.permit.release();
    CHECK(lim.snapshot().in_flight == 0);
}

TEST_CASE("concurrency limiter: permits are conserved under thread races",
          "[concurrency_limiter][concurrency]") {
    concurrency_limiter lim{{.max_in_flight = 3}};
    std::atomic<int> inside{0};
    std::atomic<bool> exceeded{false};
    std::atomic<int> admitted{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                if (auto p = lim.try_acquire()) {
                    if (inside.fetch_add(1) + 1 > 3) {
                        exceeded = true;
                    }
                    admitted.fetch_add(1);
                    inside.fetch_sub(1);
                }
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    CHECK_FALSE(exceeded.load());
    CHECK(admitted.load() > 0);
    CHECK(lim.snapshot().in_flight == 0);
}
