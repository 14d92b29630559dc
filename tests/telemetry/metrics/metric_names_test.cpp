// Pins the name of every exported metric (a rename breaks dashboards and alerts, so it must be
// a deliberate edit here too), and checks that deploy/'s alert rules and dashboard use only
// names bulwark exports.
#include <bulwark/telemetry/metrics/metric_names.hpp>

#include <catch2/catch.hpp>
#include <prometheus/check_names.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace names = bulwark::telemetry::metric_names;

namespace {

const std::vector<std::pair<std::string_view, std::string_view>> golden = {
    {names::http_server_requests_total, "http_server_requests_total"},
    {names::http_server_request_duration_seconds, "http_server_request_duration_seconds"},
    {names::http_server_active_requests, "http_server_active_requests"},
    {names::http_server_request_body_size_bytes, "http_server_request_body_size_bytes"},
    {names::http_server_response_body_size_bytes, "http_server_response_body_size_bytes"},
    {names::http_server_open_connections, "http_server_open_connections"},
    {names::http_server_connections_total, "http_server_connections_total"},
    {names::http_server_handler_exceptions_total, "http_server_handler_exceptions_total"},
    {names::ratelimit_decisions_total, "bulwark_ratelimit_decisions_total"},
    {names::ratelimit_store_decisions_total, "bulwark_ratelimit_store_decisions_total"},
    {names::ratelimit_store_errors_total, "bulwark_ratelimit_store_errors_total"},
    {names::ratelimit_store_lease_tokens_total, "bulwark_ratelimit_store_lease_tokens_total"},
    {names::circuit_breaker_state, "bulwark_circuit_breaker_state"},
    {names::circuit_breaker_calls_total, "bulwark_circuit_breaker_calls_total"},
    {names::circuit_breaker_transitions_total, "bulwark_circuit_breaker_transitions_total"},
    {names::retry_attempts_total, "bulwark_retry_attempts_total"},
    {names::retry_budget_exhausted_total, "bulwark_retry_budget_exhausted_total"},
    {names::health_check_status, "bulwark_health_check_status"},
    {names::health_check_duration_seconds, "bulwark_health_check_duration_seconds"},
    {names::log_messages_dropped_total, "bulwark_log_messages_dropped_total"},
    {names::redactions_total, "bulwark_redactions_total"},
    {names::build_info, "bulwark_build_info"},
};

std::string read(const std::string& relative) {
    std::ifstream in{std::string{BULWARK_TEST_SOURCE_DIR} + "/" + relative};
    REQUIRE(in);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Metric names a PromQL text mentions: identifiers with bulwark's prefixes, histogram series
// suffixes and recording-rule names removed.
std::set<std::string> mentioned(const std::string& text) {
    static const std::regex name{R"((^|[^a-zA-Z0-9_:])((http_server|bulwark)_[a-z0-9_]+))"};
    std::set<std::string> out;
    for (std::sregex_iterator it{text.begin(), text.end(), name}, end; it != end; ++it) {
        std::string n = (*it)[2];
        for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
            if (n.size() > suffix.size() && n.ends_with(suffix) &&
                (n.starts_with("http_server_request_") || n.starts_with("http_server_response_") ||
                 n.starts_with("bulwark_health_check_duration"))) {
                n.erase(n.size() - suffix.size());
            }
        }
        out.insert(n);
    }
    return out;
}

} // namespace

TEST_CASE("Metric names are pinned and follow Prometheus' rules", "[metrics][names]") {
    std::set<std::string_view> unique;
    for (const auto& [declared, pinned] : golden) {
        CHECK(declared == pinned);
        CHECK(prometheus::CheckMetricName(std::string{declared}));
        CHECK(unique.insert(declared).second);
        // Units and counters by Prometheus' conventions.
        const bool counter = declared.ends_with("_total");
        const bool histogram = declared.ends_with("_seconds") || declared.ends_with("_bytes");
        const bool gauge = declared.ends_with("_requests") || declared.ends_with("_connections") ||
                           declared.ends_with("_state") || declared.ends_with("_status") ||
                           declared.ends_with("_info");
        CHECK((counter || histogram || gauge));
    }
}

TEST_CASE("deploy/ alert rules and dashboard use only exported names", "[metrics][names]") {
    std::set<std::string> known;
    for (const auto& [declared, pinned] : golden) {
        known.emplace(declared);
    }
    for (const char* file : {"deploy/prometheus/alerts.yml", "deploy/grafana/bulwark.json"}) {
        const auto used = mentioned(read(file));
        CHECK(used.size() >= 6); // the alerts need 7 names, the dashboard more
        for (const auto& n : used) {
            INFO(file << " mentions " << n);
            CHECK(known.count(n) == 1);
        }
    }
    // Every alert the issue asks for exists.
    const auto rules = read("deploy/prometheus/alerts.yml");
    for (const char* alert :
         {"BulwarkHighErrorRatio", "BulwarkHighLatencyP99", "BulwarkCircuitBreakerOpen",
          "BulwarkRateLimitedRatioSpike", "BulwarkHealthCheckFailing", "BulwarkLogLinesDropped"}) {
        CHECK(rules.find(std::string{"alert: "} + alert) != std::string::npos);
    }
}
