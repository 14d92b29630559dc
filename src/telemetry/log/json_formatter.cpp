#include <bulwark/telemetry/log/json_formatter.hpp>

#include <spdlog/details/log_msg.h>

#include "json_line.hpp"

namespace bulwark::telemetry {

json_formatter::json_formatter(std::shared_ptr<const redactor> redaction,
                               std::size_t max_value_bytes)
    : redaction_{std::move(redaction)}, max_value_bytes_{std::max<std::size_t>(max_value_bytes,
                                                                               64)},
      dropped_{std::make_shared<std::atomic<std::uint64_t>>(0)} {}

void json_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
    thread_local std::string line;
    thread_local std::string scratch;
    line.clear();
    const auto level =
        msg.level >= spdlog::level::off ? log_level::off : static_cast<log_level>(msg.level);
    const detail::line_parts parts{msg.time,
                                   level,
                                   {msg.logger_name.data(), msg.logger_name.size()},
                                   {msg.payload.data(), msg.payload.size()},
                                   current_log_context(),
                                   {}};
    redaction_counts counts;
    bool ok = false;
    try {
        ok = detail::build_json_line(line, scratch, parts, redaction_.get(), max_value_bytes_,
                                     counts);
    } catch (...) {
        ok = false;
    }
    if (!ok) {
        dropped_->fetch_add(1, std::memory_order_relaxed);
        return;
    }
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> json_formatter::clone() const {
    auto copy = std::make_unique<json_formatter>(redaction_, max_value_bytes_);
    copy->dropped_ = dropped_;
    return copy;
}

} // namespace bulwark::telemetry
