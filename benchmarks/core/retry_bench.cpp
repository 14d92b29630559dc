// Retry budget and backoff costs. A budget check runs once per retry and a record once per
// request, so it must stay far below a request's cost; the baseline is the naive version: a
// mutex around two deques of timestamps.
#include <bulwark/core/retry/backoff.hpp>
#include <bulwark/core/retry/retry_budget.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <random>

namespace {

using steady = std::chrono::steady_clock;

class mutex_deque_budget {
public:
    void record_request(steady::time_point now) {
        const std::lock_guard lock{mutex_};
        requests_.push_back(now);
        trim(now);
    }
    bool try_acquire(steady::time_point now) {
        const std::lock_guard lock{mutex_};
        trim(now);
        if (static_cast<double>(retries_.size()) >=
            100 + 0.2 * static_cast<double>(requests_.size())) {
            return false;
        }
        retries_.push_back(now);
        return true;
    }

private:
    void trim(steady::time_point now) {
        while (!requests_.empty() && now - requests_.front() > std::chrono::seconds{10}) {
            requests_.pop_front();
        }
        while (!retries_.empty() && now - retries_.front() > std::chrono::seconds{10}) {
            retries_.pop_front();
        }
    }
    std::mutex mutex_;
    std::deque<steady::time_point> requests_, retries_;
};

void bm_mutex_deque_budget(benchmark::State& state) {
    static mutex_deque_budget budget;
    auto now = steady::now();
    for (auto _ : state) {
        now += std::chrono::microseconds{10};
        budget.record_request(now);
        benchmark::DoNotOptimize(budget.try_acquire(now));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_mutex_deque_budget)->Threads(1)->Threads(2)->UseRealTime();

// One request recorded and one retry asked for, as a failing call does.
void bm_retry_budget(benchmark::State& state) {
    static bulwark::retry_budget budget;
    auto now = steady::now();
    for (auto _ : state) {
        now += std::chrono::microseconds{10};
        budget.record_request(now);
        benchmark::DoNotOptimize(budget.try_acquire(now));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bm_retry_budget)->Threads(1)->Threads(2)->UseRealTime();

void bm_backoff_delay(benchmark::State& state) {
    const bulwark::backoff b{{.mode = bulwark::jitter::decorrelated}};
    std::mt19937_64 rng{1};
    bulwark::duration previous{};
    unsigned retry = 0;
    for (auto _ : state) {
        previous = b.delay(++retry % 16, previous, bulwark::backoff::unit_interval(rng()));
        benchmark::DoNotOptimize(previous);
    }
}
BENCHMARK(bm_backoff_delay);

} // namespace
