#ifndef BULWARK_ASIO_HEALTH_HEALTH_MONITOR_HPP
#define BULWARK_ASIO_HEALTH_HEALTH_MONITOR_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/core/health/check_result.hpp>
#include <bulwark/core/health/health_registry.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace bulwark {

/// Configuration of a health_monitor.
struct health_monitor_config {
    /// Where synchronous checks run. Default (empty): the monitor's executor. A check that may
    /// block (a file system call, a blocking client library) belongs on a thread pool: on the
    /// io_context it would stall every connection, and its timeout could not even fire.
    std::optional<boost::asio::any_io_executor> blocking_executor = {};
};

namespace detail {

// What every kind of check is erased to: start one run, report through `done` exactly once
// (from any thread), stop early when `slot` gets a terminal cancellation.
using health_launcher = std::function<void(boost::asio::cancellation_slot slot,
                                           std::function<void(check_result)> done)>;

// The result of calling a check with no arguments; void when it takes a completion token.
template <class Check, class = void>
struct nullary_result {
    using type = void;
};
template <class Check>
struct nullary_result<Check, std::void_t<std::invoke_result_t<Check&>>> {
    using type = std::invoke_result_t<Check&>;
};

// The completion handler an asynchronous check receives.
struct health_check_handler_fn {
    std::function<void(check_result)> done;
    void operator()(check_result r) { done(std::move(r)); }
};
template <class Strand>
using health_check_handler = boost::asio::cancellation_slot_binder<
    boost::asio::executor_binder<health_check_handler_fn, Strand>, boost::asio::cancellation_slot>;

[[nodiscard]] inline check_result health_check_threw(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return check_result::fail(std::string{"check threw: "} + ex.what());
    } catch (...) {
    }
    return check_result::fail("check threw an exception");
}

} // namespace detail

/**
 * Runs the checks of a health_registry in the background, each on its own interval and within
 * its own timeout, and records every result there. Endpoints serve the registry's cached
 * reports, so no number of probes can make a check run more often than its interval.
 *
 * A check is any of:
 * - a function `check_result()`: runs on `health_monitor_config::blocking_executor` (default:
 *   the monitor's executor). It should not block; if it hangs, the run counts as `fail` at its
 *   timeout and the check is not started again until the hung call returns;
 * - a coroutine function `boost::asio::awaitable<check_result>()`, spawned on the monitor's
 *   executor; its timeout is a terminal cancellation of the coroutine;
 * - an asynchronous operation: a callable that takes a completion token and starts an
 *   operation with the completion signature `void(check_result)`, such as
 *   bulwark::tcp_connect_check or bulwark::http::http_get_check. Its timeout is a terminal
 *   cancellation through the handler's cancellation slot.
 *
 * The monitor keeps a coroutine check's function object alive while a coroutine it started
 * runs, so a lambda coroutine may use its captures even after the monitor is gone.
 *
 * A check that throws reports `fail` ("check threw: ..."); one that returns a status outside
 * the enumeration reports `fail`; one that does not finish in time reports `fail` ("timed out
 * after N ms") and its late result is discarded. Runs of one check never overlap.
 *
 * `Timer` is the waitable timer that schedules runs; tests use one over a manual clock.
 *
 * @par Thread Safety
 * add() must be called before start(). start() and stop() are thread-safe; the monitor's own
 * state lives on a strand of its executor. Destroying the monitor stops it; runs still in
 * flight then complete into nothing. A stopped monitor does not start again. The registry
 * must outlive the monitor. Results are recorded under the monitor's lock (so stop() returning
 * means no record() is running): the registry's `on_run` hook must not stop or destroy the
 * monitor.
 *
 * An asynchronous check must use its cancellation slot on the strand it is given (the
 * handler's associated executor) or on the initiating call, as Asio's own operations do: the
 * monitor emits the timeout's cancellation there.
 */
template <class Timer = boost::asio::steady_timer>
class basic_health_monitor {
public:
    using executor_type = boost::asio::any_io_executor;
    using clock_type = typename Timer::clock_type;

    basic_health_monitor(executor_type ex, health_registry& registry,
                         health_monitor_config config = {})
        : impl_{std::make_shared<impl>(std::move(ex), registry, std::move(config))} {}
    basic_health_monitor(const basic_health_monitor&) = delete;
    basic_health_monitor& operator=(const basic_health_monitor&) = delete;
    ~basic_health_monitor() { stop(); }

