#ifndef BULWARK_CORE_RETRY_RETRY_POLICY_HPP
#define BULWARK_CORE_RETRY_RETRY_POLICY_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/retry/backoff.hpp>

#include <functional>
#include <optional>
#include <system_error>

namespace bulwark {

/// What an attempt produced, as far as retrying is concerned.
struct attempt_result {
    /// The attempt's error; empty when it completed (check http_status too).
    std::error_code error = {};
    /// The HTTP status of the response, 0 when not HTTP or no response.
    unsigned http_status = 0;
    /// The server's hint (Retry-After, RateLimit t=) parsed with parse_retry_after() /
    /// parse_ratelimit_reset(); a retry never starts before it.
    std::optional<duration> retry_after = std::nullopt;
};

/// Why a retry_policy decided what it decided.
enum class retry_verdict {
    retry,              ///< wait `delay`, then try again
    done,               ///< the result is not a retryable failure (a success, or a final error)
    attempts_exhausted, ///< max_attempts reached
    deadline_exceeded,  ///< the next attempt could not start before the deadline
    // (A retry budget's refusal is decided by whoever holds the budget: async_retry reports
    // it as error::retry_budget_exhausted.)
};

/// A retry_policy's answer.
struct retry_decision {
    retry_verdict verdict = retry_verdict::done;
    duration delay{}; ///< the wait before the next attempt, when verdict == retry
};

/// What became of one attempt of async_retry (retry_policy_config::on_attempt).
enum class retry_attempt_result : unsigned char {
    success,          ///< no error and no HTTP status of 400 or more: the operation succeeded
    retried,          ///< failed, and another attempt follows
    failed,           ///< failed, and the operation ends with it (final error, attempts or
                      ///< deadline exhausted, or cancelled)
    budget_exhausted, ///< failed, and the retry it qualified for was refused by the budget
};

/// The name of a retry_attempt_result ("success", "retried", "failed", "budget_exhausted").
[[nodiscard]] BULWARK_CORE_API const char* to_string(retry_attempt_result r) noexcept;

/// Configuration of a retry_policy. Every field has a safe default.
struct retry_policy_config {
    /// Attempts in total, the first one included. Default 3. 1: never retry. 0 is invalid.
    unsigned max_attempts = 3;
    /// Time from the start of the first attempt after which no attempt starts and no wait ends.
    /// Default 0: no overall deadline (max_attempts and the backoff's max bound the time).
    duration deadline = duration::zero();
    /// The delays between attempts. Default: 100 ms, ×2, up to 10 s, full jitter.
    backoff_config backoff = {};
    /// Whether repeating the operation is safe (a read, an idempotent write). The default
    /// classification retries only idempotent operations: a retried non-idempotent request can
    /// apply twice. Default false.
    bool idempotent = false;
    /// Overrides the classification: true means "this result is a failure worth retrying".
    /// Default empty: is_transient() for idempotent operations, never otherwise.
    std::function<bool(const attempt_result&)> retry_on = {};
    /// Called by async_retry after every attempt with its number (from 1) and what became of
    /// it, on the thread that completed it. Default none. Must not throw (an exception is
    /// swallowed); metrics hook in here.
    std::function<void(unsigned attempt, retry_attempt_result)> on_attempt = {};
};

/**
 * Decides whether and when to try again: what is retryable, how long to wait (backoff, never
 * earlier than the server asked), and when to stop (attempts, deadline). Pure and synchronous;
 * async_retry (asio layer) does the waiting, a retry_budget decides whether the fleet can
 * afford it.
 *
 * @par Thread Safety
 * Immutable after construction; decide() may be called concurrently.
 */
class retry_policy {
public:
    /// Throws std::system_error naming the field for an invalid config.
    BULWARK_CORE_API explicit retry_policy(retry_policy_config config = {});

    [[nodiscard]] BULWARK_CORE_API static std::error_code
    validate(const retry_policy_config& config, config_issue* issue = nullptr) noexcept;

    /**
     * After attempt number `attempt` (1-based) produced `result`: retry, and after how long?
     *
     * @param started  when the first attempt started
     * @param now      now
     * @param previous the delay waited before this attempt (zero after the first)
     * @param u        a uniform random number in [0, 1) for the jitter
     */
    [[nodiscard]] BULWARK_CORE_API retry_decision decide(unsigned attempt,
                                                         const attempt_result& result,
                                                         time_point started, time_point now,
                                                         duration previous,
                                                         double u) const noexcept;

    /// Whether `result` is retryable under this policy's classification.
    [[nodiscard]] BULWARK_CORE_API bool retryable(const attempt_result& result) const noexcept;

    /**
     * The default classification of failures that a later attempt may not meet: HTTP 429, 502,
     * 503 and 504, and transport errors equivalent to connection refused / reset / aborted,
     * timed out, host or network unreachable or down, network reset, broken pipe, not
     * connected, try again. Everything else — other statuses, cancellation, invalid arguments,
     * TLS errors, bulwark's own rejections — is final.
     */
    [[nodiscard]] BULWARK_CORE_API static bool is_transient(const attempt_result& result) noexcept;

    [[nodiscard]] const retry_policy_config& config() const noexcept { return config_; }
    [[nodiscard]] const bulwark::backoff& backoff() const noexcept { return backoff_; }

private:
    retry_policy_config config_;
    bulwark::backoff backoff_;
};

} // namespace bulwark

#endif
