#ifndef BULWARK_TELEMETRY_LOG_JSON_LOGGER_HPP
#define BULWARK_TELEMETRY_LOG_JSON_LOGGER_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/redact/redactor.hpp>
#include <bulwark/core/redact/redactor_config.hpp>
#include <bulwark/telemetry/log/log_context.hpp>
#include <bulwark/telemetry/log/log_field.hpp>

#include <spdlog/common.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bulwark::telemetry {

/// Severity, in spdlog's order and with its names: "trace" ... "critical".
enum class log_level : std::uint8_t { trace, debug, info, warn, error, critical, off };

/// "trace", "debug", "info", "warn", "error", "critical", "off".
[[nodiscard]] BULWARK_TELEMETRY_API std::string_view to_string(log_level level) noexcept;

/// Configuration of a `json_logger`.
struct json_logger_config {
    /// The `logger` member of every line. Default "app".
    std::string name = "app";

    /// Lines below this level are skipped before any work. Default info. Changeable later
    /// with `json_logger::set_level`.
    log_level level = log_level::info;

    /// Where lines go: any spdlog sinks (files, rotating files, syslog, stdout). The logger
    /// replaces each sink's formatter with one that writes the finished line as it is. In
    /// synchronous mode several threads write at once, so use the `_mt` sinks. Default: one
    /// `stdout_sink_mt`.
    std::vector<spdlog::sink_ptr> sinks = {};

    /// The redactor applied to the message, every string field and the context's client_ip
    /// and user_id before any sink sees them. Default: every detector, masking.
    redactor_config redaction = {};

    /// Whether to redact. Default true; false is for tests and for lines known to hold no
    /// user input.
    bool redact = true;

    /// Lines held by the async queue; 0 writes synchronously on the calling thread. When the
    /// queue is full a line is dropped and counted, never blocking the caller. Default 0.
    std::size_t queue_capacity = 0;

    /// How often a warning line reports lines dropped since the last report (async overflow
    /// or redaction failure). Default 10 s; at least 1 ms.
    std::chrono::milliseconds drop_report_interval = std::chrono::seconds{10};

    /// Longest message or string field value in bytes; longer ones are cut (at a UTF-8
    /// boundary) and end with "...(truncated)". Default 16384; at least 64.
    std::size_t max_value_bytes = 16384;
};

/// Checks `c`: name 1-64 bytes, a level that is not `off`, non-null sinks, the redaction
/// config, drop_report_interval, max_value_bytes.
[[nodiscard]] BULWARK_TELEMETRY_API std::error_code
validate(const json_logger_config& c, config_issue* issue = nullptr) noexcept;

/// What a `json_logger` did since it was built. Counters only grow.
struct log_stats {
    std::uint64_t written = 0;            ///< lines handed to the sinks
    std::uint64_t dropped_queue_full = 0; ///< async lines dropped because the queue was full
    std::uint64_t dropped_redaction = 0;  ///< lines dropped because redaction failed
    std::uint64_t sink_errors = 0;        ///< lines a sink refused (it threw, e.g. disk full)
    std::array<std::uint64_t, max_redaction_detectors>
        redactions{}; ///< values redacted in lines that were written, by detector

    [[nodiscard]] std::uint64_t dropped() const noexcept {
        return dropped_queue_full + dropped_redaction;
    }
};

namespace detail {
struct logger_state;
} // namespace detail

/**
 * A structured JSON logger on spdlog sinks, with redaction built in.
 *
 * Each call writes one line:
 * `{"timestamp":"2026-11-23T10:15:32.123456789Z","level":"info","logger":"app","message":"…",`
 * then the current `log_context` members that are set, then the call's fields, `}`.
 * - The timestamp is RFC 3339 in UTC with nanoseconds.
 * - Every string is escaped, and invalid UTF-8 is replaced by U+FFFD, so whatever the input,
 *   the line parses as JSON.
 * - Redaction: the message and string fields are redacted; a field whose *name* is sensitive
 *   (`redactor::sensitive_field`: password, token, ...) is masked whole, whatever its type.
 * - It fails closed. When redaction cannot complete, the line is dropped and counted, never
 *   written unredacted.
 * - Async mode (`queue_capacity` > 0): the caller formats and redacts, then a worker thread
 *   writes. A full queue drops the line and counts it. A periodic warning line reports the
 *   drops, and `telemetry::instrument` exports them as `bulwark_log_messages_dropped_total`.
 *
 * @par Thread Safety
 * Every member function may be called from any number of threads at once.
 */
class BULWARK_TELEMETRY_API json_logger {
public:
    /// @throws std::system_error(error::invalid_config) naming the field `validate` rejected.
    explicit json_logger(json_logger_config config = {});
    json_logger(const json_logger&) = delete;
    json_logger& operator=(const json_logger&) = delete;
    /// Writes what the queue holds, then stops the worker.
    ~json_logger();

    [[nodiscard]] bool should_log(log_level level) const noexcept {
        return static_cast<std::uint8_t>(level) >= level_.load(std::memory_order_relaxed);
    }
    void set_level(log_level level) noexcept {
        level_.store(static_cast<std::uint8_t>(level), std::memory_order_relaxed);
    }

    /// Writes one line (see the class comment). Never throws; a line that cannot be built is
    /// dropped and counted.
    void log(log_level level, std::string_view message,
             std::initializer_list<log_field> fields = {}) noexcept;
    /// Same, with the context given rather than the thread's current one (nullptr: none).
    void log(const log_context* context, log_level level, std::string_view message,
             std::initializer_list<log_field> fields = {}) noexcept {
        log(context, level, message, std::span<const log_field>{fields.begin(), fields.size()});
    }
    /// Same, with fields built at run time.
    void log(const log_context* context, log_level level, std::string_view message,
             std::span<const log_field> fields) noexcept;

    void trace(std::string_view m, std::initializer_list<log_field> f = {}) noexcept {
        log(log_level::trace, m, f);
    }
    void debug(std::string_view m, std::initializer_list<log_field> f = {}) noexcept {
        log(log_level::debug, m, f);
    }
    void info(std::string_view m, std::initializer_list<log_field> f = {}) noexcept {
        log(log_level::info, m, f);
    }
    void warn(std::string_view m, std::initializer_list<log_field> f = {}) noexcept {
        log(log_level::warn, m, f);
    }
    void error(std::string_view m, std::initializer_list<log_field> f = {}) noexcept {
        log(log_level::error, m, f);
    }
    void critical(std::string_view m, std::initializer_list<log_field> f = {}) noexcept {
        log(log_level::critical, m, f);
    }

    /// Waits until every line logged before the call has reached the sinks, then flushes them.
    void flush();

    [[nodiscard]] log_stats stats() const noexcept;

    /// A reader of `stats()` that stays valid after the logger is gone (it then reads the
    /// final counts): what the metrics binding holds.
    [[nodiscard]] std::function<log_stats()> stats_reader() const;

    [[nodiscard]] const redactor& redaction() const noexcept;
    [[nodiscard]] std::string_view name() const noexcept;

private:
    std::atomic<std::uint8_t> level_;
    std::shared_ptr<detail::logger_state> state_;
};

} // namespace bulwark::telemetry

#endif
