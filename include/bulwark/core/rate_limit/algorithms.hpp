#ifndef BULWARK_CORE_RATE_LIMIT_ALGORITHMS_HPP
#define BULWARK_CORE_RATE_LIMIT_ALGORITHMS_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/core/rate_limit/quota.hpp>
#include <bulwark/core/rate_limit/rate_decision.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

namespace bulwark {

/*
 * The rate-limit algorithms as pure functions over one 64-bit state word.
 *
 * Each algorithm is a stateless struct with:
 *   params                         immutable numbers derived once from a validated quota
 *   make_params(quota)             that derivation
 *   admit(state, now, params, n)   -> {new state, allowed, write}: only what a CAS needs
 *   describe(state, now, params, n, admission) -> the rate_decision, computed after the CAS
 *   decide(state, now, params, n)  -> both at once (rate_step)
 *   release(state, now, params, n) -> state with n units given back (chained limits)
 *   rescale(state, now, old, new)  -> the state carried over to new params (set_quota)
 *   is_idle(state, now, params)    -> the state says nothing a fresh one would not (evictable)
 *   use                            the quota_use to validate quotas with
 * Times are nanoseconds since the owning limiter's epoch. The single-key limiters apply
 * decide() in a CAS loop on one std::atomic<uint64_t>; keyed_limiter applies it to table slots.
 * Keeping the decision pure is what makes a rejection write nothing and the algorithms testable
 * against a reference model.
 */

/// What admit() decided: kept small so the CAS loop around it is short.
struct rate_admission {
    std::uint64_t state = 0; ///< the new state; meaningful when `write`
    bool allowed = false;
    bool write = false; ///< false for rejections and for decisions that change nothing
};

/// Result of one algorithm step.
struct rate_step {
    rate_decision decision;
    std::uint64_t state = 0; ///< the new state; meaningful when `write`
    bool write = false;      ///< false for rejections and for decisions that change nothing
};

/**
 * GCRA, the generic cell rate algorithm: a token bucket of capacity `burst` that starts full and
 * refills one token per emission interval T, stored as one number, the theoretical arrival time
 * (TAT). The bucket holds `burst - (max(TAT, now) - now) / T` tokens; a request of cost n is
 * admitted iff that is at least n, and then TAT becomes max(TAT, now) + n·T. These are exactly
 * the answers of a continuous token bucket (and of Go's x/time/rate Limiter.AllowN for the same
 * limit, burst, times and n), with T rounded to the nanosecond.
 */
struct gcra_algorithm {
    static constexpr quota_use use = quota_use::token_bucket;

    struct params {
        std::uint64_t interval = 1;  ///< T, ns; 0 for quota::unlimited()
        std::uint64_t burst = 1;     ///< capacity, tokens
        std::uint64_t tolerance = 1; ///< burst × T, ns
        double inverse = 1.0;        ///< 1 / T, for division-free quotients
    };

    [[nodiscard]] static params make_params(const quota& q) noexcept {
        if (q.is_unlimited()) {
            return {0, rate_decision::unlimited, rate_decision::unlimited, 0.0};
        }
        const auto t = static_cast<std::uint64_t>(q.emission_interval().count());
        return {t, q.burst(), t * q.burst(), 1.0 / static_cast<double>(t)};
    }

    [[nodiscard]] static constexpr rate_admission admit(std::uint64_t tat, std::uint64_t now,
                                                        const params& p, std::uint64_t n) noexcept {
        if (p.interval == 0 || n == 0) {
            return {tat, true, false}; // cost 0 only reads: always admitted, nothing written
        }
        if (n > p.burst) {
            return {tat, false, false};
        }
        const std::uint64_t next = std::max(tat, now) + n * p.interval;
        if (next - now > p.tolerance) {
            return {tat, false, false};
        }
        return {next, true, n != 0};
    }

