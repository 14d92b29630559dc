#ifndef BULWARK_ASIO_SHUTDOWN_GRACEFUL_SHUTDOWN_HPP
#define BULWARK_ASIO_SHUTDOWN_GRACEFUL_SHUTDOWN_HPP

#include <bulwark/asio/error.hpp>
#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

namespace bulwark {

/// Configuration of graceful_shutdown.
struct graceful_shutdown_config {
    /// How long in-flight work may take to finish once draining begins. Default 25 s (below
    /// Kubernetes' default 30 s terminationGracePeriodSeconds, which ends in SIGKILL).
    /// 0: do not wait; async_wait_drained() completes as soon as draining begins.
    duration drain_timeout = std::chrono::seconds{25};
    /// Signals that begin draining. Default SIGINT and SIGTERM. Empty: only drain() does.
    std::vector<int> signals = {SIGINT, SIGTERM};
};

/**
 * Coordinates a graceful shutdown: a signal (or drain()) flips a draining flag, runs the
 * registered drain callbacks once (a server stops accepting and closes idle connections), and
 * lets the program wait until every tracked unit of work (a connection, a request) has
 * finished or the drain deadline has passed.
 *
 * The draining flag is what readiness reports while the process still serves its in-flight
 * work: load balancers stop sending new requests, and liveness stays up.
 *
 * @par Thread Safety
 * draining(), drain(), track() and in_flight() are thread-safe. on_drain() must be called
 * before draining can begin. Callbacks run on the executor given at construction.
 *
 * @par Example
 * @snippet examples/server/main.cpp shutdown
 */
class graceful_shutdown {
    struct state;

public:
    /// RAII unit of tracked work; draining waits for every live one.
    class work {
    public:
        work() noexcept = default;
        work(work&& other) noexcept : owner_{std::exchange(other.owner_, nullptr)} {}
        work& operator=(work&& other) noexcept {
            if (this != &other) {
                reset();
                owner_ = std::exchange(other.owner_, nullptr);
            }
            return *this;
        }
        work(const work&) = delete;
        work& operator=(const work&) = delete;
        ~work() { reset(); }
        /// Ends this unit early.
        BULWARK_ASIO_API void reset() noexcept;

    private:
        friend class graceful_shutdown;
        explicit work(std::shared_ptr<state> owner) noexcept;
        std::shared_ptr<state> owner_;
    };

    /**
     * Watches the configured signals on `executor`.
     * @throws std::system_error naming "graceful_shutdown_config.drain_timeout" if it is
     *         negative.
     */
    BULWARK_ASIO_API explicit graceful_shutdown(boost::asio::any_io_executor executor,
                                                graceful_shutdown_config config = {});
    /// Stops watching signals; pending async_wait_drained() operations complete with
    /// operation_aborted.
    BULWARK_ASIO_API ~graceful_shutdown();
    graceful_shutdown(const graceful_shutdown&) = delete;
    graceful_shutdown& operator=(const graceful_shutdown&) = delete;

    [[nodiscard]] BULWARK_ASIO_API static std::error_code
    validate(const graceful_shutdown_config& config, config_issue* issue = nullptr) noexcept;

    /// Registers a callback run once when draining begins (in registration order).
    BULWARK_ASIO_API void on_drain(std::function<void()> callback);

    /// Begins draining (idempotent): what a configured signal does.
    BULWARK_ASIO_API void drain();

    /// Whether draining has begun.
    [[nodiscard]] BULWARK_ASIO_API bool draining() const noexcept;

    /// Starts a unit of tracked work. Allowed while draining (a request already accepted).
    [[nodiscard]] BULWARK_ASIO_API work track();

    /// Units of work alive now.
    [[nodiscard]] BULWARK_ASIO_API std::size_t in_flight() const noexcept;

    /// The signal that began draining, or 0 (not draining, or drain() was called).
    [[nodiscard]] BULWARK_ASIO_API int signal_number() const noexcept;

    /**
     * Waits until draining has begun and all tracked work has finished.
     *
     * Completion signature `void(boost::system::error_code)`: success when drained; the
     * bulwark error deadline_exceeded when drain_timeout passed first (work is still running:
     * close it forcibly, then exit); operation_aborted when this object is destroyed or the
     * operation is cancelled.
     *
     * @par Per-Operation Cancellation
     * Terminal: the wait ends with operation_aborted; draining itself is unaffected.
     */
    template <class CompletionToken =
                  boost::asio::default_completion_token_t<boost::asio::any_io_executor>>
    auto async_wait_drained(CompletionToken&& token = CompletionToken{}) {
        return boost::asio::async_compose<CompletionToken, void(boost::system::error_code)>(
            [s = state_, generation = std::uint64_t{0},
             started = false](auto& self, boost::system::error_code ec = {}) mutable {
                if (!started) {
                    // Never complete inside the initiating call: resume through the executor.
                    started = true;
                    boost::asio::post(timer_of(*s).get_executor(), std::move(self));
                    return;
                }
                boost::system::error_code result;
                {
                    std::unique_lock lock{mutex_of(*s)};
                    if (ec == boost::asio::error::operation_aborted &&
                        generation_of(*s) == generation) {
                        result = ec; // cancelled by the caller, not woken by us
                    } else {
                        switch (poll(*s)) {
                        case poll_result::drained: break;
                        case poll_result::deadline:
                            result = make_boost_error_code(error::deadline_exceeded);
                            break;
                        case poll_result::destroyed:
                            result = boost::asio::error::operation_aborted;
                            break;
                        case poll_result::waiting:
                            generation = generation_of(*s);
                            timer_of(*s).async_wait(std::move(self));
                            return;
                        }
                    }
                }
                self.complete(result); // outside the lock: the handler may call drain()
            },
            token, timer_of(*state_));
    }

private:
    enum class poll_result { drained, deadline, destroyed, waiting };
    friend class work;

    // The pieces async_wait_drained needs; the timer is only touched under the mutex.
    BULWARK_ASIO_API static std::mutex& mutex_of(state& s) noexcept;
    BULWARK_ASIO_API static std::uint64_t generation_of(const state& s) noexcept;
    BULWARK_ASIO_API static poll_result poll(const state& s) noexcept;
    BULWARK_ASIO_API static boost::asio::steady_timer& timer_of(state& s) noexcept;
    static void begin_drain(const std::shared_ptr<state>& s, int signal_number);
    static void watch_signals(const std::shared_ptr<state>& s);

    std::shared_ptr<state> state_;
};

} // namespace bulwark

#endif
