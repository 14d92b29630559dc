#ifndef BULWARK_CORE_CLOCK_HPP
#define BULWARK_CORE_CLOCK_HPP

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>

namespace bulwark {

/// The time point every bulwark component works with: std::chrono::steady_clock's.
using time_point = std::chrono::steady_clock::time_point;

/// Durations inside bulwark: nanoseconds, the resolution of time_point here.
using duration = std::chrono::nanoseconds;

/**
 * A source of monotonic time for bulwark components.
 *
 * Components that need time are class templates `basic_X<Clock>` over a type that models this
 * concept, with `X = basic_X<steady_clock_source>` for production. Tests use manual_clock.
 * A clock is held by value, so it must be cheap to copy; copies must observe the same time.
 * `now()` must be noexcept and monotonic (never go backwards).
 */
template <class Clock>
concept clock_source = std::copy_constructible<Clock> && requires(const Clock& c) {
    { c.now() }
    noexcept->std::same_as<time_point>;
};

/**
 * The production clock: std::chrono::steady_clock.
 *
 * Stateless; every copy reads the same clock.
 *
 * @par Thread Safety
 * Safe to call from any thread.
 */
struct steady_clock_source {
    /// Reads std::chrono::steady_clock.
    [[nodiscard]] time_point now() const noexcept { return std::chrono::steady_clock::now(); }
};

/**
 * A clock that moves only when told to, for deterministic tests of time-based code.
 *
 * Copies share one time: a component constructed with a copy of a manual_clock sees every
 * advance() made through any other copy. This is what lets a test hold the clock while the
 * component under test holds its own copy by value.
 *
 * The time starts at the given point (the clock's epoch by default) and only moves forward:
 * advance() takes a non-negative duration and set() never moves backwards, so the clock keeps
 * the monotonicity that clock_source promises even when tests race.
 *
 * @par Thread Safety
 * All members may be called concurrently from any threads; the time is one atomic word.
 *
 * @par Example
 * @code
 * bulwark::manual_clock clock;
 * auto copy = clock;                      // shares the time
 * clock.advance(std::chrono::seconds{1});
 * assert(copy.now() == clock.now());
 * @endcode
 */
class manual_clock {
public:
    /// A clock standing at `start` (the steady_clock epoch unless given).
    explicit manual_clock(time_point start = time_point{})
        : ticks_{std::make_shared<std::atomic<std::int64_t>>(start.time_since_epoch().count())} {}

    /// The current manual time.
    [[nodiscard]] time_point now() const noexcept {
        // Relaxed is enough: the clock publishes only its own value. Code that must see other
        // writes made before an advance() synchronises through its own primitives.
        return time_point{duration{ticks_->load(std::memory_order_relaxed)}};
    }

    /// Moves time forward by `d`; a negative `d` is treated as zero. Returns the new time.
    time_point advance(duration d) noexcept {
        const auto step = d.count() > 0 ? d.count() : 0;
        return time_point{duration{ticks_->fetch_add(step, std::memory_order_relaxed) + step}};
    }

    /// Moves time forward to `t`; a `t` earlier than now() leaves the clock where it is.
    /// Returns the resulting time.
    time_point set(time_point t) noexcept {
        const auto target = t.time_since_epoch().count();
        auto current = ticks_->load(std::memory_order_relaxed);
        while (current < target &&
               !ticks_->compare_exchange_weak(current, target, std::memory_order_relaxed)) {
        }
        return time_point{duration{current < target ? target : current}};
    }

private:
    std::shared_ptr<std::atomic<std::int64_t>> ticks_;
};

static_assert(clock_source<steady_clock_source>);
static_assert(clock_source<manual_clock>);

} // namespace bulwark

#endif
