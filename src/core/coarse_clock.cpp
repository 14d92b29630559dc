#include <bulwark/core/coarse_clock.hpp>

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace bulwark {

// The shared time plus the thread that refreshes it; the thread stops when the last
// coarse_clock copy releases this object.
struct coarse_clock::state : shared {
    std::mutex mutex;
    std::condition_variable_any wakeup;
    std::jthread thread; // last member: joined first on destruction, before the rest goes

    void refresh() noexcept {
        ticks.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                    std::memory_order_relaxed);
    }
};

coarse_clock::coarse_clock(duration resolution) {
    auto s = std::make_shared<state>();
    s->resolution = resolution > duration::zero() ? resolution : std::chrono::milliseconds{1};
    s->refresh();
    s->thread = std::jthread([raw = s.get()](const std::stop_token& stop) {
        std::unique_lock lock{raw->mutex};
        while (!stop.stop_requested()) {
            // Wakes early on stop: destroying the last copy never waits a full resolution.
            raw->wakeup.wait_for(lock, stop, raw->resolution, [] { return false; });
            raw->refresh();
        }
    });
    state_ = std::move(s);
}

} // namespace bulwark
