#include <bulwark/telemetry/log/json_logger.hpp>
#include <bulwark/telemetry/log/log_context.hpp>

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "json_line.hpp"

namespace bulwark::telemetry {

namespace {

constexpr std::array<std::string_view, 7> level_names = {"trace", "debug",    "info", "warn",
                                                         "error", "critical", "off"};

thread_local const log_context* current_context = nullptr;

spdlog::level::level_enum to_spdlog(log_level l) noexcept {
    return static_cast<spdlog::level::level_enum>(static_cast<int>(l));
}

// What each sink gets: the finished line, as it is.
class raw_line_formatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        dest.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
        dest.push_back('\n');
    }
    [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<raw_line_formatter>();
    }
};

} // namespace

std::string_view to_string(log_level level) noexcept {
    const auto i = static_cast<std::size_t>(level);
    return i < level_names.size() ? level_names[i] : std::string_view{};
}

const log_context* current_log_context() noexcept {
    return current_context;
}

scoped_log_context::scoped_log_context(const log_context* context) noexcept
    : previous_{current_context} {
    current_context = context;
}

scoped_log_context::~scoped_log_context() {
    current_context = previous_;
}

std::error_code validate(const json_logger_config& c, config_issue* issue) noexcept {
    if (c.name.empty() || c.name.size() > 64) {
        return invalid_config(issue, "json_logger_config.name", "must be 1-64 bytes");
    }
    if (c.level > log_level::critical) {
        return invalid_config(issue, "json_logger_config.level", "must be trace to critical");
    }
    for (const auto& s : c.sinks) {
        if (!s) {
            return invalid_config(issue, "json_logger_config.sinks", "must not hold a null sink");
        }
    }
    if (c.drop_report_interval < std::chrono::milliseconds{1}) {
        return invalid_config(issue, "json_logger_config.drop_report_interval",
                              "must be at least 1 ms");
    }
    if (c.max_value_bytes < 64) {
        return invalid_config(issue, "json_logger_config.max_value_bytes", "must be at least 64");
    }
    if (const auto ec = validate(c.redaction, issue)) {
        if (issue != nullptr) {
            // The field as the user spells it in this config (static strings, as config_issue
            // requires).
            static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> names = {
                {
                    {"redactor_config.pseudonymizer", "json_logger_config.redaction.pseudonymizer"},
                    {"redactor_config.extra_secret_keys",
                     "json_logger_config.redaction.extra_secret_keys"},
                    {"redactor_config.allowlist", "json_logger_config.redaction.allowlist"},
                    {"redactor_config.custom", "json_logger_config.redaction.custom"},
                    {"redactor_config.custom.name", "json_logger_config.redaction.custom.name"},
                    {"redactor_config.custom.prefix", "json_logger_config.redaction.custom.prefix"},
                    {"redactor_config.custom.body_chars",
                     "json_logger_config.redaction.custom.body_chars"},
                    {"redactor_config.custom.max_length",
                     "json_logger_config.redaction.custom.max_length"},
                    {"redactor_config.pseudonym_hex_chars",
                     "json_logger_config.redaction.pseudonym_hex_chars"},
                    {"redactor_config.ipv4_prefix_bits",
                     "json_logger_config.redaction.ipv4_prefix_bits"},
                    {"redactor_config.ipv6_prefix_bits",
                     "json_logger_config.redaction.ipv6_prefix_bits"},
                }};
            for (const auto& [from, to] : names) {
                if (issue->field == from) {
                    issue->field = to;
                }
            }
        }
        return ec;
    }
    return {};
}

namespace detail {

struct logger_state {
    explicit logger_state(json_logger_config c)
        : config(std::move(c)), redaction(config.redaction) {
        if (config.sinks.empty()) {
            config.sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
        }
        for (const auto& s : config.sinks) {
            s->set_formatter(std::make_unique<raw_line_formatter>());
        }
    }

    json_logger_config config;
    redactor redaction;

    std::atomic<std::uint64_t> written{0};
    std::atomic<std::uint64_t> dropped_queue_full{0};
    std::atomic<std::uint64_t> dropped_redaction{0};
    std::atomic<std::uint64_t> sink_errors{0};
    std::array<std::atomic<std::uint64_t>, max_redaction_detectors> redactions{};

    // Drop reports: the total already reported, and when.
    std::atomic<std::uint64_t> reported{0};
    std::atomic<std::int64_t> last_report_ns{0};

    // Async mode.
    std::mutex mutex;
    std::condition_variable wake;
    std::condition_variable drained;
    std::deque<std::pair<log_level, std::string>> queue;
    std::uint64_t enqueued = 0;
    std::uint64_t processed = 0;
    std::vector<std::string> spare; // written lines' buffers, reused by producers
    bool stopping = false;
    bool asleep = false; // the worker waits for a signal rather than polling
    std::thread worker;

