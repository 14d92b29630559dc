#ifndef BULWARK_CORE_CIRCUIT_BREAKER_CIRCUIT_BREAKER_HPP
#define BULWARK_CORE_CIRCUIT_BREAKER_CIRCUIT_BREAKER_HPP

#include <bulwark/core/circuit_breaker/circuit_breaker_config.hpp>
#include <bulwark/core/circuit_breaker/detail/windows.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/rate_limit/detail/single_key_limiter.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <utility>

namespace bulwark {

/// What snapshot() reports.
struct circuit_breaker_snapshot {
    breaker_state state = breaker_state::closed;
    /// Failure rate of the window in percent; nullopt until minimum_calls were recorded.
    std::optional<double> failure_rate;
    /// Slow-call rate of the window in percent; nullopt until minimum_calls were recorded.
    std::optional<double> slow_call_rate;
    std::uint64_t calls = 0;         ///< calls in the window (closed, metrics_only)
    std::uint64_t failures = 0;      ///< failed calls in the window
    std::uint64_t slow_calls = 0;    ///< slow calls in the window
    std::uint64_t not_permitted = 0; ///< calls rejected since construction
    std::uint32_t trips = 0;         ///< consecutive openings without closing in between
    duration open_remaining{};       ///< time left in open (zero in other states)
};

/**
 * A circuit breaker with Resilience4j's state machine: CLOSED → OPEN when, over a sliding window,
 * at least `minimum_calls` were recorded and the failure rate or the slow-call rate reaches its
 * threshold; OPEN rejects for the open wait (optionally growing with consecutive trips, capped,
 * with jitter); then HALF_OPEN admits exactly `permitted_calls_in_half_open` probes and closes or
 * reopens from their outcomes. Manual states: forced open, disabled, metrics only.
 *
 * try_acquire() returns a permit; the caller runs the call and records its outcome on the
 * permit (`record(call_outcome, now)`; elapsed time and slowness come from the permit's start).
 * A permit dropped without a record counts as ignored, which frees a half-open probe.
 *
 * Hot path: in CLOSED, try_acquire() is one atomic load; record() on the count-based window is a
 * one CAS plus a relaxed byte store, lock-free. Results recorded after the state changed
 * (a permit from an older generation) are ignored.
 *
 * @par Thread Safety
 * Every member may be called concurrently. Half-open admits exactly the configured number of
 * probes however many threads race. Listeners run on the thread that caused the event.
 *
 * @throws std::system_error from the constructor for an invalid config, naming the field.
 */
template <clock_source Clock = steady_clock_source>
class basic_circuit_breaker {
public:
    using clock_type = Clock;

    /// The right to make one call; record its outcome, or drop it (ignored).
    class permit {
    public:
        permit() noexcept = default;
        permit(permit&& o) noexcept
            : breaker_{std::exchange(o.breaker_, nullptr)},
              generation_{o.generation_}, probe_{o.probe_}, start_{o.start_} {}
        permit& operator=(permit&& o) noexcept {
            if (this != &o) {
                drop();
                breaker_ = std::exchange(o.breaker_, nullptr);
                generation_ = o.generation_;
                probe_ = o.probe_;
                start_ = o.start_;
            }
            return *this;
        }
        permit(const permit&) = delete;
        permit& operator=(const permit&) = delete;
        ~permit() { drop(); }

        /// Whether the call may proceed.
        [[nodiscard]] explicit operator bool() const noexcept { return breaker_ != nullptr; }
        /// Whether this is a half-open probe.
        [[nodiscard]] bool probe() const noexcept { return probe_; }
        /// When the permit was granted (the `now` of try_acquire).
        [[nodiscard]] time_point started() const noexcept { return start_; }

        /// Records the call's outcome at `now` (its duration is now − started()).
        void record(call_outcome outcome, time_point now) noexcept {
            if (auto* b = std::exchange(breaker_, nullptr)) {
                b->on_result(generation_, probe_, outcome, now - start_, now);
            }
        }
        void record(call_outcome outcome) noexcept {
            if (breaker_ != nullptr) {
                record(outcome, breaker_->clock_.now());
            }
        }
        /// Classifies `result` with the breaker's classifier, then records it.
        void record(const attempt_result& result, time_point now) noexcept {
            if (breaker_ != nullptr) {
                record(breaker_->classify(result), now);
            }
        }

    private:
        friend class basic_circuit_breaker;
        permit(basic_circuit_breaker* b, std::uint32_t generation, bool probe,
               time_point start) noexcept
            : breaker_{b}, generation_{generation}, probe_{probe}, start_{start} {}
        void drop() noexcept {
            if (auto* b = std::exchange(breaker_, nullptr)) {
                b->on_result(generation_, probe_, call_outcome::ignored, {}, start_);
            }
        }
        basic_circuit_breaker* breaker_ = nullptr;
        std::uint32_t generation_ = 0;
        bool probe_ = false;
        time_point start_{};
    };

