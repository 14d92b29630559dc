#ifndef BULWARK_ASIO_HEALTH_EVENT_LOOP_LAG_HPP
#define BULWARK_ASIO_HEALTH_EVENT_LOOP_LAG_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/health/check_result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace bulwark {

/// Configuration of event_loop_lag.
struct event_loop_lag_config {
    /// How often the probe's timer is due on the watched executor. Default 100 ms. Must be
    /// positive. Shorter catches shorter stalls at the cost of more wake-ups (10 per second
    /// by default, negligible).
    duration sample_interval = std::chrono::milliseconds{100};
    /// Lag at or above which the check warns. Default 100 ms: every request on the loop
    /// waited that long. 0: never warns.
    duration warn_above = std::chrono::milliseconds{100};
    /// Lag at or above which the check fails. Default 1 s. 0: never fails. Must be at least
    /// `warn_above` when both are set.
    duration fail_above = std::chrono::seconds{1};
};

/// Checks `c`; fields named "event_loop_lag_config.<field>".
[[nodiscard]] inline std::error_code validate(const event_loop_lag_config& c,
                                              config_issue* issue = nullptr) noexcept {
    if (c.sample_interval <= duration::zero()) {
        return invalid_config(issue, "event_loop_lag_config.sample_interval", "must be positive");
    }
    if (c.warn_above < duration::zero() || c.fail_above < duration::zero()) {
        return invalid_config(issue,
                              c.warn_above < duration::zero() ? "event_loop_lag_config.warn_above"
                                                              : "event_loop_lag_config.fail_above",
                              "must not be negative");
    }
    if (c.warn_above > duration::zero() && c.fail_above > duration::zero() &&
        c.fail_above < c.warn_above) {
        return invalid_config(issue, "event_loop_lag_config.fail_above",
                              "must be at least event_loop_lag_config.warn_above");
    }
    return {};
}

/**
 * Measures how late the watched executor runs a timer that is due every `sample_interval`:
 * the lag every handler on that io_context suffers. A handler that blocks (a synchronous DNS
 * lookup, a mutex held across I/O, a CPU-heavy loop) shows up here before anything else does,
 * and it is the classic failure of an Asio service: everything on the loop waits behind it.
 *
 * check() reports the worst lag since the previous check() — including, while the loop is
 * stuck right now, how overdue the pending sample already is — as `pass`, `warn` or `fail`,
 * with the lag in milliseconds as the observed value. It is a synchronous check for
 * health_monitor. For it to see a loop that is blocked right now, run the monitor on another
 * thread (e.g. a one-thread `boost::asio::thread_pool`); on the same single-threaded loop a
 * blocked loop stops the probe endpoints too, and the kubelet's timeout is the detector.
 *
 * @par Thread Safety
 * check() and lag() are thread-safe (atomics). start() and stop() must not race each other.
 * The object must outlive the watched executor's run, or be stopped first.
 */
template <class Timer = boost::asio::steady_timer>
class basic_event_loop_lag {
public:
    using clock_type = typename Timer::clock_type;

    /// @throws std::system_error naming the field when `config` is invalid.
    basic_event_loop_lag(boost::asio::any_io_executor watched, event_loop_lag_config config = {})
        : state_{std::make_shared<state>(std::move(watched), config)} {
        config_issue issue;
        if (validate(config, &issue)) {
            throw_invalid_config(issue);
        }
    }
    basic_event_loop_lag(const basic_event_loop_lag&) = delete;
    basic_event_loop_lag& operator=(const basic_event_loop_lag&) = delete;
    ~basic_event_loop_lag() { stop(); }

    /// Starts sampling. Idempotent.
    void start() {
        std::lock_guard lock{state_->mutex};
        if (state_->running) {
            return;
        }
        state_->running = true;
        arm(state_, clock_type::now());
    }

    /// Stops sampling. Idempotent.
    void stop() {
        std::lock_guard lock{state_->mutex};
        state_->running = false;
        state_->timer.cancel();
        state_->due_ns.store(0, std::memory_order_release);
    }

    /// The worst lag since the previous check() or lag(), including the pending sample's
    /// overdue time. Resets the window, so give the probe one reader (the monitor); a second
    /// reader would take samples away from the first.
    [[nodiscard]] duration lag() { return lag(*state_); }

    /// The synchronous health check: `pass`, `warn` or `fail` by the thresholds, observed
    /// value the lag in milliseconds.
    [[nodiscard]] check_result check() { return check(*state_); }

    /// A copyable callable running check(), to hand to health_monitor::add. It shares the
    /// probe's state, so it stays valid (reporting no new samples) after the probe is gone.
    [[nodiscard]] auto as_check() const {
        return [s = state_] { return check(*s); };
    }

private:
    struct state;

    static duration lag(state& s) {
        const auto now = std::chrono::duration_cast<duration>(clock_type::now().time_since_epoch());
        const auto due = duration{s.due_ns.load(std::memory_order_acquire)};
        const auto overdue = due > duration::zero() && now > due ? now - due : duration::zero();
        const auto worst = duration{s.worst_ns.exchange(0, std::memory_order_acq_rel)};
        return std::max(worst, overdue);
    }

    static check_result check(state& s) {
        const auto l = lag(s);
        const auto& c = s.config;
        const double ms = std::chrono::duration<double, std::milli>(l).count();
        check_result r = check_result::pass();
        if (c.fail_above > duration::zero() && l >= c.fail_above) {
            r = check_result::fail("event loop lag " + std::to_string(static_cast<long long>(ms)) +
                                   " ms");
        } else if (c.warn_above > duration::zero() && l >= c.warn_above) {
            r = check_result::warn("event loop lag " + std::to_string(static_cast<long long>(ms)) +
                                   " ms");
        }
        return std::move(r).observed(ms, "ms");
    }

    struct state {
        state(boost::asio::any_io_executor ex, const event_loop_lag_config& c)
            : timer{std::move(ex)}, config{c} {}
        std::mutex mutex; // serializes start/stop with re-arming
        Timer timer;
        event_loop_lag_config config;
        bool running = false;
        // Nanoseconds since the clock's epoch when the pending sample is due; 0: none.
        std::atomic<std::int64_t> due_ns{0};
        // The worst lag seen since the last read, in nanoseconds.
        std::atomic<std::int64_t> worst_ns{0};
    };

    // Called with state->mutex held.
    static void arm(const std::shared_ptr<state>& s, typename clock_type::time_point from) {
        const auto due = from + std::chrono::duration_cast<typename clock_type::duration>(
                                    s->config.sample_interval);
        s->due_ns.store(std::chrono::duration_cast<duration>(due.time_since_epoch()).count(),
                        std::memory_order_release);
        s->timer.expires_at(due);
        s->timer.async_wait([s, due](boost::system::error_code ec) {
            if (ec) {
                return;
            }
            const auto now = clock_type::now();
            const auto late = std::chrono::duration_cast<duration>(now - due).count();
            auto prev = s->worst_ns.load(std::memory_order_relaxed);
            while (late > prev &&
                   !s->worst_ns.compare_exchange_weak(prev, late, std::memory_order_acq_rel)) {
            }
            std::lock_guard lock{s->mutex};
            if (s->running) {
                arm(s, now);
            } else {
                s->due_ns.store(0, std::memory_order_release);
            }
        });
    }

    std::shared_ptr<state> state_;
};

/// The event-loop lag probe on the steady clock.
using event_loop_lag = basic_event_loop_lag<>;

} // namespace bulwark

#endif
