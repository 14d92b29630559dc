#ifndef BULWARK_TELEMETRY_METRICS_METRIC_NAMES_HPP
#define BULWARK_TELEMETRY_METRICS_METRIC_NAMES_HPP

#include <string_view>

/// The name of every metric bulwark exports, declared once. Dashboards and alert rules
/// (deploy/) use these names; a golden test pins them, so a rename is a visible, deliberate
/// change. HTTP server metrics follow the OpenTelemetry HTTP semantic conventions translated to
/// Prometheus (http.server.request.duration -> http_server_request_duration_seconds); bulwark's
/// own components use the `bulwark_` prefix. docs/metrics.md lists each with its labels.
namespace bulwark::telemetry::metric_names {

// --- HTTP server (http::http_metrics, http::instrument_server) ----------------------------
/// counter {method, route, status}: requests answered (status "aborted" when none was sent).
inline constexpr std::string_view http_server_requests_total = "http_server_requests_total";
/// histogram {method, route}: seconds from the complete request header to the response written.
inline constexpr std::string_view http_server_request_duration_seconds =
    "http_server_request_duration_seconds";
/// gauge {method}: requests between their header and their completion.
inline constexpr std::string_view http_server_active_requests = "http_server_active_requests";
/// histogram {method, route}: request body bytes received.
inline constexpr std::string_view http_server_request_body_size_bytes =
    "http_server_request_body_size_bytes";
/// histogram {method, route}: response body bytes sent.
inline constexpr std::string_view http_server_response_body_size_bytes =
    "http_server_response_body_size_bytes";
/// gauge: connections open now.
inline constexpr std::string_view http_server_open_connections = "http_server_open_connections";
/// counter: connections accepted.
inline constexpr std::string_view http_server_connections_total = "http_server_connections_total";
/// counter: handler exceptions (answered with 500).
inline constexpr std::string_view http_server_handler_exceptions_total =
    "http_server_handler_exceptions_total";

// --- rate limits (http::instrument for rate_limit and in_flight_limit) ---------------------
/// counter {limiter, result}: result is allowed, limited, shadow_limited or unkeyed.
inline constexpr std::string_view ratelimit_decisions_total = "bulwark_ratelimit_decisions_total";
/// counter {limiter, source}: decisions of a limit kept in a shared store (Redis); source is
/// store, over_limit_cache, lease, fallback_local, fallback_allow or fallback_deny.
inline constexpr std::string_view ratelimit_store_decisions_total =
    "bulwark_ratelimit_store_decisions_total";
/// counter {limiter, kind}: the store's trouble; kind is failure (timeout, down), reply_error,
/// breaker_open (not asked: the breaker was open) or noscript (the script was sent again).
inline constexpr std::string_view ratelimit_store_errors_total =
    "bulwark_ratelimit_store_errors_total";
/// counter {limiter, state}: leased tokens; state is granted (extra tokens taken for a lease)
/// or expired (never spent: past lease_ttl, or evicted).
inline constexpr std::string_view ratelimit_store_lease_tokens_total =
    "bulwark_ratelimit_store_lease_tokens_total";

// --- circuit breaker (telemetry::instrument(circuit_breaker_config&, ...)) -----------------
/// gauge {breaker, state}: 1 for the breaker's current state, 0 for the others.
inline constexpr std::string_view circuit_breaker_state = "bulwark_circuit_breaker_state";
/// counter {breaker, outcome}: outcome is success, failure, ignored or rejected.
inline constexpr std::string_view circuit_breaker_calls_total =
    "bulwark_circuit_breaker_calls_total";
/// counter {breaker, from, to}: state changes.
inline constexpr std::string_view circuit_breaker_transitions_total =
    "bulwark_circuit_breaker_transitions_total";

// --- retry (telemetry::instrument(retry_policy_config&, ...)) ------------------------------
/// counter {operation, result}: attempts made; result is success, retried or failed.
inline constexpr std::string_view retry_attempts_total = "bulwark_retry_attempts_total";
/// counter {operation}: retries a retry budget refused.
inline constexpr std::string_view retry_budget_exhausted_total =
    "bulwark_retry_budget_exhausted_total";

// --- health (telemetry::instrument(health_registry_config&, ...)) --------------------------
/// gauge {check, group}: 1 pass, 0.5 warn, 0 fail, after the check's last run.
inline constexpr std::string_view health_check_status = "bulwark_health_check_status";
/// histogram {check}: seconds a check run took (a timed-out run counts its timeout).
inline constexpr std::string_view health_check_duration_seconds =
    "bulwark_health_check_duration_seconds";

// --- logging (the structured logging component) ---------------------------------------------
/// counter: log lines dropped (async queue full, or redaction failed: fail closed).
inline constexpr std::string_view log_messages_dropped_total = "bulwark_log_messages_dropped_total";
/// counter {detector}: values redacted from log lines.
inline constexpr std::string_view redactions_total = "bulwark_redactions_total";

// --- process ----------------------------------------------------------------------------------
/// gauge {version}: always 1 (register_build_info).
inline constexpr std::string_view build_info = "bulwark_build_info";

} // namespace bulwark::telemetry::metric_names

#endif
