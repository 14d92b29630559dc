#ifndef BULWARK_TELEMETRY_METRICS_BUILD_INFO_HPP
#define BULWARK_TELEMETRY_METRICS_BUILD_INFO_HPP

#include <bulwark/config.hpp>
#include <bulwark/telemetry/metrics/metric_names.hpp>

#include <string_view>

namespace prometheus {
class Registry;
}

namespace bulwark::telemetry {

/// Name of the info gauge registered by register_build_info().
inline constexpr std::string_view build_info_metric = metric_names::build_info;

/**
 * Registers the gauge `bulwark_build_info{version="X.Y.Z"} 1` in `registry`.
 *
 * The Prometheus "info metric" idiom: a constant 1 whose label tells dashboards and alerts which
 * bulwark version a process runs (joined on instance with other series). The version is the
 * linked library's, bulwark::version().
 *
 * Idempotent: calling it again on the same registry returns the same series.
 *
 * @par Thread Safety
 * As prometheus::Registry: concurrent calls on one registry are safe.
 */
BULWARK_TELEMETRY_API void register_build_info(prometheus::Registry& registry);

} // namespace bulwark::telemetry

#endif
