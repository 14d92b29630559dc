#include <bulwark/telemetry/metrics/metrics_registry.hpp>

#include <catch2/catch.hpp>
#include <prometheus/counter.h>

#include <string>

using namespace bulwark::telemetry;

TEST_CASE("metrics_registry serves bulwark's striped families next to the user's metrics",
          "[metrics][registry]") {
    //! [metrics_registry]
    metrics_registry metrics; // or metrics_registry{your_prometheus_registry}
    auto& requests = metrics.counter("demo_requests_total", "Requests.", {"route", "status"});
    auto& ok = requests.with({"/users/{id}", "200"}); // resolved once, kept
    ok.add();
    ok.add();
    requests.with({"/users/{id}", "404"}).add();
    const std::string text = metrics.serialize(); // the /metrics body
    //! [metrics_registry]
    prometheus::BuildCounter()
        .Name("user_total")
        .Help("Mine.")
        .Register(metrics.registry())
        .Add({})
        .Increment(3);
    const auto again = metrics.serialize();
    CHECK_THAT(text, Catch::Contains("# TYPE demo_requests_total counter"));
    CHECK_THAT(text,
               Catch::Contains("demo_requests_total{route=\"/users/{id}\",status=\"200\"} 2"));
    CHECK_THAT(text,
               Catch::Contains("demo_requests_total{route=\"/users/{id}\",status=\"404\"} 1"));
    CHECK_THAT(again, Catch::Contains("user_total 3"));
    CHECK(&requests.with({"/users/{id}", "200"}) == &ok);
}

TEST_CASE("Histograms and gauges in the exposition format", "[metrics][registry]") {
    metrics_registry metrics;
    auto& duration =
        metrics.histogram("demo_duration_seconds", "Durations.", {"route"}, http_duration_buckets);
    duration.with({"/"}).observe(0.02);
    duration.with({"/"}).observe(3.0);
    metrics.gauge("demo_active", "Active.", {}).with({}).add(2);
    const auto text = metrics.serialize();
    CHECK_THAT(text, Catch::Contains("# TYPE demo_duration_seconds histogram"));
    CHECK_THAT(text, Catch::Contains("demo_duration_seconds_bucket{route=\"/\",le=\"0.01\"} 0"));
    CHECK_THAT(text, Catch::Contains("demo_duration_seconds_bucket{route=\"/\",le=\"0.025\"} 1"));
    CHECK_THAT(text, Catch::Contains("demo_duration_seconds_bucket{route=\"/\",le=\"5\"} 2"));
    CHECK_THAT(text, Catch::Contains("demo_duration_seconds_bucket{route=\"/\",le=\"+Inf\"} 2"));
    CHECK_THAT(text, Catch::Contains("demo_duration_seconds_count{route=\"/\"} 2"));
    CHECK_THAT(text, Catch::Contains("demo_duration_seconds_sum{route=\"/\"} 3.02"));
    CHECK_THAT(text, Catch::Contains("demo_active 2"));
}

TEST_CASE("metrics_registry checks names and keeps one definition per name",
          "[metrics][registry]") {
    metrics_registry metrics;
    CHECK_THROWS_WITH(metrics.counter("bad-name_total", "x", {}),
                      Catch::Contains("metrics_registry.name"));
    CHECK_THROWS_WITH(metrics.counter("ok_total", "x", {"__reserved"}),
                      Catch::Contains("metrics_registry.label_names"));
    auto& a = metrics.counter("ok_total", "x", {"a"});
    CHECK(&metrics.counter("ok_total", "x", {"a"}) == &a);
    CHECK_THROWS_WITH(metrics.counter("ok_total", "x", {"b"}),
                      Catch::Contains("metrics_registry.name"));
    CHECK_THROWS_WITH(metrics.gauge("ok_total", "x", {"a"}),
                      Catch::Contains("metrics_registry.name"));
    const double bad[] = {2.0, 1.0};
    CHECK_THROWS_WITH(metrics.histogram("h_seconds", "x", {}, bad),
                      Catch::Contains("striped_histogram.upper_bounds"));
    CHECK_THROWS_AS(a.with({}), std::invalid_argument);
    CHECK_THROWS_WITH(metrics_registry{nullptr}, Catch::Contains("metrics_registry.registry"));
}
