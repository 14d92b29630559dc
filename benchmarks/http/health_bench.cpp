// What a health probe costs the server, against the naive endpoint that runs its checks on
// every probe, in one run.
//
// A public probe served by bulwark loads the group's status (one atomic) and builds a small
// response; a detailed one copies the cached report; the checks run on their own schedule
// (health_monitor), so the probe rate never reaches the dependencies. The naive endpoint calls
// every check per probe under a mutex, as hand-written /healthz handlers often do. Its checks here
// are trivial functions, so the ratio is a floor: with real checks (a connect, a query) each naive
// probe also costs a round trip to every dependency, and a probe storm becomes a storm on them.
//
//   bm_health_probe_cached        the group's status (one atomic load) + a status-only response
//   bm_health_probe_cached_details  the cached report (shared_ptr copy) + the full health+json
//                                 document of 5 checks
//   bm_health_probe_naive         run the 5 checks under a mutex, aggregate, render, respond
//   bm_health_record              one recorded run: sanitize + rebuild the group's report
//
// ->Threads(2): two threads probing the same group (the report's mutex is shared).
#include <bulwark/core/health/health_json.hpp>
#include <bulwark/core/health/health_registry.hpp>
#include <bulwark/http/health/health_endpoints.hpp>

#include <benchmark/benchmark.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace {

using bulwark::check_result;
using bulwark::health_registry;

constexpr int check_count = 5;

// A registry with five passing readiness checks, built once.
health_registry& registry() {
    static health_registry r;
    static const bool filled = [] {
        const auto now = std::chrono::system_clock::now();
        for (int i = 0; i < check_count; ++i) {
            const auto id = r.add({.name = "dependency" + std::to_string(i),
                                   .component_id = "10.0.0." + std::to_string(i) + ":5432"});
            r.record(id, check_result::pass().observed(1.5 + i, "ms"), now,
                     std::chrono::milliseconds{2});
        }
        return true;
    }();
    (void)filled;
    return r;
}

void bm_health_probe_cached(benchmark::State& state) {
    // As add_health_routes serves a public probe: the group resolved once, its status loaded.
    static const auto group = registry().group("readiness");
    for (auto _ : state) {
        auto res = bulwark::http::make_health_response(group.status(), 11);
        benchmark::DoNotOptimize(res);
    }
}
BENCHMARK(bm_health_probe_cached)->Threads(1)->Threads(2);

void bm_health_probe_cached_details(benchmark::State& state) {
    static const auto group = registry().group("readiness");
    const bulwark::health_service_info info{.version = "1", .release_id = "1.4.2"};
    for (auto _ : state) {
        auto res = bulwark::http::make_health_response(*group.report(), info, true, 11);
        benchmark::DoNotOptimize(res);
    }
}
BENCHMARK(bm_health_probe_cached_details)->Threads(1)->Threads(2);

// The naive baseline: the endpoint runs the checks itself, one probe at a time.
struct naive_health {
    std::mutex mutex;
    std::vector<std::function<check_result()>> checks;
    naive_health() {
        for (int i = 0; i < check_count; ++i) {
            checks.emplace_back([i] { return check_result::pass().observed(1.5 + i, "ms"); });
        }
    }
};

void bm_health_probe_naive(benchmark::State& state) {
    static naive_health naive;
    for (auto _ : state) {
        bulwark::group_report report;
        {
            std::lock_guard lock{naive.mutex};
            for (auto& c : naive.checks) {
                auto result = c();
                report.status = bulwark::worst(report.status, result.status);
            }
        }
        auto res = bulwark::http::make_health_response(report, {}, false, 11);
        benchmark::DoNotOptimize(res);
    }
}
BENCHMARK(bm_health_probe_naive)->Threads(1)->Threads(2);

void bm_health_record(benchmark::State& state) {
    static health_registry r;
    static const auto id = r.add({.name = "bench"});
    const auto now = std::chrono::system_clock::now();
    for (auto _ : state) {
        r.record(id, check_result::pass().observed(2.0, "ms"), now, std::chrono::milliseconds{2});
    }
}
BENCHMARK(bm_health_record);

} // namespace
