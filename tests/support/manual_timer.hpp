#ifndef BULWARK_TESTS_SUPPORT_MANUAL_TIMER_HPP
#define BULWARK_TESTS_SUPPORT_MANUAL_TIMER_HPP

// An Asio waitable timer over a clock the test moves by hand, for components scheduled on
// Asio timers (health_monitor, event_loop_lag). The wait traits cap every wait at 1 ms of
// real time, so the reactor re-checks the manual clock promptly after the test advances it;
// no test waits for real time to pass.

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace bulwark::test {

struct manual_asio_clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<manual_asio_clock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept { return time_point{duration{ticks().load()}}; }
    static void advance(duration d) noexcept { ticks().fetch_add(d.count()); }

private:
    // One process-wide time that only moves forward; tests work relative to now().
    static std::atomic<rep>& ticks() noexcept {
        static std::atomic<rep> t{1'000'000'000'000};
        return t;
    }
};

struct manual_wait_traits {
    static manual_asio_clock::duration to_wait_duration(const manual_asio_clock::duration& d) {
        return std::clamp<manual_asio_clock::duration>(d, manual_asio_clock::duration::zero(),
                                                       std::chrono::milliseconds{1});
    }
    static manual_asio_clock::duration to_wait_duration(const manual_asio_clock::time_point& t) {
        return to_wait_duration(t - manual_asio_clock::now());
    }
};

using manual_timer = boost::asio::basic_waitable_timer<manual_asio_clock, manual_wait_traits>;

// Runs `io` until `done()` holds or `limit` of real time passes (a hang guard, not a wait).
template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done,
               std::chrono::steady_clock::duration limit = std::chrono::seconds{10}) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        if (io.stopped()) {
            io.restart();
        }
        io.run_one_for(std::chrono::milliseconds{2});
    }
    return done();
}

// Runs every handler that is ready now (after the clock moved), without waiting for more.
inline void settle(boost::asio::io_context& io) {
    // Two real milliseconds let the capped reactor wait notice timers the manual clock made due.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{5};
    while (std::chrono::steady_clock::now() < deadline) {
        if (io.stopped()) {
            io.restart();
        }
        io.run_one_for(std::chrono::milliseconds{1});
    }
}

} // namespace bulwark::test

#endif
