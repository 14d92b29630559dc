#include <bulwark/core/rate_limit/gcra_limiter.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bulwark::manual_clock;
using bulwark::quota;
using bulwark::rate_decision;
using limiter = bulwark::basic_gcra_limiter<manual_clock>;

TEST_CASE("gcra: a full burst is admitted, then one request per interval", "[gcra]") {
    manual_clock clock;
    limiter lim{quota::per_second(10), clock};
    for (std::uint64_t i = 0; i < 10; ++i) {
        const auto d = lim.try_acquire();
        REQUIRE(d.allowed);
        CHECK(d.remaining == 9 - i);
        CHECK(d.limit == 10);
        CHECK(d.reset_after == 100ms * (i + 1));
        CHECK(d.retry_after == 0ns);
        CHECK(d.window == 1s);
    }
    const auto denied = lim.try_acquire();
    CHECK_FALSE(denied.allowed);
    CHECK(denied.remaining == 0);
    CHECK(denied.retry_after == 100ms);
    CHECK(denied.reset_after == 1s);

    clock.advance(100ms - 1ns);
    CHECK_FALSE(lim.try_acquire().allowed);
    CHECK(lim.try_acquire().retry_after == 1ns);
    clock.advance(1ns);
    CHECK(lim.try_acquire().allowed);
    CHECK_FALSE(lim.try_acquire().allowed);
}

// The reference semantics are Go's golang.org/x/time/rate Limiter.AllowN: a token bucket of
// capacity burst that starts full and refills continuously at the limit.
TEST_CASE("gcra: answers equal x/time/rate AllowN for limit 1, burst 3", "[gcra]") {
    manual_clock clock;
    limiter lim{quota::per_second(1).with_burst(3), clock};
    CHECK(lim.try_acquire(3).allowed);       // AllowN(t, 3)
    CHECK_FALSE(lim.try_acquire(1).allowed); // AllowN(t, 1)
    clock.advance(1s);
    CHECK(lim.try_acquire(1).allowed); // AllowN(t+1s, 1)
    CHECK_FALSE(lim.try_acquire(1).allowed);
    clock.advance(2s);
    CHECK_FALSE(lim.try_acquire(3).allowed); // 2 tokens at t+3s
    CHECK(lim.try_acquire(2).allowed);
    clock.advance(10s); // refills to 3, not 10
    CHECK(lim.try_acquire(3).allowed);
    CHECK_FALSE(lim.try_acquire(1).allowed);
}

TEST_CASE("gcra: fractional rate 0.5/s with burst 1", "[gcra]") {
    manual_clock clock;
    limiter lim{quota::per_second(0.5), clock};
    CHECK(lim.get_quota().burst() == 1);
    const auto first = lim.try_acquire();
    CHECK(first.allowed);
    CHECK(first.remaining == 0);
    CHECK(first.reset_after == 2s);
    clock.advance(1s);
    const auto early = lim.try_acquire();
    CHECK_FALSE(early.allowed);
    CHECK(early.retry_after == 1s);
    clock.advance(1s);
    CHECK(lim.try_acquire().allowed);
}

TEST_CASE("gcra: n above the burst is never satisfiable and consumes nothing", "[gcra]") {
    manual_clock clock;
    limiter lim{quota::per_second(5), clock};
    for (const std::uint64_t n :
         {std::uint64_t{6}, std::uint64_t{1000}, std::numeric_limits<std::uint64_t>::max()}) {
        const auto d = lim.try_acquire(n);
        CHECK_FALSE(d.allowed);
        CHECK(d.retry_after == rate_decision::never);
        CHECK_FALSE(d.satisfiable());
        CHECK(d.remaining == 5);
    }
    CHECK(lim.try_acquire(5).allowed);
    CHECK(lim.try_acquire(0).satisfiable()); // cost 0 is always satisfiable
}

