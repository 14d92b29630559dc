#ifndef BULWARK_SRC_TELEMETRY_LOG_JSON_LINE_HPP
#define BULWARK_SRC_TELEMETRY_LOG_JSON_LINE_HPP

#include <bulwark/core/redact/redactor.hpp>
#include <bulwark/telemetry/log/json_logger.hpp>
#include <bulwark/telemetry/log/log_context.hpp>
#include <bulwark/telemetry/log/log_field.hpp>

#include <chrono>
#include <span>
#include <string>
#include <string_view>

// The one place a JSON log line is built, shared by json_logger and json_formatter.
namespace bulwark::telemetry::detail {

/// Appends `"YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"` (quotes included) for `t`, in UTC. The
/// date-and-second prefix is cached per thread, so most calls only format the nanoseconds.
void append_timestamp(std::string& out, std::chrono::system_clock::time_point t);

struct line_parts {
    std::chrono::system_clock::time_point time;
    log_level level = log_level::info;
    std::string_view logger;
    std::string_view message;
    const log_context* context = nullptr;
    std::span<const log_field> fields;
};

/**
 * Appends one JSON object (no newline) for `p` to `out`. Strings are redacted with `r` (when
 * not null) and cut to `max_value_bytes`; `scratch` is working space. Returns false, leaving
 * `out` unspecified, when redaction failed: the caller must drop the line.
 */
[[nodiscard]] bool build_json_line(std::string& out, std::string& scratch, const line_parts& p,
                                   const redactor* r, std::size_t max_value_bytes,
                                   redaction_counts& counts);

} // namespace bulwark::telemetry::detail

#endif
