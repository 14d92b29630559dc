// One log call, formatted and handed to a sink that formats and discards (so the formatting
// cost is measured and no I/O is): bulwark's JSON line with six typed fields and redaction of
// the message and every string field, against spdlog's own pattern-formatted line with the
// same six values in the message, in the same binary. Also the async modes of both: the
// caller's cost only.
#include <bulwark/telemetry/log/json_logger.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <mutex>

namespace {

// Formats every message (what a file sink does before writing) and throws the bytes away.
template <class Mutex>
class formatting_null_sink final : public spdlog::sinks::base_sink<Mutex> {
public:
    std::size_t bytes = 0;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t buf;
        this->formatter_->format(msg, buf);
        bytes += buf.size();
        benchmark::DoNotOptimize(buf.data());
    }
    void flush_() override {}
};

// The six fields both JSON benchmarks log; the spdlog ones put the same values in the message.
void log_request(bulwark::telemetry::json_logger& log) {
    log.info("request served", {{"method", "GET"},
                                {"route", "/orders/{id}"},
                                {"status", 200},
                                {"duration_ms", 12.5},
                                {"bytes", 5120},
                                {"user", "u-42"}});
}

void bm_spdlog_pattern_line(benchmark::State& state) {
    auto sink = std::make_shared<formatting_null_sink<spdlog::details::null_mutex>>();
    spdlog::logger logger{"app", sink}; // spdlog's default pattern
    for (auto _ : state) {
        logger.info("request served method={} route={} status={} duration_ms={} bytes={} user={}",
                    "GET", "/orders/{id}", 200, 12.5, 5120, "u-42");
    }
    state.counters["line_bytes"] =
        static_cast<double>(sink->bytes) / static_cast<double>(state.iterations());
}
BENCHMARK(bm_spdlog_pattern_line);

void run_json(benchmark::State& state, bool redact) {
    auto sink = std::make_shared<formatting_null_sink<spdlog::details::null_mutex>>();
    bulwark::telemetry::json_logger log{{.sinks = {sink}, .redact = redact}};
    for (auto _ : state) {
        log_request(log);
    }
    state.counters["line_bytes"] =
        static_cast<double>(sink->bytes) / static_cast<double>(state.iterations());
}

void bm_json_logger_line(benchmark::State& state) {
    run_json(state, true);
}
BENCHMARK(bm_json_logger_line);

void bm_json_logger_line_no_redaction(benchmark::State& state) {
    run_json(state, false);
}
BENCHMARK(bm_json_logger_line_no_redaction);

// Caller-side cost of the async modes (the worker formats/writes on the other core).
void bm_spdlog_async_pattern_line(benchmark::State& state) {
    auto sink = std::make_shared<formatting_null_sink<std::mutex>>();
    auto pool = std::make_shared<spdlog::details::thread_pool>(8192, 1);
    auto logger = std::make_shared<spdlog::async_logger>(
        "app", sink, pool, spdlog::async_overflow_policy::overrun_oldest);
    for (auto _ : state) {
        logger->info("request served method={} route={} status={} duration_ms={} bytes={} user={}",
                     "GET", "/orders/{id}", 200, 12.5, 5120, "u-42");
    }
}
BENCHMARK(bm_spdlog_async_pattern_line);

void bm_json_logger_async_line(benchmark::State& state) {
    auto sink = std::make_shared<formatting_null_sink<std::mutex>>();
    bulwark::telemetry::json_logger log{{.sinks = {sink}, .queue_capacity = 8192}};
    for (auto _ : state) {
        log_request(log);
    }
    state.counters["dropped"] = static_cast<double>(log.stats().dropped_queue_full);
}
BENCHMARK(bm_json_logger_async_line);

} // namespace