    /// The decision admit() took on `tat` (the state before it).
    [[nodiscard]] static constexpr rate_decision describe(std::uint64_t tat, std::uint64_t now,
                                                          const params& p, std::uint64_t n,
                                                          const rate_admission& a) noexcept {
        rate_decision d;
        if (p.interval == 0) {
            d.allowed = true;
            d.remaining = rate_decision::unlimited;
            d.limit = rate_decision::unlimited;
            return d;
        }
        d.allowed = a.allowed;
        d.limit = p.burst;
        d.window = duration{static_cast<duration::rep>(p.tolerance)};
        const std::uint64_t debt = std::max(tat, now) - now; // time until full again
        if (a.allowed) {
            fill(d, n == 0 ? debt : debt + n * p.interval, p);
        } else {
            d.retry_after =
                n > p.burst
                    ? rate_decision::never
                    : duration{static_cast<duration::rep>(debt + n * p.interval - p.tolerance)};
            fill(d, debt, p);
        }
        return d;
    }

    [[nodiscard]] static constexpr rate_step decide(std::uint64_t tat, std::uint64_t now,
                                                    const params& p, std::uint64_t n) noexcept {
        const rate_admission a = admit(tat, now, p, n);
        return {describe(tat, now, p, n, a), a.state, a.write};
    }

    [[nodiscard]] static constexpr std::uint64_t
    release(std::uint64_t tat, std::uint64_t now, const params& p, std::uint64_t n) noexcept {
        if (p.interval == 0 || tat <= now) {
            return tat; // already full: nothing to give back
        }
        const std::uint64_t back = n * p.interval;
        return tat - now > back ? tat - back : now;
    }

    [[nodiscard]] static constexpr bool is_idle(std::uint64_t tat, std::uint64_t now,
                                                const params&) noexcept {
        return tat <= now;
    }

    /// Keeps the number of tokens across a quota change (at most the new burst), as
    /// x/time/rate's SetLimit and SetBurst do: raising a quota helps throttled clients at once.
    [[nodiscard]] static std::uint64_t rescale(std::uint64_t tat, std::uint64_t now,
                                               const params& from, const params& to) noexcept {
        if (from.interval == 0 || to.interval == 0) {
            return 0; // from or to unlimited: start full
        }
        const double used =
            static_cast<double>(std::max(tat, now) - now) / static_cast<double>(from.interval);
        const double tokens =
            std::min(static_cast<double>(from.burst) - used, static_cast<double>(to.burst));
        const double debt =
            (static_cast<double>(to.burst) - tokens) * static_cast<double>(to.interval);
        return now + static_cast<std::uint64_t>(std::llround(std::max(0.0, debt)));
    }

private:
    // floor(x / T) without a 64-bit division (tens of cycles on many CPUs): a multiply by the
    // reciprocal is within one of the answer for x <= burst × T, and one exact correction
    // step in integers makes it exact.
    static constexpr std::uint64_t quotient(std::uint64_t x, const params& p) noexcept {
        auto q = static_cast<std::uint64_t>(static_cast<double>(x) * p.inverse);
        while (q * p.interval > x) {
            --q;
        }
        while ((q + 1) * p.interval <= x) {
            ++q;
        }
        return q;
    }
    static constexpr void fill(rate_decision& d, std::uint64_t debt, const params& p) noexcept {
        d.remaining = debt >= p.tolerance ? 0 : quotient(p.tolerance - debt, p);
        d.reset_after = duration{static_cast<duration::rep>(debt)};
    }
};

/**
 * What the window algorithms share: their params (window length and count from the quota) and
 * admit()/describe() taken from Derived::decide(), whose whole step is cheap enough to run inside
 * the CAS loop.
 */
template <class Derived>
struct window_algorithm_base {
    struct params {
        std::uint64_t window = 1; ///< ns
        std::uint64_t limit = 1;  ///< requests per window
        std::uint64_t unlimited = 0;
        std::uint64_t reserved = 0;
    };

    [[nodiscard]] static params make_params(const quota& q) noexcept {
        if (q.is_unlimited()) {
            return {1, rate_decision::unlimited, 1, 0};
        }
        return {static_cast<std::uint64_t>(q.period().count()),
                static_cast<std::uint64_t>(q.count()), 0, 0};
    }

    /// Unlimited quotas and stale times first, then the algorithm's own decision.
    [[nodiscard]] static constexpr rate_step decide(std::uint64_t state, std::uint64_t now,
                                                    const params& p, std::uint64_t n) noexcept {
        if (p.unlimited != 0) {
            return unlimited_step();
        }
        if (const auto stale = in_stored_window(state, now, p, n)) {
            return *stale;
        }
        return Derived::decide_current(state, now, p, n);
    }