    explicit basic_circuit_breaker(circuit_breaker_config config = {}, Clock clock = Clock{})
        : config_{checked(std::move(config))}, clock_{std::move(clock)}, epoch_{clock_.now()},
          count_window_{config_.window == window_type::count_based ? config_.window_size : 1},
          time_window_{config_.window == window_type::time_based ? config_.window_size : 1},
          // A count window never holds more than window_size calls: a larger minimum would
          // mean the breaker can never open (Resilience4j clamps it the same way).
          minimum_calls_{config_.window == window_type::count_based
                             ? std::min(config_.minimum_calls, config_.window_size)
                             : config_.minimum_calls},
          random_{config_.seed != 0 ? config_.seed : std::random_device{}() | 1u} {}

    basic_circuit_breaker(const basic_circuit_breaker&) = delete;
    basic_circuit_breaker& operator=(const basic_circuit_breaker&) = delete;

    /// A permit if the breaker lets a call through at `now`, else an empty one.
    [[nodiscard]] permit try_acquire(time_point now) noexcept {
        const std::uint64_t t = detail::since(epoch_, now);
        // acquire: pairs with the release of a transition, so open_until_ and the reset
        // windows written before it are seen.
        auto w = state_.load(std::memory_order_acquire);
        for (;;) {
            switch (state_of(w)) {
            case breaker_state::closed:
            case breaker_state::disabled:
            case breaker_state::metrics_only: return permit{this, generation_of(w), false, now};
            case breaker_state::forced_open: return reject(breaker_state::forced_open);
            case breaker_state::open:
                if (t < open_until_.load(std::memory_order_relaxed)) {
                    return reject(breaker_state::open);
                }
                // Whether this thread or a racing one made the change, re-read the word: a
                // failed CAS inside transition() updates only its own copy.
                (void)transition(w, breaker_state::half_open, t);
                w = state_.load(std::memory_order_acquire);
                continue;
            case breaker_state::half_open:
                // `t > since`: a `now` read before the transition must not wrap around.
                if (const auto since = half_open_since_.load(std::memory_order_relaxed);
                    config_.max_wait_in_half_open > duration::zero() && t > since &&
                    t - since >=
                        static_cast<std::uint64_t>(config_.max_wait_in_half_open.count())) {
                    trip(w, t); // probes took too long
                    w = state_.load(std::memory_order_acquire);
                    continue;
                }
                if (issued_of(w) >= config_.permitted_calls_in_half_open) {
                    return reject(breaker_state::half_open);
                }
                if (state_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel)) {
                    return permit{this, generation_of(w), true, now};
                }
                continue;
            }
        }
    }
    [[nodiscard]] permit try_acquire() noexcept { return try_acquire(clock_.now()); }

    /// Manual states. reset() returns to CLOSED with an empty window and no trips.
    void force_open() noexcept { set_manual(breaker_state::forced_open); }
    void disable() noexcept { set_manual(breaker_state::disabled); }
    void metrics_only() noexcept { set_manual(breaker_state::metrics_only); }
    void reset() noexcept {
        trips_.store(0, std::memory_order_relaxed);
        set_manual(breaker_state::closed);
    }

    [[nodiscard]] breaker_state state() const noexcept {
        return state_of(state_.load(std::memory_order_acquire));
    }

    [[nodiscard]] circuit_breaker_snapshot snapshot(time_point now) const noexcept {
        const std::uint64_t t = detail::since(epoch_, now);
        circuit_breaker_snapshot s;
        s.state = state();
        const detail::call_counts c = window_totals(t);
        s.calls = c.calls;
        s.failures = c.failures;
        s.slow_calls = c.slow;
        if (c.calls >= minimum_calls_ && c.calls > 0) {
            s.failure_rate = 100.0 * static_cast<double>(c.failures) / static_cast<double>(c.calls);
            s.slow_call_rate = 100.0 * static_cast<double>(c.slow) / static_cast<double>(c.calls);
        }
        s.not_permitted = not_permitted_.load(std::memory_order_relaxed);
        s.trips = trips_.load(std::memory_order_relaxed);
        if (s.state == breaker_state::open) {
            const auto until = open_until_.load(std::memory_order_relaxed);
            s.open_remaining = duration{static_cast<duration::rep>(until > t ? until - t : 0)};
        }
        return s;
    }
    [[nodiscard]] circuit_breaker_snapshot snapshot() const noexcept {
        return snapshot(clock_.now());
    }

