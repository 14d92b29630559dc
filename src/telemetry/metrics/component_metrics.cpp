#include <bulwark/core/error.hpp>
#include <bulwark/telemetry/metrics/component_metrics.hpp>
#include <bulwark/telemetry/metrics/metric_names.hpp>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <string>
#include <utility>

namespace bulwark::telemetry {

namespace {

void check_name(std::string_view name) {
    if (name.empty()) {
        throw_invalid_config("instrument.name", "must name the component");
    }
}

// Runs `first` (the user's hook, if any) and then `then`.
template <class Hook, class Then>
Hook chain(Hook first, Then then) {
    if (!first) {
        return Hook{std::move(then)};
    }
    return Hook{[first = std::move(first), then = std::move(then)](auto... args) {
        try {
            first(args...);
        } catch (...) {
            // The component swallows a hook's exception; ours must still run.
        }
        then(args...);
    }};
}

constexpr std::array all_states = {breaker_state::closed,    breaker_state::open,
                                   breaker_state::half_open, breaker_state::forced_open,
                                   breaker_state::disabled,  breaker_state::metrics_only};

} // namespace

void instrument(circuit_breaker_config& config, metrics_registry& registry,
                std::string_view breaker) {
    check_name(breaker);
    auto& states =
        registry.gauge(metric_names::circuit_breaker_state,
                       "Circuit breaker state: 1 for the current one", {"breaker", "state"});
    auto& calls =
        registry.counter(metric_names::circuit_breaker_calls_total,
                         "Calls through a circuit breaker, by outcome", {"breaker", "outcome"});
    auto& transitions =
        registry.counter(metric_names::circuit_breaker_transitions_total,
                         "Circuit breaker state changes", {"breaker", "from", "to"});
    std::array<striped_gauge*, all_states.size()> gauges{};
    for (const auto s : all_states) {
        gauges[static_cast<std::size_t>(s)] = &states.with({breaker, to_string(s)});
    }
    gauges[static_cast<std::size_t>(breaker_state::closed)]->add(1); // a new breaker is closed
    std::array<striped_counter*, 3> outcomes{&calls.with({breaker, "success"}),
                                             &calls.with({breaker, "failure"}),
                                             &calls.with({breaker, "ignored"})};
    auto* rejected = &calls.with({breaker, "rejected"});

    config.on_call = chain(std::move(config.on_call), [outcomes](call_outcome o) {
        outcomes[static_cast<std::size_t>(o)]->add(1);
    });
    config.on_rejected =
        chain(std::move(config.on_rejected), [rejected](breaker_state) { rejected->add(1); });
    config.on_transition =
        chain(std::move(config.on_transition),
              [gauges, transitions = &transitions, name = std::string{breaker}](breaker_state from,
                                                                                breaker_state to) {
                  gauges[static_cast<std::size_t>(from)]->add(-1);
                  gauges[static_cast<std::size_t>(to)]->add(1);
                  try {
                      transitions->with({name, to_string(from), to_string(to)}).add(1);
                  } catch (...) {
                      // Out of memory on a new series: the transition goes uncounted.
                  }
              });
}

void instrument(retry_policy_config& config, metrics_registry& registry,
                std::string_view operation) {
    check_name(operation);
    auto& attempts = registry.counter(metric_names::retry_attempts_total,
                                      "Attempts made by async_retry, by what became of them",
                                      {"operation", "result"});
    auto& exhausted = registry.counter(metric_names::retry_budget_exhausted_total,
                                       "Retries refused by a retry budget", {"operation"});
    std::array<striped_counter*, 3> results{&attempts.with({operation, "success"}),
                                            &attempts.with({operation, "retried"}),
                                            &attempts.with({operation, "failed"})};
    auto* budget = &exhausted.with({operation});
    config.on_attempt = chain(std::move(config.on_attempt),
                              [results, budget](unsigned /*attempt*/, retry_attempt_result r) {
                                  if (r == retry_attempt_result::budget_exhausted) {
                                      budget->add(1);
                                      r = retry_attempt_result::failed;
                                  }
                                  results[static_cast<std::size_t>(r)]->add(1);
                              });
}

void instrument(health_registry_config& config, metrics_registry& registry) {
    auto& status = prometheus::BuildGauge()
                       .Name(std::string{metric_names::health_check_status})
                       .Help("Health check status after its last run: 1 pass, 0.5 warn, 0 fail")
                       .Register(registry.registry());
    static constexpr double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
    auto& durations = registry.histogram(metric_names::health_check_duration_seconds,
                                         "Seconds a health check run took", {"check"}, buckets);
    config.on_run =
        chain(std::move(config.on_run),
              [status = &status, durations = &durations](const health_run& run) {
                  const double value = run.status == health_status::pass   ? 1.0
                                       : run.status == health_status::warn ? 0.5
                                                                           : 0.0;
                  try {
                      for (const auto& group : run.config.groups) {
                          status->Add({{"check", run.config.name}, {"group", group}}).Set(value);
                      }
                      durations->with({run.config.name})
                          .observe(std::chrono::duration<double>(run.took).count());
                  } catch (...) {
                      // Out of memory on a new series: this run goes unrecorded.
                  }
              });
}

collect_hook instrument(metrics_registry& registry, const json_logger& logger) {
    const std::string name{logger.name()};
    auto& dropped = registry.counter(
        metric_names::log_messages_dropped_total,
        "Log lines dropped: the async queue was full, redaction failed, or a sink failed",
        {"logger", "reason"});
    auto& redactions = registry.counter(metric_names::redactions_total,
                                        "Values redacted from log lines", {"logger", "detector"});
    auto* queue_full = &dropped.with({name, "queue_full"});
    auto* redaction_failed = &dropped.with({name, "redaction_failed"});
    auto* sink_error = &dropped.with({name, "sink_error"});
    std::vector<std::string> detectors;
    for (std::size_t d = 0; d < logger.redaction().detector_count(); ++d) {
        detectors.emplace_back(logger.redaction().detector_name(d));
    }
    return registry.on_collect([read = logger.stats_reader(), queue_full, redaction_failed,
                                sink_error, &redactions, name, detectors = std::move(detectors),
                                last = log_stats{}]() mutable {
        const auto st = read();
        queue_full->add(st.dropped_queue_full - last.dropped_queue_full);
        redaction_failed->add(st.dropped_redaction - last.dropped_redaction);
        sink_error->add(st.sink_errors - last.sink_errors);
        for (std::size_t d = 0; d < detectors.size(); ++d) {
            if (st.redactions[d] != last.redactions[d]) {
                redactions.with({name, detectors[d]}).add(st.redactions[d] - last.redactions[d]);
            }
        }
        last = st;
    });
}

collect_hook instrument(metrics_registry& registry, std::string_view limiter,
                        std::function<global_limit_stats()> read) {
    check_name(limiter);
    if (!read) {
        throw_invalid_config("instrument.read", "must read the limiter's stats");
    }
    const std::string name{limiter};
    auto& decisions = registry.counter(
        metric_names::ratelimit_store_decisions_total,
        "Decisions of a rate limit kept in a shared store, by where they were made",
        {"limiter", "source"});
    auto& errors =
        registry.counter(metric_names::ratelimit_store_errors_total,
                         "Trouble with a rate limit's shared store", {"limiter", "kind"});
    auto& lease =
        registry.counter(metric_names::ratelimit_store_lease_tokens_total,
                         "Tokens a rate limit leased from its shared store", {"limiter", "state"});
    // Resolved once; each scrape adds what changed since the last one.
    struct series {
        striped_counter* counter;
        std::uint64_t global_limit_stats::*field;
    };
    std::vector<series> all = {
        {&decisions.with({name, "store"}), &global_limit_stats::store_decisions},
        {&decisions.with({name, "over_limit_cache"}), &global_limit_stats::cached_denials},
        {&decisions.with({name, "lease"}), &global_limit_stats::lease_decisions},
        {&decisions.with({name, "fallback_local"}), &global_limit_stats::local_decisions},
        {&decisions.with({name, "fallback_allow"}), &global_limit_stats::failure_allowed},
        {&decisions.with({name, "fallback_deny"}), &global_limit_stats::failure_denied},
        {&errors.with({name, "failure"}), &global_limit_stats::store_failures},
        {&errors.with({name, "reply_error"}), &global_limit_stats::reply_errors},
        {&errors.with({name, "breaker_open"}), &global_limit_stats::breaker_skips},
        {&errors.with({name, "noscript"}), &global_limit_stats::script_reloads},
        {&lease.with({name, "granted"}), &global_limit_stats::leased_tokens},
        {&lease.with({name, "expired"}), &global_limit_stats::lease_expired},
    };
    return registry.on_collect(
        [read = std::move(read), all = std::move(all), last = global_limit_stats{}]() mutable {
            const auto now = read();
            for (const auto& s : all) {
                s.counter->add(now.*s.field - last.*s.field);
            }
            last = now;
        });
}

} // namespace bulwark::telemetry
