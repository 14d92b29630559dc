#ifndef BULWARK_CORE_HEALTH_HEALTH_JSON_HPP
#define BULWARK_CORE_HEALTH_HEALTH_JSON_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/health/health_registry.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace bulwark {

/// The media type of the IETF draft "Health Check Response Format for HTTP APIs".
inline constexpr std::string_view health_json_media_type = "application/health+json";

/// The top-level fields of a detailed health+json body that describe the service. Empty
/// fields are omitted.
struct health_service_info {
    std::string version = {};     ///< "version": the public version, e.g. "1"
    std::string release_id = {};  ///< "releaseId": the build, e.g. "1.4.2" or a commit hash
    std::string service_id = {};  ///< "serviceId": a unique id of the service
    std::string description = {}; ///< "description": a human-friendly description
};

/**
 * Writes `report` as an `application/health+json` body.
 *
 * Without details the body is only `{"status":"pass"}` (or warn/fail): nothing about versions,
 * dependencies or errors reaches a public caller. With details it adds the service info, the
 * group's output when it has one ("starting", "draining"), and "checks": one key per check
 * (its name, conventionally "component:measurement"), each an array with one object carrying
 * componentId, componentType, observedValue, observedUnit, status, time (RFC 3339, UTC,
 * milliseconds) and output, each only when it has a value. A `pass` result's output is
 * omitted, as the draft asks.
 *
 * @par Thread Safety
 * Reentrant.
 */
[[nodiscard]] BULWARK_CORE_API std::string
to_health_json(const group_report& report, const health_service_info& info, bool details);

/// Appends `t` as RFC 3339 UTC with milliseconds, e.g. "2026-11-23T07:45:46.123Z".
BULWARK_CORE_API void append_rfc3339(std::string& out, std::chrono::system_clock::time_point t);

} // namespace bulwark

#endif
