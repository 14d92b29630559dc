#ifndef BULWARK_CORE_RETRY_BACKOFF_HPP
#define BULWARK_CORE_RETRY_BACKOFF_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>

#include <chrono>
#include <cstdint>
#include <system_error>

namespace bulwark {

/**
 * How a backoff spreads retries in time (the AWS Architecture Blog, "Exponential Backoff and
 * Jitter"). With E = min(max, initial · multiplier^(retry−1)):
 * - `none`: E. Synchronised clients retry in waves; only for a single client.
 * - `full`: uniform in [0, E]. The least total work for a contended resource: the default.
 * - `equal`: E/2 + uniform in [0, E/2]. Never retries almost at once.
 * - `decorrelated`: min(max, uniform in [initial, 3 · previous delay]), independent of the retry
 *   number: grows like the exponential one, spread like full jitter.
 */
enum class jitter { none, full, equal, decorrelated };

/// Configuration of a backoff. Every field has a safe default.
struct backoff_config {
    /// Delay before the first retry (before jitter). Default 100 ms; must be positive.
    duration initial = std::chrono::milliseconds{100};
    /// Largest delay. Default 10 s; must be at least `initial`.
    duration max = std::chrono::seconds{10};
    /// Growth per retry. Default 2; must be finite and at least 1 (1: constant delay).
    double multiplier = 2.0;
    /// Spread. Default full jitter.
    jitter mode = jitter::full;
};

/**
 * Computes retry delays; pure: the caller passes the random number, so sequences are
 * reproducible with a seeded generator and the policy holds no state.
 *
 * @par Thread Safety
 * Immutable after construction; every member may be called concurrently.
 */
class backoff {
public:
    /// Throws std::system_error naming the field for an invalid config.
    BULWARK_CORE_API explicit backoff(backoff_config config = {});

    [[nodiscard]] BULWARK_CORE_API static std::error_code
    validate(const backoff_config& config, config_issue* issue = nullptr) noexcept;

    /**
     * The delay before retry number `retry` (1 for the first retry).
     *
     * @param previous the delay used before the previous retry (decorrelated jitter grows from
     *                 it; ignored otherwise; pass zero before the first retry)
     * @param u        a uniform random number in [0, 1); see unit_interval()
     */
    [[nodiscard]] BULWARK_CORE_API duration delay(unsigned retry, duration previous,
                                                  double u) const noexcept;

    /// A uniform number in [0, 1) from 64 random bits (the top 53), the same on every platform,
    /// unlike std::uniform_real_distribution.
    [[nodiscard]] static constexpr double unit_interval(std::uint64_t bits) noexcept {
        return static_cast<double>(bits >> 11) * 0x1.0p-53;
    }

    [[nodiscard]] const backoff_config& config() const noexcept { return config_; }

private:
    backoff_config config_;
};

} // namespace bulwark

#endif