    /**
     * Registers `config` in the registry and `check` as the way to run it.
     *
     * @throws std::system_error (error::invalid_config) naming the field, e.g. a duplicate
     *         "health_check_config.name"; std::logic_error after start().
     */
    template <class Check>
    health_registry::check_id add(health_check_config config, Check check) {
        if (impl_->started) {
            throw std::logic_error{"health_monitor::add after start()"};
        }
        auto launcher = make_launcher(std::move(check));
        const auto timeout = config.timeout;
        const auto interval = config.interval;
        const auto id = impl_->registry->add(std::move(config));
        impl_->checks.push_back(std::make_shared<check_state>(impl_->strand, id, timeout, interval,
                                                              std::move(launcher)));
        return id;
    }

    /// Starts every check now; each then runs again `interval` after its previous start.
    void start() {
        impl_->started = true;
        boost::asio::post(impl_->strand, [self = impl_] {
            for (const auto& c : self->checks) {
                launch(self, c);
            }
        });
    }

    /// Cancels the schedule and every run in flight; no result is recorded after stop()
    /// returns. Idempotent.
    void stop() {
        {
            std::lock_guard lock{impl_->mutex};
            if (impl_->registry == nullptr) {
                return;
            }
            impl_->registry = nullptr;
        }
        boost::asio::post(impl_->strand, [self = impl_] {
            for (const auto& c : self->checks) {
                c->timer.cancel();
                if (c->run) {
                    c->run->timeout.cancel();
                    c->run->signal.emit(boost::asio::cancellation_type::terminal);
                }
            }
        });
    }

    /// The executor the monitor's timers and coroutine checks run on.
    [[nodiscard]] executor_type get_executor() const { return impl_->executor; }

private:
    using strand_type = boost::asio::strand<executor_type>;

    struct run_state {
        explicit run_state(const strand_type& s) : timeout{s} {}
        Timer timeout;
        boost::asio::cancellation_signal signal;
        typename clock_type::time_point started{};
        bool finished = false;
    };

    struct check_state {
        check_state(const strand_type& s, health_registry::check_id i, duration t, duration iv,
                    detail::health_launcher l)
            : id{i}, timeout{t}, interval{iv}, launcher{std::move(l)}, timer{s} {}
        health_registry::check_id id;
        duration timeout;
        duration interval;
        detail::health_launcher launcher;
        Timer timer;
        std::shared_ptr<run_state> run; // the run in flight, until its launcher reports
    };

    struct impl {
        impl(executor_type ex, health_registry& r, health_monitor_config c)
            : executor{std::move(ex)}, strand{executor}, registry{&r}, config{std::move(c)} {}
        executor_type executor;
        strand_type strand;
        std::mutex mutex;                    // guards registry
        health_registry* registry = nullptr; // null once stopped
        health_monitor_config config;
        std::vector<std::shared_ptr<check_state>> checks;
        bool started = false;
    };

    template <class Check>
    detail::health_launcher make_launcher(Check check) {
        using result_type = typename detail::nullary_result<Check>::type;
        if constexpr (std::is_same_v<result_type, boost::asio::awaitable<check_result>>) {
            // On the strand, so the timeout's cancellation is emitted on the coroutine's own
            // executor, as Asio's cancellation slots require.
            // The check is shared with its running coroutine: a lambda coroutine refers to its
            // closure (its captures) for as long as it runs, which can outlive the monitor.
            return
                [ex = impl_->strand, check = std::make_shared<Check>(std::move(check))](
                    boost::asio::cancellation_slot slot, std::function<void(check_result)> done) {
                    try {
                        // check() may throw before its coroutine exists (a plain function returning
                        // an awaitable), and co_spawn may fail to allocate.
                        boost::asio::co_spawn(
                            ex, (*check)(),
                            boost::asio::bind_cancellation_slot(
                                slot, [done, check](std::exception_ptr e, check_result r) {
                                    done(e ? detail::health_check_threw(e) : std::move(r));
                                }));
                    } catch (...) {
                        done(detail::health_check_threw(std::current_exception()));
                    }
                };
        } else if constexpr (!std::is_void_v<result_type>) {
            static_assert(std::is_convertible_v<result_type, check_result>,
                          "a synchronous health check returns bulwark::check_result");
            auto ex = impl_->config.blocking_executor.value_or(impl_->executor);
            return [ex, check = std::make_shared<Check>(std::move(check))](
                       boost::asio::cancellation_slot, std::function<void(check_result)> done) {
                boost::asio::post(ex, [check, done = std::move(done)] {
                    check_result r;
                    try {
                        r = (*check)();
                    } catch (...) {
                        r = detail::health_check_threw(std::current_exception());
                    }
                    done(std::move(r));
                });
            };
        } else {
            static_assert(std::is_invocable_v<Check&, detail::health_check_handler<strand_type>>,
                          "a health check is a check_result() function, an "
                          "awaitable<check_result>() function, or an initiating function "
                          "taking a completion token for void(check_result)");
            // Initiated on the strand (launch runs there) and completing through it, so the
            // timeout's cancellation never races the operation's own use of the slot.
            return [strand = impl_->strand,
                    check = std::move(check)](boost::asio::cancellation_slot slot,
                                              std::function<void(check_result)> done) mutable {
                try {
                    check(boost::asio::bind_cancellation_slot(
                        slot,
                        boost::asio::bind_executor(strand, detail::health_check_handler_fn{done})));
                } catch (...) {
                    done(detail::health_check_threw(std::current_exception()));
                }
            };
        }
    }