    [[nodiscard]] static constexpr rate_admission admit(std::uint64_t state, std::uint64_t now,
                                                        const params& p, std::uint64_t n) noexcept {
        const rate_step s = decide(state, now, p, n);
        return {s.state, s.decision.allowed, s.write};
    }

    [[nodiscard]] static constexpr rate_decision describe(std::uint64_t state, std::uint64_t now,
                                                          const params& p, std::uint64_t n,
                                                          const rate_admission&) noexcept {
        return decide(state, now, p, n).decision;
    }

    /// Counts carry over while the window length stays; a new length starts a fresh window
    /// (the stored window numbers mean nothing under another length).
    [[nodiscard]] static constexpr std::uint64_t
    rescale(std::uint64_t state, std::uint64_t, const params& from, const params& to) noexcept {
        return from.window == to.window && from.unlimited == to.unlimited ? state : 0;
    }

protected:
    // A `now` read before another thread's (a racing caller, or a time read once per request)
    // can fall one or two windows behind the stored window. It is answered in the stored window,
    // as at its start, so a newer window is never wiped by an older one. Durations are then
    // measured from `now`. Further behind (a clock that went back) counts as a new window.
    static constexpr std::uint64_t max_stale_windows = 2;

    static constexpr rate_step unlimited_step() noexcept {
        rate_step s;
        s.decision.allowed = true;
        s.decision.remaining = s.decision.limit = rate_decision::unlimited;
        return s;
    }

    // The decision in the stored window when `now` lies one or two windows behind it.
    static constexpr std::optional<rate_step> in_stored_window(std::uint64_t state,
                                                               std::uint64_t now, const params& p,
                                                               std::uint64_t n) noexcept {
        const std::uint64_t index = now / p.window;
        const std::uint64_t ahead = Derived::windows_ahead(state, index);
        if (ahead == 0 || ahead > max_stale_windows || !Derived::has_counts(state)) {
            return std::nullopt;
        }
        const std::uint64_t later = (index + ahead) * p.window; // the stored window's start
        return shifted(decide(state, later, p, n), later - now);
    }

    static constexpr rate_step shifted(rate_step s, std::uint64_t by) noexcept {
        const auto d = duration{static_cast<duration::rep>(by)};
        if (s.decision.retry_after != rate_decision::never &&
            s.decision.retry_after != duration::zero()) {
            s.decision.retry_after += d;
        }
        if (s.decision.reset_after != duration::zero()) {
            s.decision.reset_after += d;
        }
        return s;
    }
};

/**
 * Fixed window: at most `count` requests per window [k·period, (k+1)·period). Simple and
 * cheap, but a client can send 2·count requests around a window boundary.
 * State: window number (high 32 bits, wrapping) and count (low 32 bits).
 */
struct fixed_window_algorithm : window_algorithm_base<fixed_window_algorithm> {
    static constexpr quota_use use = quota_use::fixed_window;

    /// How many windows the stored window is ahead of window `index` (mod 2^32).
    static constexpr std::uint64_t windows_ahead(std::uint64_t state,
                                                 std::uint64_t index) noexcept {
        return static_cast<std::uint32_t>(static_cast<std::uint32_t>(state >> 32) -
                                          static_cast<std::uint32_t>(index));
    }
    static constexpr bool has_counts(std::uint64_t state) noexcept {
        return (state & 0xFFFFFFFFu) != 0;
    }