    [[nodiscard]] log_stats stats() const noexcept {
        log_stats s;
        s.written = written.load(std::memory_order_relaxed);
        s.dropped_queue_full = dropped_queue_full.load(std::memory_order_relaxed);
        s.dropped_redaction = dropped_redaction.load(std::memory_order_relaxed);
        s.sink_errors = sink_errors.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < redactions.size(); ++i) {
            s.redactions[i] = redactions[i].load(std::memory_order_relaxed);
        }
        return s;
    }

    // Builds the line for the given parts into `out`; false when it must be dropped.
    // `counts` is the caller's per-thread tally (all zero on entry and on return): moved to
    // the shared counters only when something was redacted, so a clean line touches no shared
    // cache line.
    bool build(std::string& out, std::string& scratch, const detail::line_parts& parts,
               redaction_counts& counts) noexcept {
        try {
            const bool ok =
                detail::build_json_line(out, scratch, parts, config.redact ? &redaction : nullptr,
                                        config.max_value_bytes, counts);
            if (!ok) {
                // A dropped line hid nothing from any reader: only written lines count.
                counts = redaction_counts{};
                dropped_redaction.fetch_add(1, std::memory_order_relaxed);
                return false;
            }
            if (counts.total() != 0) {
                for (std::size_t i = 0; i < counts.by_detector.size(); ++i) {
                    if (counts.by_detector[i] != 0) {
                        redactions[i].fetch_add(counts.by_detector[i], std::memory_order_relaxed);
                        counts.by_detector[i] = 0;
                    }
                }
            }
            return true;
        } catch (...) {
            // Out of memory while building: the line cannot be written safely. What this line
            // counted must not be added to the next line's logger.
            counts = redaction_counts{};
            dropped_redaction.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
    }

    // `time` is the line's own: the three-argument log_msg would read the clock again.
    void write(std::chrono::system_clock::time_point time, log_level level,
               std::string_view line) noexcept {
        const spdlog::details::log_msg msg{
            time, spdlog::source_loc{},
            spdlog::string_view_t{config.name.data(), config.name.size()}, to_spdlog(level),
            spdlog::string_view_t{line.data(), line.size()}};
        for (const auto& s : config.sinks) {
            try {
                if (s->should_log(msg.level)) {
                    s->log(msg);
                }
            } catch (...) {
                sink_errors.fetch_add(1, std::memory_order_relaxed);
            }
        }
        written.fetch_add(1, std::memory_order_relaxed);
    }

    // Writes a warning line when lines were dropped since the last report and the interval
    // has passed. One caller wins the report; the others go on.
    // Builds, redacts and writes (or enqueues) one line with the given buffers.
    void emit(const detail::line_parts& parts, std::string& line, std::string& scratch,
              redaction_counts& counts) noexcept {
        line.clear();
        if (!build(line, scratch, parts, counts)) {
            if (config.queue_capacity == 0) {
                report_drops(parts.time); // async drops are reported by the worker, the only writer
            }
            return;
        }
        if (config.queue_capacity == 0) {
            write(parts.time, parts.level, line);
        } else {
            enqueue(parts.level, line);
        }
        if (line.capacity() > 65536) {
            std::string{}.swap(line); // one huge line does not pin its buffer forever
            std::string{}.swap(scratch);
        }
        if (config.queue_capacity == 0) {
            report_drops(parts.time);
        }
    }

    [[gnu::noinline]] void emit_nested(const detail::line_parts& parts) noexcept {
        std::string line;
        std::string scratch;
        redaction_counts counts;
        emit(parts, line, scratch, counts);
    }

    // Async: hands over a copy of the line in a recycled buffer.
    void enqueue(log_level level, const std::string& line) noexcept {
        bool signal = false;
        try {
            const std::lock_guard lock{mutex};
            if (queue.size() >= config.queue_capacity) {
                dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
            } else {
                std::string copy;
                if (!spare.empty()) {
                    copy = std::move(spare.back());
                    spare.pop_back();
                }
                copy.assign(line);
                queue.emplace_back(level, std::move(copy));
                ++enqueued;
                signal = asleep || queue.size() >= config.queue_capacity / 2;
            }
        } catch (...) {
            dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
        }
        if (signal) {
            wake.notify_one();
        }
    }

    void report_drops(std::chrono::system_clock::time_point now) noexcept {
        const std::uint64_t total = dropped_queue_full.load(std::memory_order_relaxed) +
                                    dropped_redaction.load(std::memory_order_relaxed);
        std::uint64_t seen = reported.load(std::memory_order_relaxed);
        if (total == seen) {
            return;
        }
        const auto now_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
        auto last = last_report_ns.load(std::memory_order_relaxed);
        const auto interval =
            std::chrono::duration_cast<std::chrono::nanoseconds>(config.drop_report_interval)
                .count();
        if (last != 0 && now_ns - last < interval) {
            return;
        }
        if (!last_report_ns.compare_exchange_strong(last, now_ns, std::memory_order_relaxed)) {
            return;
        }
        seen = reported.exchange(total, std::memory_order_relaxed);
        try {
            const std::array<log_field, 2> fields = {log_field{"dropped", total - seen},
                                                     log_field{"dropped_total", total}};
            std::string line;
            std::string scratch;
            const detail::line_parts parts{
                now, log_level::warn, config.name, "log lines dropped", nullptr, fields};
            redaction_counts unused;
            if (detail::build_json_line(line, scratch, parts, nullptr, config.max_value_bytes,
                                        unused)) {
                write(now, log_level::warn, line);
            }
        } catch (...) {
            // The report is best effort; the counters still hold the truth.
        }
    }

    // The worker writes in batches. While lines keep coming it polls every millisecond, so
    // producers never signal it (a futex wake per line would cost more than the line); once
    // a poll finds nothing it sleeps until a producer finds it asleep, or the drop-report
    // interval passes. Written strings go back to `spare` with their capacity, so a steady
    // stream of lines allocates nothing.
    void run_worker() {
        std::deque<std::pair<log_level, std::string>> batch;
        std::unique_lock lock{mutex};
        bool idle = false;
        for (;;) {
            if (queue.empty() && !stopping) {
                if (idle) {
                    asleep = true;
                    wake.wait_for(lock, config.drop_report_interval,
                                  [this] { return stopping || !queue.empty(); });
                    asleep = false;
                } else {
                    wake.wait_for(lock, std::chrono::milliseconds{1}, [this] { return stopping; });
                }
            }
            batch.swap(queue);
            const bool stop = stopping;
            lock.unlock();
            idle = batch.empty();
            const auto now = std::chrono::system_clock::now();
            for (const auto& [level, line] : batch) {
                write(now, level, line);
            }
            const auto n = batch.size();
            report_drops(std::chrono::system_clock::now());
            lock.lock();
            for (auto& entry : batch) {
                if (spare.size() < config.queue_capacity && entry.second.capacity() <= 4096) {
                    entry.second.clear();
                    spare.push_back(std::move(entry.second));
                }
            }
            batch.clear();
            processed += n;
            drained.notify_all();
            if (stop && queue.empty()) {
                return;
            }
        }
    }
};

} // namespace detail

