// Rate limiters against their naive baselines, in one binary so results read as ratios.
//
//   baseline_cas_and_clock   one std::atomic CAS plus steady_clock::now(): the floor for a
//                            limiter that reads the clock itself
//   mutex_bucket             the naive token bucket: std::mutex + double tokens
//   mutex_map                the naive per-key table: std::mutex + unordered_map<string, bucket>
#include <bulwark/core/coarse_clock.hpp>
#include <bulwark/core/rate_limit/gcra_limiter.hpp>
#include <bulwark/core/rate_limit/keyed_limiter.hpp>
#include <bulwark/core/rate_limit/sliding_window_limiter.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// --- baselines ---------------------------------------------------------------------------------

class mutex_bucket {
public:
    mutex_bucket(double rate, double burst) : rate_{rate / 1e9}, burst_{burst}, tokens_{burst} {}
    bool try_acquire(steady::time_point now) {
        const std::lock_guard lock{mutex_};
        const auto elapsed = static_cast<double>((now - last_).count());
        last_ = now;
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        if (tokens_ >= 1.0) {
            tokens_ -= 1.0;
            return true;
        }
        return false;
    }

private:
    std::mutex mutex_;
    double rate_, burst_, tokens_;
    steady::time_point last_ = steady::now();
};

std::atomic<std::uint64_t> cas_word{0};

