#ifndef BULWARK_CORE_RETRY_RETRY_BUDGET_HPP
#define BULWARK_CORE_RETRY_RETRY_BUDGET_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/rate_limit/detail/single_key_limiter.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <system_error>

namespace bulwark {

/// Configuration of a retry_budget. Every field has a safe default.
struct retry_budget_config {
    /// Retries allowed as a fraction of the requests in the window. Default 0.2 (the 20% of
    /// Finagle's and Envoy's budgets). 0 to 10, finite.
    double retry_ratio = 0.2;
    /// Retries per second allowed whatever the traffic, so a quiet client can still retry.
    /// Default 10. 0: only the ratio.
    std::uint32_t min_retries_per_second = 10;
    /// Requests and retries are counted over this window. Default 10 s; 1 s to 3600 s.
    std::chrono::seconds window = std::chrono::seconds{10};
};

/// What a retry_budget saw over its window.
struct retry_budget_snapshot {
    std::uint64_t requests = 0; ///< first attempts recorded
    std::uint64_t retries = 0;  ///< retries admitted
    std::uint64_t allowed = 0;  ///< retries the budget admits in total over the window
};

/**
 * Whether the fleet can afford a retry: retries are admitted while, over the last `window`,
 * retries < min_retries_per_second · window + retry_ratio · requests. During an outage every
 * request fails; without a budget each client multiplies the load by its max_attempts exactly
 * when the server can least take it. With the default 20% the extra load is capped at 1.2×.
 *
 * Counts are kept in one 64-bit atomic per second of the window (second number, requests,
 * retries), so record_request() is one CAS and try_acquire() reads `window` words.
 *
 * @par Thread Safety
 * Every member may be called concurrently. Racing try_acquire() calls may each see the last
 * free retry, so the budget can be exceeded by at most the number of concurrent callers.
 */
template <clock_source Clock = steady_clock_source>
class basic_retry_budget {
public:
    /// Throws std::system_error naming the field for an invalid config.
    explicit basic_retry_budget(retry_budget_config config = {}, Clock clock = Clock{})
        : config_{checked(config)}, clock_{std::move(clock)}, epoch_{clock_.now()},
          slots_{std::make_unique<std::atomic<std::uint64_t>[]>(
              static_cast<std::size_t>(config_.window.count()))} {}

    [[nodiscard]] static std::error_code validate(const retry_budget_config& c,
                                                  config_issue* issue = nullptr) noexcept {
        if (!std::isfinite(c.retry_ratio) || c.retry_ratio < 0.0 || c.retry_ratio > 10.0) {
            return invalid_config(issue, "retry_budget_config.retry_ratio",
                                  "must be between 0 and 10");
        }
        if (c.window < std::chrono::seconds{1} || c.window > std::chrono::seconds{3600}) {
            return invalid_config(issue, "retry_budget_config.window",
                                  "must be between 1 s and 3600 s");
        }
        return {};
    }

    /// Counts a first attempt (not a retry).
    void record_request(time_point now) noexcept { add(now, 1, 0); }
    void record_request() noexcept { record_request(clock_.now()); }

    /// Admits and counts one retry if the budget allows it.
    [[nodiscard]] bool try_acquire(time_point now) noexcept {
        const auto s = snapshot(now);
        if (s.retries >= s.allowed) {
            return false;
        }
        add(now, 0, 1);
        return true;
    }
    [[nodiscard]] bool try_acquire() noexcept { return try_acquire(clock_.now()); }

    [[nodiscard]] retry_budget_snapshot snapshot(time_point now) const noexcept {
        const std::uint64_t second = seconds_since_epoch(now);
        const auto window = static_cast<std::uint64_t>(config_.window.count());
        retry_budget_snapshot s;
        for (std::uint64_t i = 0; i < window; ++i) {
            const auto word = slots_[i].load(std::memory_order_relaxed);
            // A slot counts if its second lies within the window ending at `second`.
            if (((second - stamp(word)) & stamp_mask) < window) {
                s.requests += requests(word);
                s.retries += retries(word);
            }
        }
        // + 1e-9: 0.29 × 100 is 28.999999999999996 in binary floating point, and means 29
        s.allowed = static_cast<std::uint64_t>(config_.min_retries_per_second) * window +
                    static_cast<std::uint64_t>(
                        config_.retry_ratio * static_cast<double>(s.requests) + 1e-9);
        return s;
    }
    [[nodiscard]] retry_budget_snapshot snapshot() const noexcept { return snapshot(clock_.now()); }

    [[nodiscard]] const retry_budget_config& config() const noexcept { return config_; }

private:
    // Slot word: second number (16 bits, wrapping), requests (24 bits), retries (24 bits).
    static constexpr std::uint64_t stamp_mask = 0xFFFF;
    static constexpr std::uint64_t count_mask = 0xFFFFFF;
    static std::uint64_t stamp(std::uint64_t w) noexcept { return w >> 48; }
    static std::uint64_t requests(std::uint64_t w) noexcept { return (w >> 24) & count_mask; }
    static std::uint64_t retries(std::uint64_t w) noexcept { return w & count_mask; }

    static retry_budget_config checked(const retry_budget_config& c) {
        config_issue issue;
        if (validate(c, &issue)) {
            throw_invalid_config(issue);
        }
        return c;
    }

    std::uint64_t seconds_since_epoch(time_point now) const noexcept {
        return detail::since(epoch_, now) / 1'000'000'000u;
    }

    void add(time_point now, std::uint64_t req, std::uint64_t ret) noexcept {
        const std::uint64_t second = seconds_since_epoch(now);
        auto& slot = slots_[second % static_cast<std::uint64_t>(config_.window.count())];
        auto word = slot.load(std::memory_order_relaxed);
        for (;;) {
            // A slot left from an earlier lap of the ring starts again from zero.
            const bool current = stamp(word) == (second & stamp_mask);
            const std::uint64_t r = std::min(count_mask, (current ? requests(word) : 0) + req);
            const std::uint64_t t = std::min(count_mask, (current ? retries(word) : 0) + ret);
            const std::uint64_t next = ((second & stamp_mask) << 48) | (r << 24) | t;
            // Relaxed: the counts publish nothing but themselves.
            if (slot.compare_exchange_weak(word, next, std::memory_order_relaxed)) {
                return;
            }
        }
    }

    retry_budget_config config_;
    Clock clock_;
    time_point epoch_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> slots_;
};

/// basic_retry_budget on std::chrono::steady_clock.
using retry_budget = basic_retry_budget<>;

} // namespace bulwark

#endif
