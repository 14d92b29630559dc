#ifndef BULWARK_ASIO_RETRY_ASYNC_RETRY_HPP
#define BULWARK_ASIO_RETRY_ASYNC_RETRY_HPP

#include <bulwark/asio/error.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/retry/backoff.hpp>
#include <bulwark/core/retry/retry_budget.hpp>
#include <bulwark/core/retry/retry_policy.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <utility>

namespace bulwark {

/**
 * What an attempt of async_retry may tell the policy besides its error code. The attempt
 * receives it by reference and may set the HTTP status and the server's hint before completing.
 */
struct retry_context {
    unsigned attempt = 1;                ///< the attempt being made, 1-based (read-only for it)
    unsigned http_status = 0;            ///< the response status, when the attempt got one
    std::optional<duration> retry_after; ///< the server's hint (parse_retry_after())
};

namespace detail {

template <class Executor, class Attempt>
class retry_op {
public:
    retry_op(const Executor& ex, const retry_policy& policy, retry_budget* budget, Attempt attempt)
        : policy_{&policy}, budget_{budget}, attempt_{std::make_unique<attempt_state>(
                                                 attempt_state{std::move(attempt), {}})},
          timer_{std::make_unique<boost::asio::steady_timer>(ex)}, rng_{std::random_device{}()} {}

    // Started by async_compose.
    template <class Self>
    void operator()(Self& self) {
        started_ = std::chrono::steady_clock::now();
        if (budget_ != nullptr) {
            budget_->record_request(started_);
        }
        start_attempt(self);
    }

    // An attempt or a backoff wait finished (extra completion arguments are ignored).
    template <class Self, class... Rest>
    void operator()(Self& self, boost::system::error_code ec, Rest&&...) {
        if (waiting_) {
            waiting_ = false;
            if (ec || self.cancelled() != boost::asio::cancellation_type::none) {
                self.complete(boost::asio::error::operation_aborted, attempts_);
                return;
            }
            start_attempt(self);
            return;
        }
        if (self.cancelled() != boost::asio::cancellation_type::none) {
            report(ec ? retry_attempt_result::failed : retry_attempt_result::success);
            self.complete(ec, attempts_); // an attempt that succeeded anyway stays a success
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        const attempt_result result{ec, attempt_->context.http_status,
                                    attempt_->context.retry_after};
        const retry_decision d = policy_->decide(attempts_, result, started_, now, previous_,
                                                 backoff::unit_interval(rng_()));
        const bool refused =
            d.verdict == retry_verdict::retry && budget_ != nullptr && !budget_->try_acquire(now);
        if (d.verdict != retry_verdict::retry || refused) {
            const bool ok = !ec && result.http_status < 400;
            report(ok        ? retry_attempt_result::success
                   : refused ? retry_attempt_result::budget_exhausted
                             : retry_attempt_result::failed);
            // The last error; when the last attempt failed without one (an HTTP status), say why
            // the retrying stopped instead of completing with a clear error code.
            boost::system::error_code final_ec = ec;
            if (!ec && d.verdict != retry_verdict::done) {
                final_ec = make_boost_error_code(refused ? error::retry_budget_exhausted
                                                 : d.verdict == retry_verdict::deadline_exceeded
                                                     ? error::deadline_exceeded
                                                     : error::retries_exhausted);
            }
            self.complete(final_ec, attempts_);
            return;
        }
        report(retry_attempt_result::retried);
        previous_ = d.delay;
        waiting_ = true;
        timer_->expires_after(d.delay);
        timer_->async_wait(std::move(self));
    }

private:
    void report(retry_attempt_result r) const noexcept {
        if (const auto& hook = policy_->config().on_attempt) {
            try {
                hook(attempts_, r);
            } catch (...) {
            }
        }
    }

    template <class Self>
    void start_attempt(Self& self) {
        ++attempts_;
        // Through a local reference to the heap: the argument `std::move(self)` may initialise
        // the attempt's by-value handler parameter, moving this op (and its members), before
        // the other arguments are evaluated; the heap object does not move.
        attempt_state& state = *attempt_;
        state.context = retry_context{attempts_, 0, std::nullopt};
        state.attempt(state.context, std::move(self));
    }

    struct attempt_state {
        Attempt attempt;
        retry_context context; // the attempt holds a reference while it runs
    };

    const retry_policy* policy_;
    retry_budget* budget_;
    // Stable addresses: the op itself moves into every handler it hands out.
    std::unique_ptr<attempt_state> attempt_;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    std::mt19937_64 rng_;
    std::chrono::steady_clock::time_point started_{};
    duration previous_{};
    unsigned attempts_ = 0;
    bool waiting_ = false;
};

} // namespace detail

/**
 * Runs an asynchronous operation until it succeeds or `policy` says stop, waiting between
 * attempts on a steady_timer.
 *
 * @param ex      executor of the backoff timer (and the default executor of the handler)
 * @param policy  what to retry, how long to wait, when to stop; must outlive the operation
 * @param attempt callable invoked as `attempt(retry_context&, token)` for each attempt; it
 *                initiates any asynchronous operation with completion signature
 *                `void(boost::system::error_code, ...)` (extra arguments are ignored), and may
 *                record an HTTP status and the server's Retry-After in the context
 * @param token   completion token for `void(boost::system::error_code ec, unsigned attempts)`
 *
 * Completes with the last attempt's error (clear on success) and the number of attempts made.
 * When the last attempt failed without an error code (a retryable HTTP status), the error says
 * why retrying stopped: `error::retries_exhausted`, `error::deadline_exceeded` or
 * `error::retry_budget_exhausted`.
 * A retry never starts before the server's hint, nor after the policy's deadline.
 *
 * @par Per-Operation Cancellation
 * Terminal cancellation stops a backoff wait at once and is forwarded to the attempt in flight
 * (through the handler's cancellation slot); the operation then completes with
 * `operation_aborted` (or the attempt's own error) and no further attempt starts.
 *
 * @par Example
 * @code
 * auto [ec, attempts] = co_await bulwark::async_retry(ex, policy,
 *     [&](bulwark::retry_context&, auto token) { return sock.async_connect(ep, token); },
 *     boost::asio::as_tuple(boost::asio::use_awaitable));
 * @endcode
 */
template <class Executor, class Attempt,
          BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, unsigned))
              CompletionToken = boost::asio::default_completion_token_t<Executor>>
auto async_retry(const Executor& ex, const retry_policy& policy, Attempt&& attempt,
                 CompletionToken&& token = boost::asio::default_completion_token_t<Executor>{}) {
    return boost::asio::async_compose<CompletionToken, void(boost::system::error_code, unsigned)>(
        detail::retry_op<Executor, std::decay_t<Attempt>>{ex, policy, nullptr,
                                                          std::forward<Attempt>(attempt)},
        token, ex);
}

/**
 * async_retry that also asks `budget` before every retry: the first attempt is recorded as a
 * request, and a retry the budget refuses ends the operation with the last error.
 */
template <class Executor, class Attempt,
          BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, unsigned))
              CompletionToken = boost::asio::default_completion_token_t<Executor>>
auto async_retry(const Executor& ex, const retry_policy& policy, retry_budget& budget,
                 Attempt&& attempt,
                 CompletionToken&& token = boost::asio::default_completion_token_t<Executor>{}) {
    return boost::asio::async_compose<CompletionToken, void(boost::system::error_code, unsigned)>(
        detail::retry_op<Executor, std::decay_t<Attempt>>{ex, policy, &budget,
                                                          std::forward<Attempt>(attempt)},
        token, ex);
}

} // namespace bulwark

#endif