TEST_CASE("gcra: n = 0 is always admitted and consumes nothing", "[gcra]") {
    manual_clock clock;
    limiter lim{quota::per_second(2), clock};
    CHECK(lim.try_acquire(2).allowed);
    const auto zero = lim.try_acquire(0); // Go: AllowN(t, 0) == true
    CHECK(zero.allowed);
    CHECK(zero.remaining == 0);
    CHECK(zero.reset_after == 1s);
    CHECK_FALSE(lim.try_acquire(1).allowed);
}

TEST_CASE("gcra: set_quota keeps the tokens, as x/time/rate SetLimit and SetBurst do", "[gcra]") {
    manual_clock clock;
    limiter lim{quota::per_second(10), clock};
    CHECK(lim.try_acquire(5).allowed); // 5 of 10 tokens left
    lim.set_quota(quota::per_second(1).with_burst(10));
    CHECK(lim.get_quota() == quota::per_second(1).with_burst(10));
    auto s = lim.snapshot();
    CHECK(s.remaining == 5); // the tokens are kept
    CHECK(s.limit == 10);
    CHECK(s.reset_after == 5s); // refilling at the new rate
    lim.set_quota(quota::per_second(1).with_burst(3));
    CHECK(lim.snapshot().remaining == 3); // capped at the new burst
    CHECK(lim.try_acquire(0).allowed);

    CHECK_THROWS_AS(lim.set_quota(quota::per_second(0)), std::system_error);
    CHECK(lim.get_quota() == quota::per_second(1).with_burst(3)); // unchanged
}

TEST_CASE("gcra: raising the quota relieves a throttled client at once", "[gcra]") {
    manual_clock clock;
    limiter lim{quota::per_second(1).with_burst(10), clock};
    CHECK(lim.try_acquire(10).allowed);
    CHECK_FALSE(lim.try_acquire().allowed);
    lim.set_quota(quota::per_second(100).with_burst(100)); // at t = 0 with 0 tokens
    clock.advance(500ms);
    const auto d = lim.try_acquire(); // Go: 50 tokens by now
    CHECK(d.allowed);
    CHECK(d.remaining == 49);
}

TEST_CASE("gcra: snapshot and release", "[gcra]") {
    manual_clock clock;
    limiter lim{quota::per_second(4), clock};
    CHECK(lim.snapshot().remaining == 4);
    CHECK(lim.try_acquire(3).allowed);
    CHECK(lim.snapshot().remaining == 1);
    lim.release(2, clock.now());
    CHECK(lim.snapshot().remaining == 3);
    lim.release(100, clock.now()); // never beyond full
    CHECK(lim.snapshot().remaining == 4);
    CHECK(lim.snapshot().reset_after == 0ns);
}

TEST_CASE("gcra: unlimited quota admits everything", "[gcra]") {
    limiter lim{quota::unlimited(), manual_clock{}};
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(lim.try_acquire(1'000'000).allowed);
    }
    CHECK(lim.snapshot().remaining == rate_decision::unlimited);
}

TEST_CASE("gcra: a clock that goes backwards is answered conservatively", "[gcra]") {
    manual_clock clock{bulwark::time_point{100s}};
    limiter lim{quota::per_second(1).with_burst(2), clock};
    CHECK(lim.try_acquire(2, clock.now()).allowed);
    // 50 s before the limiter even existed: the state is older than nothing, still empty.
    const auto past = lim.try_acquire(1, bulwark::time_point{50s});
    CHECK_FALSE(past.allowed);
    CHECK(past.retry_after == 1s);
    CHECK(lim.try_acquire(0, bulwark::time_point{50s}).allowed); // cost 0: always admitted
    CHECK(lim.try_acquire(1, clock.now() + 1s).allowed);
}