    /// The decision when `now` is in the stored window or later (see window_algorithm_base).
    [[nodiscard]] static constexpr rate_step decide_current(std::uint64_t state, std::uint64_t now,
                                                            const params& p,
                                                            std::uint64_t n) noexcept {
        rate_step s;
        const std::uint64_t index = now / p.window;
        const std::uint64_t into = now - index * p.window;
        const auto w = static_cast<std::uint32_t>(index);
        const std::uint64_t count =
            static_cast<std::uint32_t>(state >> 32) == w ? state & 0xFFFFFFFFu : 0;
        const auto to_next = duration{static_cast<duration::rep>(p.window - into)};
        s.decision.limit = p.limit;
        s.decision.window = duration{static_cast<duration::rep>(p.window)};
        if (n > p.limit || count + n > p.limit) {
            s.decision.retry_after = n > p.limit ? rate_decision::never : to_next;
            s.decision.remaining = count >= p.limit ? 0 : p.limit - count; // limit may have shrunk
            s.decision.reset_after = count > 0 ? to_next : duration{};
            return s;
        }
        const std::uint64_t used = count + n;
        s.decision.allowed = true;
        s.decision.remaining = p.limit - used;
        s.decision.reset_after = used > 0 ? to_next : duration{};
        s.state = (std::uint64_t{w} << 32) | used;
        s.write = n != 0;
        return s;
    }

    [[nodiscard]] static constexpr std::uint64_t
    release(std::uint64_t state, std::uint64_t now, const params& p, std::uint64_t n) noexcept {
        if (p.unlimited != 0 ||
            static_cast<std::uint32_t>(state >> 32) != static_cast<std::uint32_t>(now / p.window)) {
            return state; // the window that was charged is over
        }
        const std::uint64_t count = state & 0xFFFFFFFFu;
        return (state & ~std::uint64_t{0xFFFFFFFFu}) | (count > n ? count - n : 0);
    }

    [[nodiscard]] static constexpr bool is_idle(std::uint64_t state, std::uint64_t now,
                                                const params& p) noexcept {
        return (state & 0xFFFFFFFFu) == 0 || static_cast<std::uint32_t>(state >> 32) !=
                                                 static_cast<std::uint32_t>(now / p.window);
    }
};

/**
 * Sliding window counter, the approximation NGINX and Cloudflare use: the count of the current
 * window plus the previous window's count weighted by how much of it still overlaps the last
 * `period`. Admits iff prev·(period − elapsed)/period + current + n ≤ count, evaluated exactly in
 * integers. Smooths the fixed window's boundary doubling with the same state size.
 * State: window number (24 bits, wrapping), current count (20 bits), previous count (20 bits).
 */
struct sliding_window_algorithm : window_algorithm_base<sliding_window_algorithm> {
    static constexpr quota_use use = quota_use::sliding_window;

    /// How many windows the stored window is ahead of window `index` (mod 2^24).
    static constexpr std::uint64_t windows_ahead(std::uint64_t state,
                                                 std::uint64_t index) noexcept {
        return ((state >> 40) - index) & mask24;
    }
    static constexpr bool has_counts(std::uint64_t state) noexcept {
        return (state & ((mask20 << 20) | mask20)) != 0;
    }

    /// The decision when `now` is in the stored window or later (see window_algorithm_base).
    [[nodiscard]] static constexpr rate_step decide_current(std::uint64_t state, std::uint64_t now,
                                                            const params& p,
                                                            std::uint64_t n) noexcept {
        rate_step s;
        const view v = current(state, now, p);
        const std::uint64_t w = p.window;
        const std::uint64_t left = w - v.into; // part of the previous window still counted
        s.decision.limit = p.limit;
        s.decision.window = duration{static_cast<duration::rep>(w)};
        // weighted(prev) + cur + n <= limit, times w to stay in integers
        const u128 prev_weight = u128{v.prev} * left;
        const u128 budget = u128{p.limit} * w;
        const auto admits = [&](std::uint64_t cur) {
            return prev_weight + u128{cur} * w <= budget;
        };
        if (n <= p.limit && admits(v.cur + n)) {
            const std::uint64_t cur = v.cur + n;
            s.decision.allowed = true;
            s.decision.remaining = remaining(prev_weight, budget, w, cur);
            s.decision.reset_after = reset(v.prev, cur, v.into, w);
            s.state = pack(v.index, cur, v.prev);
            s.write = n != 0;
            return s;
        }
        s.decision.remaining = remaining(prev_weight, budget, w, v.cur);
        s.decision.reset_after = reset(v.prev, v.cur, v.into, w);
        s.decision.retry_after = n > p.limit ? rate_decision::never : wait(v, n, p);
        return s;
    }