    /// The configured classification (or the default) of a finished call.
    [[nodiscard]] call_outcome classify(const attempt_result& r) const noexcept {
        if (config_.classify) {
            try {
                return config_.classify(r);
            } catch (...) {
                return call_outcome::failure; // a broken classifier must not hide failures
            }
        }
        return default_classify(r);
    }

    [[nodiscard]] const circuit_breaker_config& config() const noexcept { return config_; }
    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

private:
    // State word: generation (32 bits) | state (8 bits) | half-open probes issued (16 bits).
    // Every transition bumps the generation, so results of permits from before it are ignored.
    static std::uint32_t generation_of(std::uint64_t w) noexcept {
        return static_cast<std::uint32_t>(w >> 32);
    }
    static breaker_state state_of(std::uint64_t w) noexcept {
        return static_cast<breaker_state>((w >> 16) & 0xFF);
    }
    static std::uint64_t issued_of(std::uint64_t w) noexcept { return w & 0xFFFF; }
    static std::uint64_t make_word(std::uint32_t generation, breaker_state s) noexcept {
        return (std::uint64_t{generation} << 32) |
               (std::uint64_t{static_cast<std::uint8_t>(s)} << 16);
    }

    static circuit_breaker_config checked(circuit_breaker_config c) {
        config_issue issue;
        if (validate(c, &issue)) {
            throw_invalid_config(issue);
        }
        return c;
    }

    permit reject(breaker_state s) noexcept {
        not_permitted_.fetch_add(1, std::memory_order_relaxed);
        if (config_.on_rejected) {
            try {
                config_.on_rejected(s);
            } catch (...) {
            }
        }
        return permit{};
    }

