#include <bulwark/core/rate_limit/keyed_limiter.hpp>
#include <bulwark/core/rate_limit/sliding_window_limiter.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <support/count_allocations.hpp>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bulwark::manual_clock;
using bulwark::quota;
using keyed = bulwark::keyed_limiter<bulwark::basic_gcra_limiter<manual_clock>>;

TEST_CASE("keyed: each key has its own limiter", "[keyed]") {
    manual_clock clock;
    keyed lim{quota::per_second(2), {.hash_seed = 1}, clock};
    CHECK(lim.try_acquire("alice").allowed);
    CHECK(lim.try_acquire("alice").allowed);
    CHECK_FALSE(lim.try_acquire("alice").allowed);
    CHECK(lim.try_acquire("bob").allowed);
    CHECK(lim.try_acquire("bob").remaining == 0);
    CHECK(lim.size() == 2);
    clock.advance(500ms);
    CHECK(lim.try_acquire("alice").allowed);
    CHECK_FALSE(lim.try_acquire("alice").allowed);
}

TEST_CASE("keyed: known keys are decided without allocating", "[keyed]") {
    manual_clock clock;
    keyed lim{quota::per_second(1000), {.hash_seed = 2}, clock};
    const std::string long_key(100, 'k'); // stored out of line
    CHECK(lim.try_acquire("short").allowed);
    CHECK(lim.try_acquire(long_key).allowed);
    const auto before = bulwark::test::allocations_on_this_thread();
    for (int i = 0; i < 100; ++i) {
        CHECK(lim.try_acquire("short").allowed);
        CHECK(lim.try_acquire(long_key).allowed);
    }
    CHECK(bulwark::test::allocations_on_this_thread() == before);
}

TEST_CASE("keyed: decisions that change nothing do not insert the key", "[keyed]") {
    keyed lim{quota::per_second(2), {.hash_seed = 3}, manual_clock{}};
    CHECK(lim.try_acquire("probe", 0).allowed);
    CHECK_FALSE(lim.try_acquire("greedy", 3).allowed);
    CHECK(lim.snapshot("never-seen", manual_clock{}.now()).remaining == 2);
    CHECK(lim.size() == 0);
}

TEST_CASE("keyed: a full table evicts an idle key first", "[keyed][eviction]") {
    manual_clock clock;
    keyed lim{quota::per_second(1), {.max_keys = 4, .shards = 1, .hash_seed = 4}, clock};
    CHECK(lim.try_acquire("a").allowed); // full again at 1 s
    clock.advance(900ms);
    for (const char* k : {"b", "c", "d"}) {
        CHECK(lim.try_acquire(k).allowed); // limited until 1.9 s
    }
    clock.advance(100ms);
    CHECK(lim.try_acquire("e").allowed);
    CHECK(lim.size() == 4);
    CHECK(lim.stats().evicted_idle == 1);
    CHECK(lim.stats().evicted_recent == 0);
    for (const char* k : {"b", "c", "d", "e"}) {
        CHECK_FALSE(lim.try_acquire(k).allowed); // still remembered
    }
}

TEST_CASE("keyed: under pressure the least recently used key goes", "[keyed][eviction]") {
    manual_clock clock;
    keyed lim{quota::per_minute(1), {.max_keys = 4, .shards = 1, .hash_seed = 5}, clock};
    for (const char* k : {"a", "b", "c", "d"}) {
        CHECK(lim.try_acquire(k).allowed);
        clock.advance(10ms);
    }
    CHECK_FALSE(lim.try_acquire("a").allowed); // touches a: b is now the oldest
    clock.advance(10ms);
    CHECK(lim.try_acquire("e").allowed);
    CHECK(lim.stats().evicted_recent == 1);
    CHECK(lim.size() == 4);
    CHECK_FALSE(lim.try_acquire("a").allowed); // a, c, d, e are remembered
    CHECK_FALSE(lim.try_acquire("d").allowed);
    clock.advance(10ms);
    CHECK(lim.try_acquire("b").allowed); // b was forgotten: a fresh bucket again; evicts c
    CHECK(lim.stats().evicted_recent == 2);
    CHECK(lim.try_acquire("c").allowed);
}

TEST_CASE("keyed: max_keys holds under many distinct keys", "[keyed][eviction]") {
    manual_clock clock;
    keyed lim{quota::per_second(1), {.max_keys = 1000, .hash_seed = 6}, clock};
    for (int i = 0; i < 20000; ++i) {
        CHECK(lim.try_acquire("client-" + std::to_string(i)).allowed);
        REQUIRE(lim.size() <= 1000);
    }
    CHECK(lim.size() >= 990); // spread over 64 shards, each full
    CHECK(lim.stats().evicted_recent >= 19000);
    // memory stays bounded: slots (48 B) at <= 80% load
    CHECK(lim.memory_usage() < 1000 * 48 * 3 / 2 + 64 * 1024);
}

TEST_CASE("keyed: retain_recent drops exactly the idle keys", "[keyed]") {
    manual_clock clock;
    keyed lim{quota::per_second(1), {.hash_seed = 7}, clock};
    const std::string long_idle(40, 'x');
    CHECK(lim.try_acquire("old").allowed);
    CHECK(lim.try_acquire(long_idle).allowed);
    clock.advance(1s);
    CHECK(lim.try_acquire("new").allowed);
    CHECK(lim.retain_recent() == 2);
    CHECK(lim.size() == 1);
    CHECK_FALSE(lim.try_acquire("new").allowed);
}

