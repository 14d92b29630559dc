#ifndef BULWARK_CORE_RATE_LIMIT_QUOTA_HPP
#define BULWARK_CORE_RATE_LIMIT_QUOTA_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>

#include <chrono>
#include <cstdint>
#include <system_error>

namespace bulwark {

/**
 * How much traffic a rate limiter admits: `count` requests per `period`, with a `burst`.
 *
 * Built with the named constructors and validated once, by the limiter that receives it:
 * @code
 * auto q = bulwark::quota::per_second(100).with_burst(20);
 * auto slow = bulwark::quota::per_minute(30);      // burst 30
 * auto half = bulwark::quota::per_second(0.5);     // one request every 2 s, burst 1
 * @endcode
 *
 * - GCRA (token bucket) limiters refill one token every `emission_interval()` = period / count,
 *   rounded to the nearest nanosecond, up to `burst()` tokens. The default burst is the count per
 *   period rounded down, at least 1.
 * - Window limiters admit `count` requests per window of length `period`; they need a whole
 *   count and take no separate burst.
 * - `quota::unlimited()` admits everything: an explicit choice, never a default.
 *
 * Invalid quotas (zero, negative, NaN or infinite rates, burst 0, intervals that do not fit the
 * nanosecond arithmetic) are rejected by validate(), which names the field.
 */
class quota {
public:
    /// `count` requests per second (fractional counts allowed: 0.5 is one every 2 s).
    [[nodiscard]] static constexpr quota per_second(double count) noexcept {
        return per(std::chrono::seconds{1}, count);
    }
    /// `count` requests per minute.
    [[nodiscard]] static constexpr quota per_minute(double count) noexcept {
        return per(std::chrono::minutes{1}, count);
    }
    /// `count` requests per hour.
    [[nodiscard]] static constexpr quota per_hour(double count) noexcept {
        return per(std::chrono::hours{1}, count);
    }
    /// `count` requests per `period`.
    [[nodiscard]] static constexpr quota per(duration period, double count) noexcept {
        quota q;
        q.period_ = period;
        q.count_ = count;
        return q;
    }
    /// A quota that admits every request. Limiters built with it never reject.
    [[nodiscard]] static constexpr quota unlimited() noexcept {
        quota q;
        q.unlimited_ = true;
        return q;
    }
    /// The same rate with an explicit burst: how many requests may arrive at once after a quiet
    /// period. Must be at least 1. GCRA limiters only.
    [[nodiscard]] constexpr quota with_burst(std::uint64_t burst) const noexcept {
        quota q = *this;
        q.burst_ = burst;
        q.burst_set_ = true;
        return q;
    }

    [[nodiscard]] constexpr bool is_unlimited() const noexcept { return unlimited_; }
    [[nodiscard]] constexpr duration period() const noexcept { return period_; }
    [[nodiscard]] constexpr double count() const noexcept { return count_; }
    /// Requests per second.
    [[nodiscard]] constexpr double rate() const noexcept {
        return count_ * 1e9 / static_cast<double>(period_.count());
    }
    /// True when with_burst() was called.
    [[nodiscard]] constexpr bool has_explicit_burst() const noexcept { return burst_set_; }
    /// The burst: as set by with_burst(), else the count per period rounded down, at least 1.
    [[nodiscard]] constexpr std::uint64_t burst() const noexcept {
        if (burst_set_) {
            return burst_;
        }
        return count_ >= 2.0 && count_ < 1.8e19 ? static_cast<std::uint64_t>(count_) : 1;
    }
    /// period / count rounded to the nearest nanosecond: the time one token takes to refill.
    /// Meaningful for valid, limited quotas only.
    [[nodiscard]] constexpr duration emission_interval() const noexcept {
        return duration{
            static_cast<duration::rep>(static_cast<double>(period_.count()) / count_ + 0.5)};
    }

    friend constexpr bool operator==(const quota&, const quota&) noexcept = default;

private:
    duration period_{std::chrono::seconds{1}};
    double count_ = 1.0;
    std::uint64_t burst_ = 0;
    bool burst_set_ = false;
    bool unlimited_ = false;
    // Explicit, zeroed padding: limiters copy quotas word by word (a seqlock), and std::bit_cast
    // of a type with indeterminate padding bits is undefined.
    std::uint8_t reserved_[6] = {};
};
static_assert(sizeof(quota) == 32);

/// Which limiter family a quota is validated for: window limiters need a whole count and no
/// burst, and the sliding window counts at most 2^20 - 1 requests per window.
enum class quota_use { token_bucket, fixed_window, sliding_window };

/**
 * Checks `q` for use by a limiter of kind `use`. Returns {} or error::invalid_config, with
 * `issue` (if given) naming the field ("quota.rate", "quota.period", "quota.burst") and what a
 * valid value is.
 *
 * @par Thread Safety
 * Reentrant.
 */
BULWARK_CORE_API std::error_code validate(const quota& q, quota_use use = quota_use::token_bucket,
                                          config_issue* issue = nullptr) noexcept;

} // namespace bulwark

#endif