json_logger::json_logger(json_logger_config config) {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue);
    }
    level_.store(static_cast<std::uint8_t>(config.level), std::memory_order_relaxed);
    state_ = std::make_shared<detail::logger_state>(std::move(config));
    if (state_->config.queue_capacity > 0) {
        state_->worker = std::thread{[s = state_.get()] { s->run_worker(); }};
    }
}

json_logger::~json_logger() {
    if (state_->worker.joinable()) {
        {
            const std::lock_guard lock{state_->mutex};
            state_->stopping = true;
        }
        state_->wake.notify_one();
        state_->worker.join();
    }
    for (const auto& s : state_->config.sinks) {
        try {
            s->flush();
        } catch (...) {
        }
    }
}

void json_logger::log(log_level level, std::string_view message,
                      std::initializer_list<log_field> fields) noexcept {
    if (should_log(level)) {
        log(current_context, level, message, fields);
    }
}

void json_logger::log(const log_context* context, log_level level, std::string_view message,
                      std::span<const log_field> fields) noexcept {
    if (!should_log(level)) {
        return;
    }
    auto& s = *state_;
    const auto now = std::chrono::system_clock::now();
    const detail::line_parts parts{now, level, s.config.name, message, context, fields};
    // Per-thread buffers, so a steady stream of calls allocates nothing. A call made while
    // another is running on this thread (a sink, a validator or a keyed hash that logs) gets
    // its own, or it would overwrite the line the outer call is writing.
    struct buffers {
        bool busy = false;
        std::string line;
        std::string scratch;
        redaction_counts counts;
    };
    thread_local buffers tl;
    if (tl.busy) [[unlikely]] {
        s.emit_nested(parts);
        return;
    }
    tl.busy = true;
    s.emit(parts, tl.line, tl.scratch, tl.counts);
    tl.busy = false;
}

void json_logger::flush() {
    auto& s = *state_;
    if (s.worker.joinable()) {
        std::unique_lock lock{s.mutex};
        const auto target = s.enqueued;
        s.wake.notify_one();
        s.drained.wait(lock, [&] { return s.processed >= target; });
    }
    for (const auto& sink : s.config.sinks) {
        sink->flush();
    }
}

log_stats json_logger::stats() const noexcept {
    return state_->stats();
}

std::function<log_stats()> json_logger::stats_reader() const {
    return [s = std::shared_ptr<const detail::logger_state>{state_}] { return s->stats(); };
}

const redactor& json_logger::redaction() const noexcept {
    return state_->redaction;
}

std::string_view json_logger::name() const noexcept {
    return state_->config.name;
}

} // namespace bulwark::telemetry
