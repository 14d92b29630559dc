#ifndef BULWARK_CORE_CIRCUIT_BREAKER_CIRCUIT_BREAKER_CONFIG_HPP
#define BULWARK_CORE_CIRCUIT_BREAKER_CIRCUIT_BREAKER_CONFIG_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/retry/retry_policy.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <system_error>

namespace bulwark {

/// The states of a circuit breaker (Resilience4j's, including the manual ones).
enum class breaker_state : std::uint8_t {
    closed,       ///< calls pass; outcomes are recorded in the sliding window
    open,         ///< calls are rejected until the open wait has passed
    half_open,    ///< a fixed number of probe calls pass; their outcomes close or reopen
    forced_open,  ///< manual: every call is rejected until reset()
    disabled,     ///< manual: every call passes, nothing is recorded
    metrics_only, ///< manual: every call passes and is recorded, the state never changes
};

/// A lower-case name: "closed", "open", "half_open", "forced_open", "disabled", "metrics_only".
[[nodiscard]] BULWARK_CORE_API const char* to_string(breaker_state s) noexcept;

/// How a call ended, as the breaker counts it.
enum class call_outcome : std::uint8_t {
    success,
    failure,
    ignored, ///< neither: not counted (a cancellation, a client error); frees a half-open probe
};

/// Whether the window counts the last N calls or the calls of the last N seconds.
enum class window_type : std::uint8_t { count_based, time_based };

/// Configuration of a circuit breaker. Defaults are Resilience4j's.
struct circuit_breaker_config {
    /// Failure rate, in percent of the recorded calls, at or above which the breaker opens.
    /// Default 50. (0, 100].
    double failure_rate_threshold = 50;
    /// Slow-call rate, in percent, at or above which the breaker opens. Default 100. (0, 100].
    double slow_call_rate_threshold = 100;
    /// A call lasting at least this long is slow. Default 60 s; must be positive.
    duration slow_call_duration = std::chrono::seconds{60};
    /// Count-based (the last window_size calls, the default) or time-based (the calls of the
    /// last window_size seconds, in one-second buckets).
    window_type window = window_type::count_based;
    /// Calls (count-based, 1 to 1,000,000) or seconds (time-based, 1 to 3600). Default 100.
    std::uint32_t window_size = 100;
    /// Calls the window must hold before rates are evaluated. Default 100; at least 1.
    std::uint32_t minimum_calls = 100;
    /// Probe calls admitted in half-open, no more however many threads race. Default 10; 1 to
    /// 65535.
    std::uint32_t permitted_calls_in_half_open = 10;
    /// How long the breaker stays open before probing. Default 60 s; must be positive.
    duration wait_in_open = std::chrono::seconds{60};
    /// Growth of the open wait for each consecutive trip without closing in between. Default 1
    /// (constant); at least 1.
    double open_wait_multiplier = 1.0;
    /// Cap of the growing open wait. Default 0: no growth beyond ×1 matters; with a multiplier
    /// above 1 it must be at least wait_in_open.
    duration max_wait_in_open = duration::zero();
    /// Random spread of the open wait: ×(1 ± jitter). Default 0; [0, 1). Spreads the probes of
    /// many clients whose breakers opened together.
    double open_wait_jitter = 0.0;
    /// Longest time in half-open before reopening when probes do not finish. Default 0: no
    /// limit (the breaker waits for its probes).
    duration max_wait_in_half_open = duration::zero();
    /// Seed of the jitter's random source; 0 (default) for a random seed.
    std::uint64_t seed = 0;
    /// Classifies a finished call for async_guarded and record(result, ...). Default empty:
    /// HTTP 5xx and errors are failures, cancellation is ignored, everything else succeeds.
    std::function<call_outcome(const attempt_result&)> classify = {};
    /// Called on every state change, on the thread that caused it. Default none. Must not
    /// throw (an exception is swallowed) and should be cheap: metrics and logs hook in here.
    std::function<void(breaker_state from, breaker_state to)> on_transition = {};
    /// Called when a call is not permitted, on the caller's thread. Default none.
    std::function<void(breaker_state)> on_rejected = {};
    /// Called with the outcome of every permitted call that is recorded, on the recording
    /// thread (also when the state changed meanwhile and the window ignores it). Default none.
    /// Must not throw (an exception is swallowed); metrics hook in here.
    std::function<void(call_outcome)> on_call = {};
};

/// Checks a config; names the offending field in `issue`.
[[nodiscard]] BULWARK_CORE_API std::error_code validate(const circuit_breaker_config& config,
                                                        config_issue* issue = nullptr) noexcept;

/// The default classification: see circuit_breaker_config::classify.
[[nodiscard]] BULWARK_CORE_API call_outcome default_classify(const attempt_result& r) noexcept;

} // namespace bulwark

#endif
