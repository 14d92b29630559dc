// Clock reads. The pipeline reads the clock once per request and hands that time to every
// limiter (DESIGN.md), because a read costs more than a limiter decision: these numbers are
// what that rule rests on.
#include <bulwark/core/clock.hpp>

#include <benchmark/benchmark.h>

#include <chrono>

namespace {

// Baseline: the standard library call everyone writes.
void bm_std_steady_clock_now(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(std::chrono::steady_clock::now());
    }
}
BENCHMARK(bm_std_steady_clock_now);

// bulwark's production clock: must cost the same as the baseline (it is a thin wrapper).
void bm_steady_clock_source_now(benchmark::State& state) {
    const bulwark::steady_clock_source clock;
    for (auto _ : state) {
        benchmark::DoNotOptimize(clock.now());
    }
}
BENCHMARK(bm_steady_clock_source_now);

// The test clock: one relaxed atomic load behind a pointer.
void bm_manual_clock_now(benchmark::State& state) {
    const bulwark::manual_clock clock;
    for (auto _ : state) {
        benchmark::DoNotOptimize(clock.now());
    }
}
BENCHMARK(bm_manual_clock_now);

// Contended test clock: every thread advances the same atomic word.
void bm_manual_clock_advance_shared(benchmark::State& state) {
    static bulwark::manual_clock clock;
    for (auto _ : state) {
        benchmark::DoNotOptimize(clock.advance(std::chrono::nanoseconds{1}));
    }
}
BENCHMARK(bm_manual_clock_advance_shared)->Threads(1)->Threads(2);

} // namespace