    detail::call_counts window_totals(std::uint64_t t) const noexcept {
        return config_.window == window_type::count_based ? count_window_.totals()
                                                          : time_window_.totals(t / 1'000'000'000u);
    }

    bool over_threshold(const detail::call_counts& c) const noexcept {
        if (c.calls == 0) {
            return false;
        }
        const double calls = static_cast<double>(c.calls);
        return 100.0 * static_cast<double>(c.failures) >= config_.failure_rate_threshold * calls ||
               100.0 * static_cast<double>(c.slow) >= config_.slow_call_rate_threshold * calls;
    }

    void on_result(std::uint32_t generation, bool probe, call_outcome outcome, duration elapsed,
                   time_point now) noexcept {
        if (config_.on_call) {
            try {
                config_.on_call(outcome);
            } catch (...) {
            }
        }
        auto w = state_.load(std::memory_order_acquire);
        if (generation_of(w) != generation) {
            return; // the state changed since the permit was granted
        }
        const std::uint64_t t = detail::since(epoch_, now);
        const bool failure = outcome == call_outcome::failure;
        const bool slow = outcome != call_outcome::ignored && elapsed >= config_.slow_call_duration;
        switch (state_of(w)) {
        case breaker_state::closed:
        case breaker_state::metrics_only: {
            if (outcome == call_outcome::ignored) {
                return;
            }
            const detail::call_counts c =
                config_.window == window_type::count_based
                    ? count_window_.record(failure, slow)
                    : time_window_.record(failure, slow, t / 1'000'000'000u);
            if (state_of(w) == breaker_state::closed && c.calls >= minimum_calls_ &&
                over_threshold(c)) {
                trip(w, t);
            }
            return;
        }
        case breaker_state::half_open: {
            if (!probe) {
                return;
            }
            if (outcome == call_outcome::ignored) {
                // Give the probe back so another call can take its place.
                while (generation_of(w) == generation && state_of(w) == breaker_state::half_open &&
                       issued_of(w) > 0 &&
                       !state_.compare_exchange_weak(w, w - 1, std::memory_order_acq_rel)) {
                }
                return;
            }
            // The probe counts carry the generation they belong to (high 16 bits): the first
            // probe of a round starts them from zero, a probe of an older round is dropped, and
            // no transition has to reset them (a delayed reset could erase a round's results and
            // leave half-open waiting forever).
            const std::uint64_t tag = generation & 0xFFFF;
            auto counted = probes_.load(std::memory_order_acquire);
            detail::call_counts done;
            for (;;) {
                const std::uint64_t have = counted >> 48;
                if (have != tag && ((tag - have) & 0xFFFF) >= 0x8000) {
                    return; // the counts belong to a newer round: this probe is stale
                }
                // tag | calls | failures | slow, 16 bits each (at most 65535 probes)
                const detail::call_counts before =
                    have == tag ? detail::call_counts{(counted >> 32) & 0xFFFF,
                                                      (counted >> 16) & 0xFFFF, counted & 0xFFFF}
                                : detail::call_counts{};
                done = {before.calls + 1, before.failures + (failure ? 1 : 0),
                        before.slow + (slow ? 1 : 0)};
                const std::uint64_t next =
                    (tag << 48) | (done.calls << 32) | (done.failures << 16) | done.slow;
                if (probes_.compare_exchange_weak(counted, next, std::memory_order_acq_rel)) {
                    break;
                }
            }
            if (done.calls != config_.permitted_calls_in_half_open) {
                return; // not the last probe
            }
            if (over_threshold(done)) {
                trip(w, t);
            } else {
                trips_.store(0, std::memory_order_relaxed);
                transition(w, breaker_state::closed, t);
            }
            return;
        }
        default: return; // open, forced_open, disabled: nothing to record
        }
    }

    // CLOSED or HALF_OPEN → OPEN, if `w` is still current.
    void trip(std::uint64_t w, std::uint64_t t) noexcept {
        const std::uint32_t trips = trips_.load(std::memory_order_relaxed) + 1;
        // Written before the transition publishes OPEN (release), so no thread sees OPEN with
        // a stale deadline.
        open_until_.store(t + open_wait(trips), std::memory_order_relaxed);
        if (transition(w, breaker_state::open, t)) {
            trips_.store(trips, std::memory_order_relaxed);
        }
    }

    std::uint64_t open_wait(std::uint32_t trips) noexcept {
        double wait = static_cast<double>(config_.wait_in_open.count());
        if (config_.open_wait_multiplier > 1.0 && trips > 1) {
            wait *= std::pow(config_.open_wait_multiplier, static_cast<double>(trips - 1));
            wait = std::min(wait, static_cast<double>(config_.max_wait_in_open.count()));
        }
        if (config_.open_wait_jitter > 0.0) {
            // splitmix64 over an atomic counter: thread-safe and reproducible with a seed
            std::uint64_t z = random_.fetch_add(0x9E3779B97F4A7C15ull, std::memory_order_relaxed);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            z ^= z >> 31;
            const double u = static_cast<double>(z >> 11) * 0x1.0p-53; // [0, 1)
            wait *= 1.0 + config_.open_wait_jitter * (2.0 * u - 1.0);
            if (config_.open_wait_multiplier > 1.0) {
                // the cap holds after the spread too
                wait = std::min(wait, static_cast<double>(config_.max_wait_in_open.count()));
            }
        }
        return static_cast<std::uint64_t>(std::max(1.0, wait));
    }

    // Moves from the state in `w` to `to` if `w` is still current; resets what the new state
    // starts from before publishing it. Returns whether this thread made the change.
    bool transition(std::uint64_t w, breaker_state to, std::uint64_t t) noexcept {
        if (to == breaker_state::closed) {
            reset_window();
        } else if (to == breaker_state::half_open) {
            half_open_since_.store(t, std::memory_order_relaxed);
        }
        const std::uint64_t next = make_word(generation_of(w) + 1, to);
        // release: the resets above happen-before any thread that sees the new state
        if (!state_.compare_exchange_strong(w, next, std::memory_order_acq_rel)) {
            return false;
        }
        notify(state_of(w), to);
        return true;
    }

    void set_manual(breaker_state to) noexcept {
        auto w = state_.load(std::memory_order_acquire);
        while (!transition(w, to, 0)) {
            w = state_.load(std::memory_order_acquire);
        }
    }

    void reset_window() noexcept {
        if (config_.window == window_type::count_based) {
            count_window_.reset();
        } else {
            time_window_.reset();
        }
    }

    void notify(breaker_state from, breaker_state to) noexcept {
        if (config_.on_transition && from != to) {
            try {
                config_.on_transition(from, to);
            } catch (...) {
            }
        }
    }

    circuit_breaker_config config_;
    Clock clock_;
    time_point epoch_;
    alignas(64) std::atomic<std::uint64_t> state_{make_word(0, breaker_state::closed)};
    // Half-open outcomes: generation tag | calls | failures | slow calls, 16 bits each.
    alignas(64) std::atomic<std::uint64_t> probes_{0};
    std::atomic<std::uint64_t> open_until_{0}; // ns since epoch_
    std::atomic<std::uint64_t> half_open_since_{0};
    std::atomic<std::uint32_t> trips_{0};
    std::atomic<std::uint64_t> not_permitted_{0};
    detail::count_window count_window_;
    detail::time_window time_window_;
    std::uint32_t minimum_calls_;
    std::atomic<std::uint64_t> random_;
};

/// basic_circuit_breaker on std::chrono::steady_clock.
using circuit_breaker = basic_circuit_breaker<>;

} // namespace bulwark

#endif
