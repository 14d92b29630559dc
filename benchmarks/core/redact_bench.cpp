// Redaction throughput on realistic 150-300 byte log lines, one core: lines without PII (the
// common case, which must cost next to nothing), lines with one to three PII values, and the
// naive baseline: a redactor built on std::regex with one pattern per detector, applied with
// std::regex_replace, which is what hand-written redaction usually looks like.
#include <bulwark/core/redact/redactor.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Lines as services write them: timestamps, ids, durations, versions, paths, hex digests.
const std::vector<std::string>& clean_lines() {
    static const std::vector<std::string> lines = {
        R"(2026-11-23T10:15:32.123456Z INFO order-service request completed order_id=84731 status=200 duration_ms=12.5 path=/api/v1/orders items=3 region=eu-west-1 version=3.11.4)",
        R"({"ts":"2026-11-23T10:15:32.123Z","level":"info","logger":"http","msg":"request served","method":"GET","route":"/api/v1/items/{id}","status":200,"duration_ms":3.2,"bytes":5120})",
        R"(203 GET /static/app.9f86d081884c7d65.js HTTP/1.1 200 48213 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" rt=0.004)",
        R"(2026-11-23 10:15:32,481 WARN  [pool-3-thread-7] c.e.billing.InvoiceJob - retrying invoice batch 20261123-0042 attempt=2 of 5 after 250ms backoff, queue_depth=17 lag_ms=1200)",
        R"(level=debug ts=2026-11-23T10:15:33Z caller=cache.go:142 msg="cache miss" key=user:profile:v2 shard=7 ttl=300s hit_ratio=0.934 trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7)",
        R"(kernel: [12345.678901] nvme0n1: p1 p2 p3; EXT4-fs (nvme0n1p2): mounted filesystem with ordered data mode. Quota mode: none. uuid=550e8400-e29b-41d4-a716-446655440000 took 42ms)",
    };
    return lines;
}

// The same kinds of lines carrying PII and secrets the redactor must replace.
const std::vector<std::string>& pii_lines() {
    static const std::vector<std::string> lines = {
        R"(2026-11-23T10:15:32.123456Z INFO checkout completed user=alice.smith@example.com card=4111 1111 1111 1111 amount=19.99 currency=EUR order_id=84731 duration_ms=12.5)",
        R"({"ts":"2026-11-23T10:15:32.123Z","level":"info","msg":"login","email":"bob@example.org","client_ip":"203.0.113.42","password":"hunter2","status":200,"duration_ms":3.2})",
        R"(203.0.113.42 - - [23/Nov/2026:10:15:32 +0000] "GET /callback?code=abc&access_token=ya29.a0AfH6SMBx HTTP/1.1" 200 512 "-" "curl/8.4.0" rt=0.004)",
        R"(2026-11-23 10:15:32,481 WARN  [pool-3-thread-7] c.e.payments.SepaJob - transfer to DE89370400440532013000 rejected, contact +44 20 7946 0958 ref=20261123-0042 attempt=2)",
        R"(level=debug ts=2026-11-23T10:15:33Z caller=auth.go:88 msg="token accepted" hdr="Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV" shard=7)",
        R"(audit: user 536-22-8731 updated profile from 2001:db8:85a3::8a2e:370:7334 with key AKIAIOSFODNN7EXAMPLE at 2026-11-23T10:15:34Z; changes=2 approved_by=ops took 42ms)",
    };
    return lines;
}

std::size_t total_bytes(const std::vector<std::string>& lines) {
    std::size_t n = 0;
    for (const auto& l : lines) {
        n += l.size();
    }
    return n;
}

// The naive redactor: one std::regex per detector, applied in turn.
class regex_redactor {
public:
    regex_redactor() {
        const std::array<std::pair<const char*, const char*>, 9> rules = {{
            {R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})", "[REDACTED:email]"},
            {R"(\b(?:\d[ -]?){12,18}\d\b)", "[REDACTED:card]"},
            {R"(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b)", "[REDACTED:iban]"},
            {R"(\+[1-9](?:[ .-]?\d){7,14}\b)", "[REDACTED:phone]"},
            {R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)", "[REDACTED:ipv4]"},
            {R"(\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*)", "[REDACTED:jwt]"},
            {R"(\b(?:AKIA|ASIA)[A-Z0-9]{16}\b)", "[REDACTED:aws_key]"},
            {R"(\b\d{3}-\d{2}-\d{4}\b)", "[REDACTED:ssn]"},
            {R"(((?:password|passwd|pwd|secret|token|api_key|apikey)["']?\s*[:=]\s*["']?)[^\s"'&,;]+)",
             "$1[REDACTED:secret]"},
        }};
        for (const auto& [pattern, replacement] : rules) {
            rules_.push_back(
                {std::regex{pattern, std::regex::ECMAScript | std::regex::optimize}, replacement});
        }
    }

    [[nodiscard]] std::string redact(const std::string& in) const {
        std::string s = in;
        for (const auto& [re, replacement] : rules_) {
            s = std::regex_replace(s, re, replacement);
        }
        return s;
    }

private:
    std::vector<std::pair<std::regex, std::string>> rules_;
};

void run_bulwark(benchmark::State& state, const std::vector<std::string>& lines) {
    const bulwark::redactor r;
    std::string out;
    std::size_t i = 0;
    std::size_t found = 0;
    for (auto _ : state) {
        const auto status = r.redact(lines[i], out);
        found += status == bulwark::redact_status::redacted ? 1U : 0U;
        benchmark::DoNotOptimize(status);
        benchmark::DoNotOptimize(out.data());
        i = i + 1 == lines.size() ? 0 : i + 1;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(total_bytes(lines) / lines.size()));
    state.counters["redacted_ratio"] =
        static_cast<double>(found) /
        static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
}

void run_regex(benchmark::State& state, const std::vector<std::string>& lines) {
    const regex_redactor r;
    std::size_t i = 0;
    for (auto _ : state) {
        auto out = r.redact(lines[i]);
        benchmark::DoNotOptimize(out.data());
        i = i + 1 == lines.size() ? 0 : i + 1;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(total_bytes(lines) / lines.size()));
}

void bm_redact_clean_line(benchmark::State& state) {
    run_bulwark(state, clean_lines());
}
BENCHMARK(bm_redact_clean_line);

void bm_redact_pii_line(benchmark::State& state) {
    run_bulwark(state, pii_lines());
}
BENCHMARK(bm_redact_pii_line);

void bm_naive_regex_redact_clean_line(benchmark::State& state) {
    run_regex(state, clean_lines());
}
BENCHMARK(bm_naive_regex_redact_clean_line);

void bm_naive_regex_redact_pii_line(benchmark::State& state) {
    run_regex(state, pii_lines());
}
BENCHMARK(bm_naive_regex_redact_pii_line);

// The issue's reference point: one e-mail std::regex on one 200-byte line.
void bm_naive_regex_one_email_pattern(benchmark::State& state) {
    const std::regex re{R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})", std::regex::optimize};
    const std::string& line = clean_lines()[0];
    for (auto _ : state) {
        auto out = std::regex_replace(line, re, "[REDACTED:email]");
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(line.size()));
}
BENCHMARK(bm_naive_regex_one_email_pattern);

} // namespace