TEST_CASE("gcra: invalid quotas are rejected naming the field", "[gcra][config]") {
    const auto field_of = [](const quota& q) {
        try {
            limiter lim{q, manual_clock{}};
        } catch (const std::system_error& e) {
            CHECK(e.code() == bulwark::error::invalid_config);
            return std::string{e.what()};
        }
        return std::string{"accepted"};
    };
    CHECK(field_of(quota::per_second(0)).rfind("quota.rate:", 0) == 0);
    CHECK(field_of(quota::per_second(-3)).rfind("quota.rate:", 0) == 0);
    CHECK(field_of(quota::per_second(std::nan(""))).rfind("quota.rate:", 0) == 0);
    CHECK(field_of(quota::per_second(INFINITY)).rfind("quota.rate:", 0) == 0);
    CHECK(field_of(quota::per_second(3e9)).rfind("quota.rate:", 0) == 0);
    CHECK(field_of(quota::per(0s, 1)).rfind("quota.period:", 0) == 0);
    CHECK(field_of(quota::per(-1s, 1)).rfind("quota.period:", 0) == 0);
    CHECK(field_of(quota::per_second(1).with_burst(0)).rfind("quota.burst:", 0) == 0);
    CHECK(field_of(quota::per_hour(1).with_burst(1'000'000'000)).rfind("quota.burst:", 0) == 0);
    CHECK(field_of(quota::per_second(1e9)) == "accepted"); // 1 ns interval is the finest
    CHECK(field_of(quota::per_hour(0.001)) == "accepted");

    bulwark::config_issue issue;
    CHECK(limiter::validate(quota::per_second(1).with_burst(0), &issue) ==
          bulwark::error::invalid_config);
    CHECK(issue.field == "quota.burst");
    CHECK_FALSE(limiter::validate(quota::per_minute(60)));
}

namespace {

// The model: a token bucket in exact integers. `level` is tokens × T (ns); capacity burst × T;
// refills 1 ns of level per ns.
struct bucket_model {
    std::uint64_t t_ns, burst;
    std::uint64_t level;
    std::uint64_t last = 0;

    rate_decision acquire(std::uint64_t now, std::uint64_t n) {
        const std::uint64_t cap = burst * t_ns;
        if (now > last) {
            level = std::min(cap, level + (now - last));
            last = now;
        }
        rate_decision d;
        d.limit = burst;
        d.window = std::chrono::nanoseconds{cap};
        if (n > burst) {
            d.retry_after = rate_decision::never;
        } else if (level >= n * t_ns) {
            level -= n * t_ns;
            d.allowed = true;
        } else {
            d.retry_after = std::chrono::nanoseconds{n * t_ns - level};
        }
        d.remaining = level / t_ns;
        d.reset_after = std::chrono::nanoseconds{cap - level};
        return d;
    }
};

bool same(const rate_decision& a, const rate_decision& b) {
    return a.allowed == b.allowed && a.remaining == b.remaining && a.retry_after == b.retry_after &&
           a.reset_after == b.reset_after && a.limit == b.limit && a.window == b.window;
}

} // namespace

TEST_CASE("gcra: equals the token-bucket model on random sequences", "[gcra][property]") {
    std::mt19937_64 rng{20261123};
    for (int round = 0; round < 300; ++round) {
        const std::uint64_t t_ns = std::uniform_int_distribution<std::uint64_t>{1, 2'000'000}(rng);
        const std::uint64_t burst = std::uniform_int_distribution<std::uint64_t>{1, 40}(rng);
        manual_clock clock;
        limiter lim{quota::per(std::chrono::nanoseconds{t_ns}, 1).with_burst(burst), clock};
        bucket_model model{t_ns, burst, burst * t_ns};
        std::vector<std::pair<std::uint64_t, std::uint64_t>> admitted; // (time, n)
        std::uint64_t now = 0;
        for (int i = 0; i < 400; ++i) {
            now += std::uniform_int_distribution<std::uint64_t>{0, 3 * t_ns}(rng);
            const std::uint64_t n = std::uniform_int_distribution<std::uint64_t>{0, burst + 1}(rng);
            clock.set(bulwark::time_point{std::chrono::nanoseconds{now}});
            const auto got = lim.try_acquire(n);
            const auto want = model.acquire(now, n);
            INFO("round " << round << " step " << i << " T=" << t_ns << " burst=" << burst
                          << " now=" << now << " n=" << n);
            REQUIRE(same(got, want));
            if (got.allowed && n > 0) {
                admitted.emplace_back(now, n);
            }
        }
        // In every interval [t_i, t_j]: admitted <= burst + (t_j - t_i) / T.
        for (std::size_t i = 0; i < admitted.size(); ++i) {
            std::uint64_t sum = 0;
            for (std::size_t j = i; j < admitted.size(); ++j) {
                sum += admitted[j].second;
                REQUIRE(sum <= burst + (admitted[j].first - admitted[i].first) / t_ns);
            }
        }
    }
}

TEST_CASE("gcra: no over-admission when threads race on one limiter", "[gcra][concurrency]") {
    manual_clock clock;
    constexpr std::uint64_t burst = 1000;
    limiter lim{quota::per_second(1000), clock}; // T = 1 ms
    constexpr int threads = 4;
    std::atomic<std::uint64_t> admitted{0};
    std::atomic<bool> stop{false};

    // Phase 1, clock standing still: exactly the burst is admitted, whatever the interleaving.
    {
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&] {
                for (int i = 0; i < 2000; ++i) {
                    if (lim.try_acquire().allowed) {
                        admitted.fetch_add(1, std::memory_order_relaxed);
                    }
                }
            });
        }
        for (auto& t : pool) {
            t.join();
        }
    }
    CHECK(admitted.load() == burst);

    // Phase 2, the clock moving while they race (costs 1 and 2): the tokens taken plus those left
    // never exceed what refilled, since the bucket was empty when the phase began.
    std::atomic<std::uint64_t> taken{0};
    std::atomic<int> started{0};
    {
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                started.fetch_add(1);
                const std::uint64_t cost = 1 + static_cast<std::uint64_t>(t % 2);
                while (!stop.load(std::memory_order_relaxed)) {
                    if (lim.try_acquire(cost).allowed) {
                        taken.fetch_add(cost, std::memory_order_relaxed);
                    }
                }
            });
        }
        while (started.load() < threads) {
            std::this_thread::yield();
        }
        constexpr std::uint64_t steps = 3000;
        for (std::uint64_t i = 0; i < steps; ++i) {
            clock.advance(1ms);
        }
        while (taken.load() == 0) { // refilled tokens are there: the racers will take some
            std::this_thread::yield();
        }
        stop = true;
        for (auto& t : pool) {
            t.join();
        }
        CHECK(taken.load() + lim.snapshot().remaining <= steps);
        CHECK(taken.load() > 0);
    }
}

TEST_CASE("gcra: decisions racing set_quota use one quota, never a mix", "[gcra][concurrency]") {
    manual_clock clock;
    limiter lim{quota::per_second(10), clock};
    const auto a = quota::per_second(10);              // limit 10, window 1 s
    const auto b = quota::per_second(1).with_burst(3); // limit 3, window 3 s
    std::atomic<bool> stop{false};
    std::atomic<bool> mixed{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < 3; ++t) {
        pool.emplace_back([&] {
            while (!stop.load(std::memory_order_relaxed)) {
                const auto d = lim.try_acquire(0);
                if (!((d.limit == 10 && d.window == 1s) || (d.limit == 3 && d.window == 3s))) {
                    mixed = true;
                }
            }
        });
    }
    for (int i = 0; i < 2000; ++i) {
        lim.set_quota(i % 2 == 0 ? b : a);
    }
    stop = true;
    for (auto& t : pool) {
        t.join();
    }
    CHECK_FALSE(mixed.load());
}
