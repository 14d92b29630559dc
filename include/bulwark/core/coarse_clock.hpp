#ifndef BULWARK_CORE_COARSE_CLOCK_HPP
#define BULWARK_CORE_COARSE_CLOCK_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>

#include <atomic>
#include <chrono>
#include <memory>

namespace bulwark {

/**
 * A clock_source that reads a cached time, for the fastest decision path.
 *
 * A background thread stores std::chrono::steady_clock::now() into an atomic every
 * `resolution`; now() is one relaxed load (well under a nanosecond, against about 26 ns for
 * steady_clock::now() here).
 *
 * Accuracy: now() is never ahead of steady_clock and lags it by at most `resolution` plus the
 * thread's scheduling delay (normally tens of microseconds; more on an overloaded machine). A
 * limiter on this clock therefore refills late by up to that lag, never early: it can only be
 * stricter than the quota, never more permissive. Use it where a quota's emission interval is
 * well above the resolution (per-client limits of up to some hundred requests per second at the
 * default 1 ms); for exact timing, pass the time you read once per request to
 * `try_acquire(n, now)` instead.
 *
 * Copies share one cached time and one thread, which stops with the last copy.
 *
 * @par Thread Safety
 * now() may be called from any thread.
 */
class coarse_clock {
public:
    /// Starts the updating thread. `resolution` must be positive (else 1 ms is used).
    BULWARK_CORE_API explicit coarse_clock(duration resolution = std::chrono::milliseconds{1});

    /// The cached time.
    [[nodiscard]] time_point now() const noexcept {
        // Relaxed: the value is a time sample, it orders nothing else.
        return time_point{duration{state_->ticks.load(std::memory_order_relaxed)}};
    }

    /// How often the cached time is refreshed.
    [[nodiscard]] duration resolution() const noexcept { return state_->resolution; }

private:
    struct state; // the shared time plus its thread, in src/core/coarse_clock.cpp
    struct shared {
        std::atomic<duration::rep> ticks{0};
        duration resolution{};
    };
    std::shared_ptr<shared> state_;
};

static_assert(clock_source<coarse_clock>);

} // namespace bulwark

#endif
