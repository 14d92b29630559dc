// Recording the RED metrics of one request, against prometheus-cpp used the usual ways, in one
// run.
//
// One request records: http_server_requests_total{method,route,status} += 1, the active
// requests gauge up and down, and three histograms (duration in seconds, request and response
// body sizes in bytes), labelled by method and route.
//
//   bm_red_striped          bulwark's striped instruments, label handles resolved once per
//                           route (as the metrics middleware does): no lookup, no lock
//   bm_red_family_add       baseline: prometheus-cpp with family.Add(labels) per request (a
//                           hashed lookup under the family's mutex per instrument), then
//                           Increment / Observe (Observe takes the histogram's mutex)
//   bm_red_prometheus_resolved  baseline: prometheus-cpp with the handles resolved once, as a
//                           careful user would: what remains is Observe's mutex
//   bm_histogram_observe_prometheus / _striped  one histogram observation alone
//
// ->Threads(2): two threads record the same route (the contended case of the issue target:
// <= 150 ns per thread; <= 100 ns on one thread).
#include <bulwark/telemetry/metrics/metrics_registry.hpp>

#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <vector>

namespace {

using namespace bulwark::telemetry;

const std::vector<double> duration_bounds(std::begin(http_duration_buckets),
                                          std::end(http_duration_buckets));
const std::vector<double> size_bounds(std::begin(http_size_buckets), std::end(http_size_buckets));

// Varying but cheap inputs, so every bucket path is exercised.
double duration_of(std::uint64_t i) {
    return 0.001 * static_cast<double>(i % 97);
}

struct striped_red {
    metrics_registry metrics;
    striped_counter* requests;
    striped_gauge* active;
    striped_histogram* duration;
    striped_histogram* request_size;
    striped_histogram* response_size;
    striped_red() {
        requests =
            &metrics.counter("http_server_requests_total", "x", {"method", "route", "status"})
                 .with({"GET", "/users/{id}", "200"});
        active = &metrics.gauge("http_server_active_requests", "x", {"method"}).with({"GET"});
        duration = &metrics
                        .histogram("http_server_request_duration_seconds", "x", {"method", "route"},
                                   http_duration_buckets)
                        .with({"GET", "/users/{id}"});
        request_size = &metrics
                            .histogram("http_server_request_body_size_bytes", "x",
                                       {"method", "route"}, http_size_buckets, 1.0)
                            .with({"GET", "/users/{id}"});
        response_size = &metrics
                             .histogram("http_server_response_body_size_bytes", "x",
                                        {"method", "route"}, http_size_buckets, 1.0)
                             .with({"GET", "/users/{id}"});
    }
};

void bm_red_striped(benchmark::State& state) {
    static striped_red red;
    std::uint64_t i = 0;
    for (auto _ : state) {
        red.active->increment();
        red.requests->add();
        red.duration->observe(duration_of(i));
        red.request_size->observe(0);
        red.response_size->observe(static_cast<double>(512 + i % 4096));
        red.active->decrement();
        ++i;
    }
}
BENCHMARK(bm_red_striped)->Threads(1)->Threads(2);

struct prometheus_red {
    prometheus::Registry registry;
    prometheus::Family<prometheus::Counter>& requests =
        prometheus::BuildCounter().Name("http_server_requests_total").Help("x").Register(registry);
    prometheus::Family<prometheus::Gauge>& active =
        prometheus::BuildGauge().Name("http_server_active_requests").Help("x").Register(registry);
    prometheus::Family<prometheus::Histogram>& duration =
        prometheus::BuildHistogram()
            .Name("http_server_request_duration_seconds")
            .Help("x")
            .Register(registry);
    prometheus::Family<prometheus::Histogram>& request_size =
        prometheus::BuildHistogram()
            .Name("http_server_request_body_size_bytes")
            .Help("x")
            .Register(registry);
    prometheus::Family<prometheus::Histogram>& response_size =
        prometheus::BuildHistogram()
            .Name("http_server_response_body_size_bytes")
            .Help("x")
            .Register(registry);
};

void bm_red_family_add(benchmark::State& state) {
    static prometheus_red red;
    std::uint64_t i = 0;
    for (auto _ : state) {
        auto& active = red.active.Add({{"method", "GET"}});
        active.Increment();
        red.requests.Add({{"method", "GET"}, {"route", "/users/{id}"}, {"status", "200"}})
            .Increment();
        red.duration.Add({{"method", "GET"}, {"route", "/users/{id}"}}, duration_bounds)
            .Observe(duration_of(i));
        red.request_size.Add({{"method", "GET"}, {"route", "/users/{id}"}}, size_bounds).Observe(0);
        red.response_size.Add({{"method", "GET"}, {"route", "/users/{id}"}}, size_bounds)
            .Observe(static_cast<double>(512 + i % 4096));
        active.Decrement();
        ++i;
    }
}
BENCHMARK(bm_red_family_add)->Threads(1)->Threads(2);

void bm_red_prometheus_resolved(benchmark::State& state) {
    static prometheus_red red;
    static auto& active = red.active.Add({{"method", "GET"}});
    static auto& requests =
        red.requests.Add({{"method", "GET"}, {"route", "/users/{id}"}, {"status", "200"}});
    static auto& duration =
        red.duration.Add({{"method", "GET"}, {"route", "/users/{id}"}}, duration_bounds);
    static auto& request_size =
        red.request_size.Add({{"method", "GET"}, {"route", "/users/{id}"}}, size_bounds);
    static auto& response_size =
        red.response_size.Add({{"method", "GET"}, {"route", "/users/{id}"}}, size_bounds);
    std::uint64_t i = 0;
    for (auto _ : state) {
        active.Increment();
        requests.Increment();
        duration.Observe(duration_of(i));
        request_size.Observe(0);
        response_size.Observe(static_cast<double>(512 + i % 4096));
        active.Decrement();
        ++i;
    }
}
BENCHMARK(bm_red_prometheus_resolved)->Threads(1)->Threads(2);

void bm_histogram_observe_prometheus(benchmark::State& state) {
    static prometheus::Histogram h{duration_bounds};
    std::uint64_t i = 0;
    for (auto _ : state) {
        h.Observe(duration_of(i++));
    }
}
BENCHMARK(bm_histogram_observe_prometheus)->Threads(1)->Threads(2);

void bm_histogram_observe_striped(benchmark::State& state) {
    static striped_histogram h{http_duration_buckets};
    std::uint64_t i = 0;
    for (auto _ : state) {
        h.observe(duration_of(i++));
    }
}
BENCHMARK(bm_histogram_observe_striped)->Threads(1)->Threads(2);

} // namespace
