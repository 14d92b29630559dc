#ifndef BULWARK_TELEMETRY_HPP
#define BULWARK_TELEMETRY_HPP

// Umbrella header of bulwark::telemetry: JSON logging on spdlog, Prometheus instruments.

#include <bulwark/core.hpp>
#include <bulwark/telemetry/log/hmac_sha256.hpp>
#include <bulwark/telemetry/log/json_formatter.hpp>
#include <bulwark/telemetry/log/json_logger.hpp>
#include <bulwark/telemetry/log/log_context.hpp>
#include <bulwark/telemetry/log/log_field.hpp>
#include <bulwark/telemetry/metrics/build_info.hpp>
#include <bulwark/telemetry/metrics/component_metrics.hpp>
#include <bulwark/telemetry/metrics/metric_names.hpp>
#include <bulwark/telemetry/metrics/metrics_registry.hpp>
#include <bulwark/telemetry/metrics/striped.hpp>

#endif
