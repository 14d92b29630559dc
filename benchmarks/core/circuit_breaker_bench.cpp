// Circuit breaker hot path: try_acquire + record in the closed state, as every guarded call
// does. Baseline: the naive breaker, a std::mutex around a ring of outcomes and the state.
#include <bulwark/core/circuit_breaker/circuit_breaker.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

class mutex_breaker {
public:
    bool try_acquire() {
        const std::lock_guard lock{mutex_};
        return !open_;
    }
    void record(bool failure) {
        const std::lock_guard lock{mutex_};
        failures_ += (failure ? 1 : 0) - (ring_[next_] ? 1 : 0);
        ring_[next_] = failure;
        next_ = (next_ + 1) % ring_.size();
        calls_ = calls_ < ring_.size() ? calls_ + 1 : calls_;
        open_ = calls_ >= 100 && static_cast<std::size_t>(failures_) * 2 >= calls_;
    }

private:
    std::mutex mutex_;
    std::vector<bool> ring_ = std::vector<bool>(100);
    std::size_t next_ = 0, calls_ = 0;
    std::ptrdiff_t failures_ = 0;
    bool open_ = false;
};

void bm_mutex_breaker(benchmark::State& state) {
    static mutex_breaker breaker;
    for (auto _ : state) {
        if (breaker.try_acquire()) {
            breaker.record(false);
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_mutex_breaker)->Threads(1)->Threads(2)->UseRealTime();

// The caller supplies `now` (read once per request): what a pipeline does.
void bm_circuit_breaker(benchmark::State& state) {
    static bulwark::circuit_breaker breaker{};
    const auto now = steady::now();
    for (auto _ : state) {
        if (auto permit = breaker.try_acquire(now)) {
            permit.record(bulwark::call_outcome::success, now);
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_circuit_breaker)->Threads(1)->Threads(2)->UseRealTime();

// Open: rejections are one load and one counter increment.
void bm_circuit_breaker_open(benchmark::State& state) {
    static bulwark::circuit_breaker breaker{{.wait_in_open = std::chrono::hours{1}}};
    static const bool opened = [] {
        breaker.force_open();
        return true;
    }();
    (void)opened;
    const auto now = steady::now();
    for (auto _ : state) {
        benchmark::DoNotOptimize(breaker.try_acquire(now));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_circuit_breaker_open)->Threads(1)->Threads(2)->UseRealTime();

} // namespace
