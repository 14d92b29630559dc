#ifndef BULWARK_TESTS_SUPPORT_WINDOW_RACE_HPP
#define BULWARK_TESTS_SUPPORT_WINDOW_RACE_HPP

#include <bulwark/core/clock.hpp>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace bulwark::test {

/**
 * Four threads call `limiter.try_acquire(1, clock.now())` — each reading the time first, as a
 * caller does, so a time can be stale by the moment it is used — while the main thread moves
 * the clock through `windows` windows of `window` length in `steps` steps each. Returns how many
 * requests were admitted.
 */
template <class Limiter>
std::uint64_t race_across_windows(Limiter& limiter, manual_clock& clock, int windows,
                                  duration window, int steps) {
    std::atomic<bool> stop{false};
    std::atomic<int> started{0};
    std::atomic<std::uint64_t> admitted{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
        pool.emplace_back([&] {
            started.fetch_add(1);
            while (!stop.load(std::memory_order_relaxed)) {
                if (limiter.try_acquire(1, clock.now()).allowed) {
                    admitted.fetch_add(1);
                }
            }
        });
    }
    while (started.load() < 4) {
        std::this_thread::yield();
    }
    for (int i = 0; i < windows * steps; ++i) {
        clock.advance(window / steps);
    }
    stop = true;
    for (auto& t : pool) {
        t.join();
    }
    return admitted.load();
}

} // namespace bulwark::test

#endif
