#ifndef BULWARK_TELEMETRY_METRICS_COMPONENT_METRICS_HPP
#define BULWARK_TELEMETRY_METRICS_COMPONENT_METRICS_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/circuit_breaker/circuit_breaker_config.hpp>
#include <bulwark/core/health/health_registry.hpp>
#include <bulwark/core/rate_limit/global_limit_stats.hpp>
#include <bulwark/core/retry/retry_policy.hpp>
#include <bulwark/telemetry/log/json_logger.hpp>
#include <bulwark/telemetry/metrics/metrics_registry.hpp>

#include <functional>
#include <string_view>

/// Metrics for bulwark's resilience components, wired through their configs' hooks: call
/// instrument() on the config before constructing the component. Each hook is chained after
/// the one already set (yours keeps running). A breaker call or a retry attempt is recorded
/// into instruments resolved here, once: no lock, no allocation. A breaker transition and a
/// health check run look their series up (a mutex and a map), which is fine at their rate.
///
/// The registry must outlive every component built from an instrumented config. A name
/// (breaker, operation) identifies one component: two breakers instrumented with the same name
/// share their series and their state gauge would count both.
namespace bulwark::telemetry {

/**
 * bulwark_circuit_breaker_state{breaker, state} (1 for the current state, 0 for the other
 * five), bulwark_circuit_breaker_calls_total{breaker, outcome} (success, failure, ignored,
 * rejected) and bulwark_circuit_breaker_transitions_total{breaker, from, to}, through
 * on_call, on_rejected and on_transition.
 * @throws std::system_error naming "instrument.name" when `breaker` is empty.
 */
BULWARK_TELEMETRY_API void instrument(circuit_breaker_config& config, metrics_registry& registry,
                                      std::string_view breaker);

/**
 * bulwark_retry_attempts_total{operation, result} (success, retried, failed) and
 * bulwark_retry_budget_exhausted_total{operation}, through on_attempt. An attempt whose retry
 * the budget refused counts as failed and as budget exhausted.
 * @throws std::system_error naming "instrument.name" when `operation` is empty.
 */
BULWARK_TELEMETRY_API void instrument(retry_policy_config& config, metrics_registry& registry,
                                      std::string_view operation);

/**
 * bulwark_health_check_status{check, group} (1 pass, 0.5 warn, 0 fail, after each run; one
 * series per group the check belongs to) and bulwark_health_check_duration_seconds{check}
 * (a timed-out run counts its timeout), through on_run. Checks that have not run yet have no
 * series: the pending state is the health endpoints' business.
 */
BULWARK_TELEMETRY_API void instrument(health_registry_config& config, metrics_registry& registry);

/**
 * bulwark_log_messages_dropped_total{logger, reason} (reason: queue_full, redaction_failed,
 * sink_error) and bulwark_redactions_total{logger, detector}, copied from the logger's
 * counters at scrape time: logging itself records nothing twice. Detectors with no redaction
 * yet have no series. The hook reads the counters through `json_logger::stats_reader()`, so
 * it may outlive the logger.
 */
[[nodiscard]] BULWARK_TELEMETRY_API collect_hook instrument(metrics_registry& registry,
                                                            const json_logger& logger);

/**
 * bulwark_ratelimit_store_decisions_total{limiter, source} (source: store, over_limit_cache, lease,
 * fallback_local, fallback_allow, fallback_deny) and
 * bulwark_ratelimit_store_errors_total{limiter, kind} (kind: failure, reply_error,
 * breaker_open, noscript) and bulwark_ratelimit_store_lease_tokens_total{limiter, state}
 * (state: granted, expired) for a limit kept in a shared store, copied at scrape time from
 * `read` (redis::gcra_limiter::stats_reader(), which may outlive the limiter). Every series
 * exists from the first scrape, at 0. The breaker guarding the store reports through
 * instrument(config.breaker, registry, name), called on the limiter's config before it is
 * built.
 * @throws std::system_error naming "instrument.name" when `limiter` is empty, and
 *         "instrument.read" when `read` is empty.
 */
[[nodiscard]] BULWARK_TELEMETRY_API collect_hook instrument(
    metrics_registry& registry, std::string_view limiter, std::function<global_limit_stats()> read);

} // namespace bulwark::telemetry

#endif
