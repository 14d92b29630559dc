#include <bulwark/core/clock.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bulwark::manual_clock;
using bulwark::time_point;

TEST_CASE("steady_clock_source reads a monotonic clock", "[clock]") {
    const bulwark::steady_clock_source clock;
    const auto a = clock.now();
    const auto b = clock.now();
    CHECK(b >= a);
    // It is std::chrono::steady_clock, not some other epoch.
    const auto std_now = std::chrono::steady_clock::now();
    CHECK(clock.now() >= std_now);
}

TEST_CASE("manual_clock stands still until moved", "[clock]") {
    manual_clock clock{time_point{5s}};
    CHECK(clock.now() == time_point{5s});
    CHECK(clock.now() == time_point{5s});

    CHECK(clock.advance(250ms) == time_point{5250ms});
    CHECK(clock.now() == time_point{5250ms});

    SECTION("a negative advance is ignored") {
        CHECK(clock.advance(-1s) == time_point{5250ms});
        CHECK(clock.now() == time_point{5250ms});
    }
    SECTION("set moves forward") {
        CHECK(clock.set(time_point{7s}) == time_point{7s});
        CHECK(clock.now() == time_point{7s});
    }
    SECTION("set never moves backwards") {
        CHECK(clock.set(time_point{1s}) == time_point{5250ms});
        CHECK(clock.now() == time_point{5250ms});
    }
}

TEST_CASE("manual_clock copies share one time", "[clock]") {
    manual_clock clock;
    CHECK(clock.now() == time_point{});
    const manual_clock copy = clock; // what a component stores by value
    clock.advance(3s);
    CHECK(copy.now() == time_point{3s});
    manual_clock assigned{time_point{100s}};
    assigned = clock;
    assigned.advance(1s);
    CHECK(clock.now() == time_point{4s});
}

TEST_CASE("manual_clock loses no advance under contention and never goes back",
          "[clock][concurrency]") {
    manual_clock clock;
    constexpr int writers = 4;
    constexpr int steps = 20000;
    std::atomic<bool> done{false};
    std::atomic<bool> went_back{false};

    // A reader checks monotonicity while writers advance and set concurrently.
    std::thread reader([&] {
        auto last = clock.now();
        while (!done.load(std::memory_order_acquire)) {
            const auto now = clock.now();
            if (now < last) {
                went_back.store(true);
            }
            last = now;
        }
    });
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&clock, w] {
            for (int i = 0; i < steps; ++i) {
                clock.advance(1ns);
                if (w == 0 && i % 100 == 0) {
                    clock.set(time_point{}); // a backwards set must be a no-op
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    done.store(true, std::memory_order_release);
    reader.join();

    CHECK_FALSE(went_back.load());
    CHECK(clock.now() == time_point{std::chrono::nanoseconds{writers * steps}});
}

namespace {
//! [manual_clock]
// Code under test takes its clock as a template parameter, like every bulwark component.
template <bulwark::clock_source Clock>
class session_timeout {
public:
    session_timeout(Clock clock, bulwark::duration idle)
        : clock_{clock}, idle_{idle}, last_{clock.now()} {}
    void touch() { last_ = clock_.now(); }
    [[nodiscard]] bool expired() const { return clock_.now() - last_ >= idle_; }

private:
    Clock clock_;
    bulwark::duration idle_;
    bulwark::time_point last_;
};

TEST_CASE("manual_clock drives time-based code without sleeping", "[clock]") {
    bulwark::manual_clock clock;
    session_timeout timeout{clock, 30s}; // holds a copy that shares the time

    clock.advance(29s);
    CHECK_FALSE(timeout.expired());
    timeout.touch();
    clock.advance(29s);
    CHECK_FALSE(timeout.expired());
    clock.advance(1s);
    CHECK(timeout.expired());
}
//! [manual_clock]
} // namespace
