#ifndef BULWARK_CORE_RATE_LIMIT_DETAIL_SINGLE_KEY_LIMITER_HPP
#define BULWARK_CORE_RATE_LIMIT_DETAIL_SINGLE_KEY_LIMITER_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/rate_limit/algorithms.hpp>
#include <bulwark/core/rate_limit/detail/seqlock.hpp>
#include <bulwark/core/rate_limit/quota.hpp>
#include <bulwark/core/rate_limit/rate_decision.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

namespace bulwark::detail {

/// Nanoseconds from `epoch` to `now`, 0 for a `now` before the epoch (a clock that went back).
[[nodiscard]] inline std::uint64_t since(time_point epoch, time_point now) noexcept {
    const auto d = (now - epoch).count();
    return d > 0 ? static_cast<std::uint64_t>(d) : 0;
}

/**
 * One key, one algorithm: the shared body of gcra_limiter, fixed_window_limiter and
 * sliding_window_limiter. The whole state is one std::atomic<uint64_t>, updated by a CAS loop
 * around Algorithm::decide(); a rejection never writes.
 */
template <class Algorithm, clock_source Clock>
class single_key_limiter {
public:
    using algorithm_type = Algorithm;
    using clock_type = Clock;

    explicit single_key_limiter(const quota& q, Clock clock)
        : clock_{std::move(clock)}, epoch_{clock_.now()}, params_{checked(q)}, quota_{q} {}

    single_key_limiter(const single_key_limiter&) = delete;
    single_key_limiter& operator=(const single_key_limiter&) = delete;

    /// Reads the clock and decides on a request of cost `n`.
    [[nodiscard]] rate_decision try_acquire(std::uint64_t n = 1) noexcept {
        return try_acquire(n, clock_.now());
    }

    /// Decides on a request of cost `n` arriving at `now` (a time the caller already read).
    [[nodiscard]] rate_decision try_acquire(std::uint64_t n, time_point now) noexcept {
        const auto p = params_.load();
        const auto t = since(epoch_, now);
        // Relaxed is enough: the state word publishes nothing but itself, and the CAS makes every
        // admission see the latest state, so no two admissions spend the same capacity.
        auto state = state_.load(std::memory_order_relaxed);
        for (;;) {
            // Only admit() runs between the load and the CAS: the shorter that window, the
            // fewer CAS failures under contention. The decision's fields come after.
            const rate_admission a = Algorithm::admit(state, t, p, n);
            if (!a.write ||
                state_.compare_exchange_weak(state, a.state, std::memory_order_relaxed)) {
                return Algorithm::describe(state, t, p, n, a);
            }
        }
    }

    /**
     * Gives back `n` units taken by an admitted try_acquire whose request was then abandoned
     * (chained limits do this when a later limiter rejects). Never more than was taken: a bucket
     * that has meanwhile refilled stays full.
     */
    void release(std::uint64_t n, time_point now) noexcept {
        const auto p = params_.load();
        const auto t = since(epoch_, now);
        auto state = state_.load(std::memory_order_relaxed);
        while (!state_.compare_exchange_weak(state, Algorithm::release(state, t, p, n),
                                             std::memory_order_relaxed)) {
        }
    }

    /// The limiter as a request of cost 0 at `now` would see it; changes nothing.
    [[nodiscard]] rate_decision snapshot(time_point now) const noexcept {
        return Algorithm::decide(state_.load(std::memory_order_relaxed), since(epoch_, now),
                                 params_.load(), 0)
            .decision;
    }
    [[nodiscard]] rate_decision snapshot() const noexcept { return snapshot(clock_.now()); }

    /**
     * Replaces the quota at run time, carrying the state over at `now`: a token bucket keeps its
     * tokens (at most the new burst), as x/time/rate's SetLimit/SetBurst do, so raising a quota
     * relieves throttled clients at once; a window limiter keeps its counts if the window length
     * is unchanged and starts a fresh window otherwise. Throws std::system_error naming the
     * field for an invalid quota (and then changes nothing).
     *
     * @par Thread Safety
     * May race with every other member: a decision racing with set_quota() uses either the old
     * or the new quota, never a mix of their numbers.
     */
    void set_quota(const quota& q, time_point now) {
        const auto to = checked(q);
        const auto from = params_.load();
        params_.store(to);
        quota_.store(q);
        const auto t = since(epoch_, now);
        auto state = state_.load(std::memory_order_relaxed);
        while (!state_.compare_exchange_weak(state, Algorithm::rescale(state, t, from, to),
                                             std::memory_order_relaxed)) {
        }
    }
    void set_quota(const quota& q) { set_quota(q, clock_.now()); }

    [[nodiscard]] quota get_quota() const noexcept { return quota_.load(); }
    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

    /// validate(q) for this limiter's algorithm.
    [[nodiscard]] static std::error_code validate(const quota& q,
                                                  config_issue* issue = nullptr) noexcept {
        return bulwark::validate(q, Algorithm::use, issue);
    }

private:
    static typename Algorithm::params checked(const quota& q) {
        config_issue issue;
        if (validate(q, &issue)) {
            throw_invalid_config(issue);
        }
        return Algorithm::make_params(q);
    }

    Clock clock_;
    time_point epoch_;
    // The hot word on its own cache line: neighbours written by other threads must not make it
    // bounce.
    alignas(64) std::atomic<std::uint64_t> state_{0};
    alignas(64) seqlocked<typename Algorithm::params> params_;
    seqlocked<quota> quota_;
};

} // namespace bulwark::detail

#endif