TEST_CASE("keyed: per-key quota overrides by table and by function", "[keyed][overrides]") {
    manual_clock clock;
    int calls = 0;
    keyed lim{quota::per_second(1),
              {.quota_overrides = {{"partner", quota::per_second(5)}},
               .quota_for = [&](std::string_view key) -> std::optional<quota> {
                   ++calls;
                   if (key.starts_with("gold:")) {
                       return quota::per_second(3);
                   }
                   if (key == "broken") {
                       return quota::per_second(-1);
                   }
                   if (key == "throws") {
                       throw std::runtime_error("lookup failed");
                   }
                   return std::nullopt;
               },
               .hash_seed = 8},
              clock};
    CHECK(lim.try_acquire("partner", 5).allowed);
    CHECK(calls == 0); // the table answered
    CHECK(lim.try_acquire("gold:1", 3).allowed);
    CHECK_FALSE(lim.try_acquire("gold:1").allowed);
    CHECK(lim.try_acquire("gold:2", 3).allowed);
    CHECK(lim.try_acquire("plain").allowed);
    CHECK_FALSE(lim.try_acquire("plain").allowed);
    CHECK(calls == 3); // once per new key, never for known keys
    CHECK(lim.try_acquire("broken").allowed);
    CHECK_FALSE(lim.try_acquire("broken").allowed); // default quota
    CHECK(lim.try_acquire("throws").allowed);
    CHECK_FALSE(lim.try_acquire("throws").allowed);
    CHECK(lim.stats().override_fallbacks == 2);
}

TEST_CASE("keyed: invalid configs are rejected naming the field", "[keyed][config]") {
    bulwark::config_issue issue;
    CHECK(keyed::validate(quota::per_second(1), {.max_keys = 0}, &issue));
    CHECK(issue.field == "keyed_limiter_config.max_keys");
    CHECK(keyed::validate(quota::per_second(1), {.shards = 3}, &issue));
    CHECK(issue.field == "keyed_limiter_config.shards");
    CHECK(keyed::validate(quota::per_second(1), {.max_keys = 4, .shards = 8}, &issue));
    CHECK(issue.field == "keyed_limiter_config.shards");
    CHECK(keyed::validate(quota::per_second(1), {.quota_overrides = {{"k", quota::per_second(0)}}},
                          &issue));
    CHECK(issue.field == "keyed_limiter_config.quota_overrides");
    CHECK(keyed::validate(quota::per_second(0), {}, &issue));
    CHECK(issue.field == "quota.rate");
    CHECK_THROWS_WITH(keyed(quota::per_second(1), {.max_keys = 0}),
                      Catch::Contains("keyed_limiter_config.max_keys"));
    CHECK_FALSE(keyed::validate(quota::per_second(1), {.max_keys = 1}));
}

TEST_CASE("keyed: equals one independent limiter per key on random traffic", "[keyed][property]") {
    std::mt19937_64 rng{11};
    manual_clock clock;
    const auto q = quota::per_second(7).with_burst(3);
    keyed lim{q, {.max_keys = 10'000, .hash_seed = 12}, clock};
    std::map<std::string, std::unique_ptr<bulwark::basic_gcra_limiter<manual_clock>>> model;
    for (int i = 0; i < 20000; ++i) {
        clock.advance(
            std::chrono::microseconds{std::uniform_int_distribution<int>{0, 200'000}(rng)});
        const auto key = "k" + std::to_string(std::uniform_int_distribution<int>{0, 300}(rng));
        const auto n = std::uniform_int_distribution<std::uint64_t>{0, 4}(rng);
        auto& m = model[key];
        if (!m) {
            m = std::make_unique<bulwark::basic_gcra_limiter<manual_clock>>(q, clock);
        }
        const auto want = m->try_acquire(n);
        const auto got = lim.try_acquire(key, n);
        REQUIRE(got.allowed == want.allowed);
        REQUIRE(got.remaining == want.remaining);
        REQUIRE(got.retry_after == want.retry_after);
        REQUIRE(got.reset_after == want.reset_after);
    }
}

TEST_CASE("keyed: works with the window algorithms", "[keyed]") {
    manual_clock clock;
    bulwark::keyed_limiter<bulwark::basic_sliding_window_limiter<manual_clock>> lim{
        quota::per_second(2), {}, clock};
    CHECK(lim.try_acquire("a", 2).allowed);
    CHECK_FALSE(lim.try_acquire("a").allowed);
    CHECK(lim.try_acquire("b").allowed);
    clock.advance(2s);
    CHECK(lim.retain_recent() == 2);
}

TEST_CASE("keyed: no over-admission when threads race on one key and on many keys",
          "[keyed][concurrency]") {
    manual_clock clock;
    constexpr std::uint64_t burst = 50;
    keyed lim{quota::per_second(1).with_burst(burst), {.max_keys = 100'000}, clock};
    constexpr int threads = 4;
    constexpr int keys = 200;
    std::vector<std::atomic<std::uint64_t>> admitted(keys + 1);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            std::mt19937 rng{static_cast<unsigned>(t)};
            for (int i = 0; i < 20000; ++i) {
                // every other request hits the shared hot key, the rest a random one of many
                const int k =
                    i % 2 == 0 ? keys : std::uniform_int_distribution<int>{0, keys - 1}(rng);
                if (lim.try_acquire("key-" + std::to_string(k)).allowed) {
                    admitted[static_cast<std::size_t>(k)].fetch_add(1, std::memory_order_relaxed);
                }
            }
        });
    }
    for (auto& t : pool) {
        t.join();
    }
    // The clock stood still: every key admitted exactly its burst (each saw enough traffic).
    for (int k = 0; k <= keys; ++k) {
        INFO("key " << k);
        CHECK(admitted[static_cast<std::size_t>(k)].load() == burst);
    }
}
