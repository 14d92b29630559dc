#ifndef BULWARK_TELEMETRY_LOG_JSON_FORMATTER_HPP
#define BULWARK_TELEMETRY_LOG_JSON_FORMATTER_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/redact/redactor.hpp>

#include <spdlog/formatter.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace bulwark::telemetry {

/**
 * An spdlog formatter that writes bulwark's JSON line for messages logged through spdlog
 * itself (`spdlog::info("...")`, a library's own spdlog logger): the same `timestamp`,
 * `level`, `logger` and `message` members as `json_logger`, the message redacted, and the
 * calling thread's `log_context`. spdlog messages carry no structured fields; use
 * `json_logger` for those.
 *
 * `sink->set_formatter(std::make_unique<json_formatter>())` or
 * `logger->set_formatter(...)`. A message whose redaction fails is dropped (the sink gets an
 * empty buffer) and counted in `dropped()`.
 *
 * Behind an spdlog *async* logger the formatter runs on spdlog's worker thread, where the
 * request's `log_context` is not current: the context members are then missing.
 *
 * @par Thread Safety
 * `format` may run on several threads at once (clones share the redactor and the counter).
 */
class BULWARK_TELEMETRY_API json_formatter final : public spdlog::formatter {
public:
    /// @param redaction the redactor; null writes messages unredacted.
    /// @param max_value_bytes longest message kept (see json_logger_config).
    explicit json_formatter(
        std::shared_ptr<const redactor> redaction = std::make_shared<const redactor>(),
        std::size_t max_value_bytes = 16384);

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
    [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override;

    /// Messages dropped because their redaction failed, over this formatter and its clones.
    [[nodiscard]] std::uint64_t dropped() const noexcept {
        return dropped_->load(std::memory_order_relaxed);
    }

private:
    std::shared_ptr<const redactor> redaction_;
    std::size_t max_value_bytes_;
    std::shared_ptr<std::atomic<std::uint64_t>> dropped_;
};

} // namespace bulwark::telemetry

#endif