    [[nodiscard]] static constexpr std::uint64_t
    release(std::uint64_t state, std::uint64_t now, const params& p, std::uint64_t n) noexcept {
        if (p.unlimited != 0) {
            return state;
        }
        const std::uint64_t index = now / p.window;
        const std::uint64_t age = (index - (state >> 40)) & mask24;
        std::uint64_t cur = (state >> 20) & mask20;
        std::uint64_t prev = state & mask20;
        if (age == 0) {
            cur -= std::min(cur, n); // charged in this window
        } else if (age == 1) {
            prev = cur - std::min(cur, n); // charged in the window that is now the previous one
            cur = 0;
        } else {
            return state;
        }
        return pack(index, cur, prev);
    }

    [[nodiscard]] static constexpr bool is_idle(std::uint64_t state, std::uint64_t now,
                                                const params& p) noexcept {
        const view v = current(state, now, p);
        return v.cur == 0 && v.prev == 0;
    }

private:
    __extension__ using u128 = unsigned __int128;
    static constexpr std::uint64_t mask20 = (std::uint64_t{1} << 20) - 1;
    static constexpr std::uint64_t mask24 = (std::uint64_t{1} << 24) - 1;

    struct view {
        std::uint64_t index; ///< current window number
        std::uint64_t into;  ///< ns since the current window began
        std::uint64_t cur;
        std::uint64_t prev;
    };

    static constexpr view current(std::uint64_t state, std::uint64_t now,
                                  const params& p) noexcept {
        const std::uint64_t index = now / p.window;
        const std::uint64_t age = (index - (state >> 40)) & mask24;
        const std::uint64_t cur = (state >> 20) & mask20;
        const std::uint64_t prev = state & mask20;
        view v{index, now - index * p.window, 0, 0};
        if (age == 0) {
            v.cur = cur;
            v.prev = prev;
        } else if (age == 1) {
            v.prev = cur;
        }
        return v;
    }

    static constexpr std::uint64_t pack(std::uint64_t index, std::uint64_t cur,
                                        std::uint64_t prev) noexcept {
        return ((index & mask24) << 40) | (cur << 20) | prev;
    }

    static constexpr std::uint64_t remaining(u128 prev_weight, u128 budget, std::uint64_t w,
                                             std::uint64_t cur) noexcept {
        const u128 used = prev_weight + u128{cur} * w;
        return used >= budget ? 0 : static_cast<std::uint64_t>((budget - used) / w);
    }

    // Until neither window's count weighs on the estimate any more.
    static constexpr duration reset(std::uint64_t prev, std::uint64_t cur, std::uint64_t into,
                                    std::uint64_t w) noexcept {
        if (cur > 0) {
            return duration{static_cast<duration::rep>(2 * w - into)};
        }
        return prev > 0 ? duration{static_cast<duration::rep>(w - into)} : duration{};
    }

    // Earliest time the request fits if nothing else arrives: the previous count's weight shrinks
    // as the window slides; at the next boundary the current count becomes the previous one.
    static constexpr duration wait(const view& v, std::uint64_t n, const params& p) noexcept {
        const std::uint64_t w = p.window;
        if (v.cur + n <= p.limit) {
            // need prev·(w − into') ≤ (limit − cur − n)·w, i.e. into' ≥ w − free·w/prev
            const u128 free_w = u128{p.limit - v.cur - n} * w;
            const u128 left_max = free_w / v.prev; // prev > 0 here, or it would have fit
            const std::uint64_t into_needed = w - static_cast<std::uint64_t>(left_max);
            return duration{static_cast<duration::rep>(into_needed - v.into)};
        }
        // next window: prev' = cur; need cur·(w − into') ≤ (limit − n)·w
        const std::uint64_t to_next = w - v.into;
        if (v.cur == 0) {
            return duration{static_cast<duration::rep>(to_next)};
        }
        const u128 free_w = u128{p.limit - n} * w;
        const u128 left_max = free_w / v.cur;
        const std::uint64_t into_needed =
            left_max >= w ? 0 : w - static_cast<std::uint64_t>(left_max);
        return duration{static_cast<duration::rep>(to_next + into_needed)};
    }
};

} // namespace bulwark

#endif
