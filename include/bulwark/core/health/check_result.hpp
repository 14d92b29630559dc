#ifndef BULWARK_CORE_HEALTH_CHECK_RESULT_HPP
#define BULWARK_CORE_HEALTH_CHECK_RESULT_HPP

#include <bulwark/config.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark {

/**
 * The three states of the IETF draft "Health Check Response Format for HTTP APIs": `pass`
 * (healthy), `warn` (healthy, with concerns) and `fail` (unhealthy). The order is the
 * severity: aggregating takes the worst.
 */
enum class health_status : std::uint8_t {
    pass, ///< healthy: the endpoint answers 200
    warn, ///< healthy with concerns: still 200, so a load balancer keeps the instance
    fail, ///< unhealthy: the endpoint answers 503
};

/// "pass", "warn" or "fail"; "fail" for a value outside the enumeration.
[[nodiscard]] BULWARK_CORE_API std::string_view to_string(health_status s) noexcept;

/// The worse of two statuses.
[[nodiscard]] constexpr health_status worst(health_status a, health_status b) noexcept {
    return static_cast<std::uint8_t>(a) >= static_cast<std::uint8_t>(b) ? a : b;
}

/**
 * What one run of a health check observed: a status, an optional measurement and, for `warn`
 * and `fail`, a short output saying why.
 *
 * `output`, `observed_value` and `observed_unit` are details: the public endpoints never show
 * them (see docs/health.md, "What a probe sees"). Still, write outputs for operators, not
 * exception dumps.
 *
 * @code
 * return bulwark::check_result::warn("3 of 4 replicas reachable").observed(3, "replicas");
 * @endcode
 */
struct check_result {
    health_status status = health_status::fail;
    /// Why the check is not `pass` (the draft's "output"). Kept to 1024 bytes by the registry.
    std::string output = {};
    /// The measurement (the draft's "observedValue"); NaN and infinities are dropped.
    std::optional<double> observed_value = {};
    /// Its unit (the draft's "observedUnit"), e.g. "ms", "bytes", "percent".
    std::string observed_unit = {};

    [[nodiscard]] static check_result pass() { return {health_status::pass}; }
    [[nodiscard]] static check_result warn(std::string why) {
        return {health_status::warn, std::move(why)};
    }
    [[nodiscard]] static check_result fail(std::string why) {
        return {health_status::fail, std::move(why)};
    }
    /// Attaches a measurement; returns *this so it chains after pass()/warn()/fail().
    check_result&& observed(double value, std::string unit) && {
        observed_value = value;
        observed_unit = std::move(unit);
        return std::move(*this);
    }
    check_result& observed(double value, std::string unit) & {
        observed_value = value;
        observed_unit = std::move(unit);
        return *this;
    }
};

} // namespace bulwark

#endif