void bm_baseline_cas_and_clock(benchmark::State& state) {
    for (auto _ : state) {
        const auto now = static_cast<std::uint64_t>(steady::now().time_since_epoch().count());
        auto v = cas_word.load(std::memory_order_relaxed);
        while (
            !cas_word.compare_exchange_weak(v, std::max(v, now) + 1, std::memory_order_relaxed)) {
        }
        benchmark::DoNotOptimize(v);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_baseline_cas_and_clock)->Threads(1)->Threads(2)->UseRealTime();

// A quota no single benchmark loop exhausts: every decision is an admission (a write).
const auto admit_all = bulwark::quota::per_second(1e9).with_burst(1'000'000'000);
// A quota exhausted at once: every decision after the first is a rejection (no write).
const auto deny_all = bulwark::quota::per_hour(1);

void bm_mutex_bucket_admit(benchmark::State& state) {
    static mutex_bucket bucket{1e9, 1e9};
    for (auto _ : state) {
        benchmark::DoNotOptimize(bucket.try_acquire(steady::now()));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_mutex_bucket_admit)->Threads(1)->Threads(2)->UseRealTime();

void bm_mutex_bucket_deny(benchmark::State& state) {
    static mutex_bucket bucket{1.0 / 3600, 1};
    for (auto _ : state) {
        benchmark::DoNotOptimize(bucket.try_acquire(steady::now()));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_mutex_bucket_deny)->Threads(1)->Threads(2)->UseRealTime();

// --- GCRA --------------------------------------------------------------------------------------

// Reads steady_clock itself: compare with bm_baseline_cas_and_clock (target <= 1.2x).
void bm_gcra_admit(benchmark::State& state) {
    static bulwark::gcra_limiter limiter{admit_all};
    for (auto _ : state) {
        benchmark::DoNotOptimize(limiter.try_acquire());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_gcra_admit)->Threads(1)->Threads(2)->UseRealTime();

void bm_gcra_deny(benchmark::State& state) {
    static bulwark::gcra_limiter limiter{deny_all};
    for (auto _ : state) {
        benchmark::DoNotOptimize(limiter.try_acquire());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_gcra_deny)->Threads(1)->Threads(2)->UseRealTime();

// The caller passes `now` (the pipeline reads the clock once per request): target <= 10 ns.
void bm_gcra_caller_now(benchmark::State& state) {
    bulwark::gcra_limiter limiter{bulwark::quota::per_second(1e6)}; // T = 1 us
    auto now = steady::now();
    for (auto _ : state) {
        now += 1us; // one token per decision: always admitted, always a write
        benchmark::DoNotOptimize(limiter.try_acquire(1, now));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_gcra_caller_now);

// On the cached clock: target <= 10 ns.
void bm_gcra_coarse_clock(benchmark::State& state) {
    bulwark::basic_gcra_limiter<bulwark::coarse_clock> limiter{admit_all, bulwark::coarse_clock{}};
    for (auto _ : state) {
        benchmark::DoNotOptimize(limiter.try_acquire());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_gcra_coarse_clock);

void bm_sliding_window_caller_now(benchmark::State& state) {
    bulwark::sliding_window_limiter limiter{bulwark::quota::per_second(1'000'000)};
    auto now = steady::now();
    for (auto _ : state) {
        now += 1us;
        benchmark::DoNotOptimize(limiter.try_acquire(1, now));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_sliding_window_caller_now);

// --- keyed -------------------------------------------------------------------------------------

constexpr std::size_t key_count = 1'000'000;

// A client key as the HTTP layer has it: a few bytes already in cache (an ip_key of an IPv6 /64
// is 10 bytes). Built from an index so the benchmark loop itself touches no extra memory.
struct key_buffer {
    char bytes[10] = {'6', 64};
    std::string_view view(std::size_t index) {
        const auto mixed = static_cast<std::uint64_t>(index) * 0x9E3779B97F4A7C15ull;
        std::memcpy(bytes + 2, &mixed, sizeof mixed);
        return {bytes, sizeof bytes};
    }
};

// Random key order, fixed seed per thread.
std::size_t next_index(std::uint64_t& x) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return static_cast<std::size_t>(x % key_count);
}

bulwark::keyed_limiter<bulwark::gcra_limiter>& shared_keyed() {
    static bulwark::keyed_limiter<bulwark::gcra_limiter> limiter{bulwark::quota::per_second(100),
                                                                 {.max_keys = key_count}};
    static const bool filled = [] {
        const auto now = steady::now();
        key_buffer key;
        for (std::size_t i = 0; i < key_count; ++i) {
            (void)limiter.try_acquire(key.view(i), 1, now);
        }
        return true;
    }();
    (void)filled;
    return limiter;
}

// The hardware floor for a table this size: one random read of a 48-byte slot in 60 MB (1M keys
// at 80% load), each read depending on the previous one as one request's decision depends on
// nothing the CPU could have fetched ahead. A keyed decision cannot be cheaper than this
// cache + TLB miss.
void bm_baseline_random_slot_read(benchmark::State& state) {
    struct slot {
        std::uint64_t words[6];
    };
    static std::vector<slot> table(key_count * 5 / 4);
    std::uint64_t x = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(state.thread_index());
    for (auto _ : state) {
        x ^= table[next_index(x) * 5 / 4].words[0]; // always 0, but the CPU cannot know
        benchmark::DoNotOptimize(x);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_baseline_random_slot_read)->Threads(1)->Threads(2)->UseRealTime();

// 1,000,000 keys, random access, caller-supplied now: target <= 150 ns per decision with one
// thread and >= 1.6x the aggregate throughput with two (each thread its own half of the keys).
void bm_keyed_1m_keys(benchmark::State& state) {
    auto& limiter = shared_keyed();
    key_buffer key;
    std::uint64_t x = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(state.thread_index());
    const auto threads = static_cast<std::size_t>(state.threads());
    const auto me = static_cast<std::size_t>(state.thread_index());
    const auto now = steady::now();
    for (auto _ : state) {
        const std::size_t i = next_index(x) / threads * threads + me; // distinct keys per thread
        benchmark::DoNotOptimize(limiter.try_acquire(key.view(i), 1, now));
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        state.counters["keys"] = static_cast<double>(limiter.size());
        state.counters["bytes_per_key"] =
            static_cast<double>(limiter.memory_usage()) / static_cast<double>(limiter.size());
    }
}
BENCHMARK(bm_keyed_1m_keys)->Threads(1)->Threads(2)->UseRealTime();

void bm_mutex_map_1m_keys(benchmark::State& state) {
    struct bucket {
        double tokens = 100;
        steady::time_point last{};
    };
    static std::mutex mutex;
    static std::unordered_map<std::string, bucket> map = [] {
        std::unordered_map<std::string, bucket> m;
        key_buffer key;
        for (std::size_t i = 0; i < key_count; ++i) {
            m.emplace(key.view(i), bucket{});
        }
        return m;
    }();
    key_buffer key;
    std::uint64_t x = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(state.thread_index());
    const auto now = steady::now();
    for (auto _ : state) {
        const std::lock_guard lock{mutex};
        auto& b = map.find(std::string{key.view(next_index(x))})->second;
        const auto elapsed = static_cast<double>((now - b.last).count()) * 100e-9;
        b.last = now;
        b.tokens = std::min(100.0, b.tokens + elapsed);
        const bool ok = b.tokens >= 1.0;
        b.tokens -= ok ? 1.0 : 0.0;
        benchmark::DoNotOptimize(ok);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_mutex_map_1m_keys)->Threads(1)->Threads(2)->UseRealTime();

} // namespace
