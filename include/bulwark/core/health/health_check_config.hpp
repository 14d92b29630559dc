#ifndef BULWARK_CORE_HEALTH_HEALTH_CHECK_CONFIG_HPP
#define BULWARK_CORE_HEALTH_HEALTH_CHECK_CONFIG_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bulwark {

/// The group Kubernetes' livenessProbe asks: is the process able to make progress at all?
/// A failure gets the container restarted, so put only checks of the process itself here.
inline constexpr std::string_view liveness_group = "liveness";
/// The group the readinessProbe asks: should this instance receive traffic now? A failure takes
/// it out of the Service's endpoints; dependencies belong here.
inline constexpr std::string_view readiness_group = "readiness";
/// The group the startupProbe asks: has the instance finished starting? Until it has passed
/// once, liveness and readiness report `fail` (see health_registry).
inline constexpr std::string_view startup_group = "startup";

/// How one health check is registered and scheduled.
struct health_check_config {
    /// Unique name, the key of the check in health+json: letters, digits, '_', '-', '.', with
    /// at most one ':' separating the draft's component name and measurement name
    /// ("postgres:responseTime"). 1 to 128 characters. No default: must be set.
    std::string name = {};
    /// The groups the check contributes to. Default: readiness only. Custom names are allowed
    /// (same character set as `name`, no ':'). Must not be empty.
    std::vector<std::string> groups = {std::string{readiness_group}};
    /// A failing non-critical check degrades its groups to `warn` instead of `fail`.
    /// Default true.
    bool critical = true;
    /// How long one run may take; a run still going then counts as `fail`. Default 1 s, the
    /// Kubernetes probe timeout. Must be positive.
    duration timeout = std::chrono::seconds{1};
    /// Time between the starts of two runs. Default 10 s, the Kubernetes probe period. A run
    /// that outlives the interval delays the next (runs never overlap). Must be positive and
    /// at least `timeout`.
    duration interval = std::chrono::seconds{10};
    /// The draft's "componentType": "component", "datastore", "system" or a URI. Default
    /// "component". Empty: omitted.
    std::string component_type = "component";
    /// The draft's "componentId": which instance of the component (a host:port, a pool name).
    /// Default empty: omitted.
    std::string component_id = {};
};

/// True when `group` is a valid group name: 1 to 128 of [A-Za-z0-9_.-].
[[nodiscard]] BULWARK_CORE_API bool valid_health_group(std::string_view group) noexcept;

/**
 * Checks `c`: the name and group grammar, a non-empty group list without repeats, positive
 * timeout and interval, `timeout <= interval`.
 *
 * @return error::invalid_config with `issue` naming the field, e.g.
 *         "health_check_config.timeout", or an empty error_code.
 */
[[nodiscard]] BULWARK_CORE_API std::error_code validate(const health_check_config& c,
                                                        config_issue* issue = nullptr) noexcept;

} // namespace bulwark

#endif
