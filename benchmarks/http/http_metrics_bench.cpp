// The per-request cost of the http_metrics middleware: its header hook and its completion hook
// for one request, label handles resolved once per (route, method, status) and found again
// through the lock-free table. Run on 1 thread, and on 2 threads serving the same route (the
// case where shared counters would bounce a cache line between cores).
//
// Issue target: <= 100 ns on one thread, <= 150 ns per thread with 2 threads. The baselines in
// the same binary (benchmarks/telemetry/metrics_bench.cpp) are a per-request family.Add()
// lookup (bm_red_family_add) and prometheus-cpp's Histogram::Observe
// (bm_histogram_observe_prometheus).
//
//   bm_http_metrics_request         on_header + on_complete: active gauge up and down, the
//                                   requests counter, the duration histogram and both body
//                                   size histograms
//   bm_http_metrics_request_no_sizes   the same without the body size histograms
//   bm_http_metrics_naive           the same instruments through prometheus-cpp, with a
//                                   family.Add() lookup per request: what a hand-written
//                                   middleware usually does
#include <bulwark/http/metrics/http_metrics.hpp>

#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <string>

namespace {

namespace bh = boost::beast::http;
namespace http = bulwark::http;
namespace telemetry = bulwark::telemetry;

const std::string route = "/api/v1/orders/{id}";

void run(benchmark::State& state, http::http_metrics& metrics) {
    http::request_context ctx;
    http::request_header header;
    http::request_context::identity id;
    id.method = bh::verb::get;
    id.start = bulwark::time_point{std::chrono::seconds{1000}};
    std::int64_t i = 0;
    for (auto _ : state) {
        ctx.reset(id);
        benchmark::DoNotOptimize(metrics.on_header(ctx, header));
        ctx.set_route(route);
        ctx.set_finish(id.start + std::chrono::microseconds{(++i & 1023) * 40});
        ctx.set_result(http::outcome::completed, 200, 0, 512);
        metrics.on_complete(ctx);
    }
}

void bm_http_metrics_request(benchmark::State& state) {
    static telemetry::metrics_registry registry;
    static http::http_metrics metrics{registry};
    run(state, metrics);
}
BENCHMARK(bm_http_metrics_request)->Threads(1)->Threads(2);

void bm_http_metrics_request_no_sizes(benchmark::State& state) {
    static telemetry::metrics_registry registry;
    static http::http_metrics metrics{registry, {.body_sizes = false}};
    run(state, metrics);
}
BENCHMARK(bm_http_metrics_request_no_sizes)->Threads(1)->Threads(2);

struct naive_metrics {
    prometheus::Registry registry;
    prometheus::Family<prometheus::Counter>& requests =
        prometheus::BuildCounter().Name("requests_total").Register(registry);
    prometheus::Family<prometheus::Histogram>& duration =
        prometheus::BuildHistogram().Name("duration_seconds").Register(registry);
    prometheus::Family<prometheus::Gauge>& active =
        prometheus::BuildGauge().Name("active").Register(registry);
    prometheus::Family<prometheus::Histogram>& response_size =
        prometheus::BuildHistogram().Name("response_size_bytes").Register(registry);
    prometheus::Family<prometheus::Histogram>& request_size =
        prometheus::BuildHistogram().Name("request_size_bytes").Register(registry);
    const prometheus::Histogram::BucketBoundaries time_buckets{
        std::begin(telemetry::http_duration_buckets), std::end(telemetry::http_duration_buckets)};
    const prometheus::Histogram::BucketBoundaries size_buckets{
        std::begin(telemetry::http_size_buckets), std::end(telemetry::http_size_buckets)};
};

void bm_http_metrics_naive(benchmark::State& state) {
    static naive_metrics m;
    std::int64_t i = 0;
    for (auto _ : state) {
        m.active.Add({{"method", "GET"}}).Increment();
        const double seconds = static_cast<double>((++i & 1023) * 40) * 1e-6;
        m.requests.Add({{"method", "GET"}, {"route", route}, {"status", "200"}}).Increment();
        m.duration.Add({{"method", "GET"}, {"route", route}}, m.time_buckets).Observe(seconds);
        m.request_size.Add({{"method", "GET"}, {"route", route}}, m.size_buckets).Observe(0);
        m.response_size.Add({{"method", "GET"}, {"route", route}}, m.size_buckets).Observe(512);
        m.active.Add({{"method", "GET"}}).Decrement();
    }
}
BENCHMARK(bm_http_metrics_naive)->Threads(1)->Threads(2);

} // namespace