    static duration elapsed_since(typename clock_type::time_point t) {
        return std::chrono::duration_cast<duration>(clock_type::now() - t);
    }

    // On the strand.
    static void launch(const std::shared_ptr<impl>& self, const std::shared_ptr<check_state>& c) {
        if (!alive(*self)) {
            return;
        }
        const auto now = clock_type::now();
        schedule(self, c,
                 now + std::chrono::duration_cast<typename clock_type::duration>(c->interval));
        if (c->run) {
            return; // a hung run that has not returned yet: runs never overlap
        }
        auto run = std::make_shared<run_state>(self->strand);
        run->started = now;
        c->run = run;
        run->timeout.expires_at(
            now + std::chrono::duration_cast<typename clock_type::duration>(c->timeout));
        run->timeout.async_wait([self, c, run](boost::system::error_code ec) {
            if (ec || run->finished) {
                return;
            }
            run->finished = true;
            const auto took = elapsed_since(run->started);
            record(
                *self, c->id,
                check_result::fail(
                    "timed out after " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::milliseconds>(c->timeout).count()) +
                    " ms"),
                took, true);
            run->signal.emit(boost::asio::cancellation_type::terminal);
        });
        // The run is held strongly: its cancellation_signal must outlive the operation, which
        // clears (co_spawn) or uses the slot until it completes, even after the monitor is
        // gone. The monitor and the check are held weakly: after stop() a result has nowhere
        // to go. (An operation whose cancellation handler owned this completion would form a
        // cycle through the run; Asio's do not, and bulwark's checks hold it weakly.)
        auto done = [strand = self->strand, wself = std::weak_ptr<impl>{self},
                     wc = std::weak_ptr<check_state>{c}, run](check_result r) {
            // dispatch: a completion already on the strand records at once, so a timeout
            // queued behind it cannot overwrite a run that has finished.
            boost::asio::dispatch(strand, [wself, wc, this_run = run, r = std::move(r)]() mutable {
                this_run->signal.slot().clear(); // the operation is over
                const auto m = wself.lock();
                const auto check = wc.lock();
                if (!m || !check) {
                    return;
                }
                if (check->run == this_run) {
                    check->run.reset();
                }
                if (this_run->finished) {
                    return; // timed out or stopped: the late result is discarded
                }
                this_run->finished = true;
                this_run->timeout.cancel();
                record(*m, check->id, std::move(r), elapsed_since(this_run->started), false);
            });
        };
        c->launcher(run->signal.slot(), std::move(done));
    }

    static void schedule(const std::shared_ptr<impl>& self, const std::shared_ptr<check_state>& c,
                         typename clock_type::time_point at) {
        c->timer.expires_at(at);
        c->timer.async_wait([self, c](boost::system::error_code ec) {
            if (!ec) {
                launch(self, c);
            }
        });
    }

    static bool alive(impl& self) {
        std::lock_guard lock{self.mutex};
        return self.registry != nullptr;
    }

    static void record(impl& self, health_registry::check_id id, check_result r, duration took,
                       bool timed_out) {
        // Under the mutex, so stop() returning means no record() is still running.
        std::lock_guard lock{self.mutex};
        if (self.registry != nullptr) {
            self.registry->record(id, std::move(r), std::chrono::system_clock::now(), took,
                                  timed_out);
        }
    }

    std::shared_ptr<impl> impl_;
};

/// The health monitor on the steady clock.
using health_monitor = basic_health_monitor<>;

} // namespace bulwark

#endif
