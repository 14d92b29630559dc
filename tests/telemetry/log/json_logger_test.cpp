// The JSON logger on real spdlog sinks: the line format (every line parsed with Boost.JSON),
// typed fields, redaction of messages and fields, fail-closed drops, the request context,
// async overflow counted and reported, the metrics binding, json_formatter for spdlog's own
// calls, and adversarial bytes that must still give lines that parse.
#include <bulwark/telemetry/log/json_formatter.hpp>
#include <bulwark/telemetry/log/json_logger.hpp>
#include <bulwark/telemetry/metrics/component_metrics.hpp>
#include <bulwark/telemetry/metrics/metrics_registry.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <condition_variable>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <support/capture_sink.hpp>
#include <support/metrics_text.hpp>
#include <thread>
#include <vector>

namespace json = boost::json;
using bulwark::telemetry::json_logger;
using bulwark::telemetry::json_logger_config;
using bulwark::telemetry::log_context;
using bulwark::telemetry::log_level;
using bulwark::test::capture_sink;

namespace {

json::object parse_line(const std::string& line) {
    REQUIRE(!line.empty());
    REQUIRE(line.back() == '\n');
    REQUIRE(line.find('\n') == line.size() - 1); // one line
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    INFO(line);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    return v.as_object();
}

struct fixture {
    std::shared_ptr<capture_sink> sink = std::make_shared<capture_sink>();

    json_logger make(json_logger_config c = {}) {
        c.sinks = {sink};
        return json_logger{std::move(c)};
    }
    json::object only_line() {
        const auto lines = sink->lines();
        REQUIRE(lines.size() == 1);
        return parse_line(lines[0]);
    }
};

class throwing_mac final : public bulwark::keyed_hash {
public:
    [[nodiscard]] std::array<std::uint8_t, 32> digest(std::string_view) const override {
        throw std::runtime_error("no key");
    }
};

} // namespace

TEST_CASE("a line: RFC 3339 timestamp, level, logger, message, typed fields", "[log]") {
    fixture f;
    auto log = f.make({.name = "orders"});
    log.info("request served", {{"route", "/orders/{id}"},
                                {"status", 200},
                                {"bytes", std::uint64_t{18446744073709551615ULL}},
                                {"delta", -3},
                                {"duration_ms", 12.5},
                                {"cached", true},
                                {"ratio", std::numeric_limits<double>::quiet_NaN()}});
    const auto o = f.only_line();
    const std::string ts{o.at("timestamp").as_string()};
    CHECK(std::regex_match(ts, std::regex{R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z)"}));
    CHECK(o.at("level") == "info");
    CHECK(o.at("logger") == "orders");
    CHECK(o.at("message") == "request served");
    CHECK(o.at("route") == "/orders/{id}");
    CHECK(o.at("status").as_int64() == 200);
    CHECK(o.at("bytes").as_uint64() == 18446744073709551615ULL);
    CHECK(o.at("delta").as_int64() == -3);
    CHECK(o.at("duration_ms").as_double() == 12.5);
    CHECK(o.at("cached").as_bool());
    CHECK(o.at("ratio").is_null());
    // Members in the documented order.
    const auto first = f.sink->lines()[0];
    CHECK(first.rfind(R"({"timestamp":")", 0) == 0);
    CHECK(first.find(R"(,"level":"info","logger":"orders","message":"request served","route":)") !=
          std::string::npos);
}

TEST_CASE("the timestamp is the call's time in UTC with nanoseconds", "[log]") {
    // The formatter path takes spdlog's message time: a fixed instant gives a fixed text.
    bulwark::telemetry::json_formatter fmt{nullptr};
    spdlog::details::log_msg msg{spdlog::string_view_t{"t"}, spdlog::level::warn,
                                 spdlog::string_view_t{"m"}};
    msg.time =
        std::chrono::system_clock::time_point{std::chrono::nanoseconds{1732356932123456789LL}};
    spdlog::memory_buf_t buf;
    fmt.format(msg, buf);
    const std::string line{buf.data(), buf.size()};
    CHECK(
        line ==
        R"({"timestamp":"2024-11-23T10:15:32.123456789Z","level":"warn","logger":"t","message":"m"})"
        "\n");
    // Before the epoch and on a leap day.
    msg.time = std::chrono::system_clock::time_point{std::chrono::nanoseconds{-1}};
    buf.clear();
    fmt.format(msg, buf);
    CHECK(std::string{buf.data(), buf.size()}.find("1969-12-31T23:59:59.999999999Z") !=
          std::string::npos);
    msg.time = std::chrono::sys_days{std::chrono::year{2028} / 2 / 29} + std::chrono::hours{23};
    buf.clear();
    fmt.format(msg, buf);
    CHECK(std::string{buf.data(), buf.size()}.find("2028-02-29T23:00:00.000000000Z") !=
          std::string::npos);
}

TEST_CASE("messages and string fields are redacted; sensitive field names are masked whole",
          "[log]") {
    fixture f;
    auto log = f.make();
    log.warn("login failed for bob@example.com from 203.0.113.9", {{"email", "alice@example.org"},
                                                                   {"password", "hunter2"},
                                                                   {"pin_token", 1234},
                                                                   {"note", "none"}});
    const auto o = f.only_line();
    CHECK(o.at("message") == "login failed for [REDACTED:email] from [REDACTED:ipv4]");
    CHECK(o.at("email") == "[REDACTED:email]");
    CHECK(o.at("password") == "[REDACTED:secret]");
    CHECK(o.at("pin_token") == "[REDACTED:secret]"); // an integer, masked because of its name
    CHECK(o.at("note") == "none");
    const auto st = log.stats();
    CHECK(st.redactions[static_cast<std::size_t>(bulwark::detector::email)] == 2);
    CHECK(st.redactions[static_cast<std::size_t>(bulwark::detector::ipv4)] == 1);
    CHECK(st.redactions[static_cast<std::size_t>(bulwark::detector::secret)] == 2);
    CHECK(st.written == 1);
}

TEST_CASE("a line whose redaction fails is dropped, counted and reported", "[log]") {
    fixture f;
    auto log = f.make({.redaction = {.modes = {.email = bulwark::redact_mode::pseudonymize},
                                     .pseudonymizer = std::make_shared<throwing_mac>()},
                       .drop_report_interval = std::chrono::hours{1}});
    log.info("user bob@example.com");
    // Nothing of the line reached the sink: only the drop report, which is written at once
    // (the first report does not wait for the interval).
    auto lines = f.sink->lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("bob@example.com") == std::string::npos);
    const auto report = parse_line(lines[0]);
    CHECK(report.at("level") == "warn");
    CHECK(report.at("message") == "log lines dropped");
    CHECK(report.at("dropped").as_int64() == 1);
    CHECK(log.stats().dropped_redaction == 1);
    CHECK(log.stats().written == 1);
    // Within the interval, a second drop is counted but not reported yet.
    log.info("again bob@example.com");
    log.info("clean line");
    lines = f.sink->lines();
    REQUIRE(lines.size() == 2);
    CHECK(parse_line(lines[1]).at("message") == "clean line");
    CHECK(log.stats().dropped() == 2);
}

TEST_CASE("a dropped line's redaction counts are not added to the next line", "[log]") {
    fixture f;
    auto log = f.make({.redaction = {.modes = {.email = bulwark::redact_mode::pseudonymize},
                                     .pseudonymizer = std::make_shared<throwing_mac>()},
                       .drop_report_interval = std::chrono::hours{1}});
    // The address is masked (and counted) before the e-mail's keyed hash throws.
    log.info("from 203.0.113.9 user bob@example.com");
    CHECK(log.stats().dropped_redaction == 1);
    CHECK(log.stats().redactions[static_cast<std::size_t>(bulwark::detector::ipv4)] == 0);
    log.info("from 198.51.100.7");
    CHECK(log.stats().redactions[static_cast<std::size_t>(bulwark::detector::ipv4)] == 1);
}

namespace {
// A keyed hash that logs through the logger that called it: a nested call on the same thread.
class logging_mac final : public bulwark::keyed_hash {
public:
    json_logger* log = nullptr;
    [[nodiscard]] std::array<std::uint8_t, 32> digest(std::string_view) const override {
        log->info("inner line with a much longer message than the outer one has got so far",
                  {{"inner", 1}});
        return std::array<std::uint8_t, 32>{0xab};
    }
};
} // namespace

TEST_CASE("a log call made while another is formatting on the same thread: both lines whole",
          "[log]") {
    fixture f;
    auto mac = std::make_shared<logging_mac>();
    auto log = f.make({.redaction = {.modes = {.email = bulwark::redact_mode::pseudonymize},
                                     .pseudonymizer = mac}});
    mac->log = &log;
    log.info("outer", {{"a", "x"}, {"user", "bob@example.com"}, {"b", "y"}});
    const auto lines = f.sink->lines();
    REQUIRE(lines.size() == 2);
    const auto inner = parse_line(lines[0]); // written first, from inside the outer call
    CHECK(inner.at("inner").as_int64() == 1);
    const auto outer = parse_line(lines[1]);
    CHECK(outer.at("message") == "outer");
    CHECK(outer.at("a") == "x");
    CHECK(outer.at("b") == "y");
    CHECK(json::value_to<std::string>(outer.at("user")).starts_with("[HMAC:email:ab"));
    CHECK_FALSE(outer.contains("inner"));
}

TEST_CASE("the request context: scoped per thread, nested, redacted where personal", "[log]") {
    fixture f;
    auto log = f.make();
    const log_context outer{.request_id = "req-1",
                            .trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
                            .span_id = "00f067aa0ba902b7",
                            .client_ip = "203.0.113.9",
                            .user_id = "u-42",
                            .route = "/orders/{id}"};
    const log_context inner{.request_id = "req-2"};
    {
        const bulwark::telemetry::scoped_log_context scope{outer};
        log.info("one");
        {
            const bulwark::telemetry::scoped_log_context nested{inner};
            log.info("two");
        }
        // Another thread does not see this thread's context.
        std::thread{[&] { log.info("three"); }}.join();
        log.info("four");
    }
    log.info("five");
    log.log(&inner, log_level::error, "six"); // explicit context
    const auto lines = f.sink->lines();
    REQUIRE(lines.size() == 6);
    const auto one = parse_line(lines[0]);
    CHECK(one.at("request_id") == "req-1");
    CHECK(one.at("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(one.at("span_id") == "00f067aa0ba902b7");
    CHECK(one.at("client_ip") == "[REDACTED:ipv4]");
    CHECK(one.at("user_id") == "u-42");
    CHECK(one.at("route") == "/orders/{id}");
    const auto two = parse_line(lines[1]);
    CHECK(two.at("request_id") == "req-2");
    CHECK_FALSE(two.contains("trace_id")); // empty members are left out
    CHECK_FALSE(parse_line(lines[2]).contains("request_id"));
    CHECK(parse_line(lines[3]).at("request_id") == "req-1");
    CHECK_FALSE(parse_line(lines[4]).contains("request_id"));
    CHECK(parse_line(lines[5]).at("request_id") == "req-2");
}

TEST_CASE("adversarial and random bytes always give a line that parses", "[log]") {
    fixture f;
    auto log = f.make({.level = log_level::trace});
    const std::vector<std::string> nasty = {
        std::string{"quote \" backslash \\ newline \n cr \r tab \t nul "} + '\0' + " bell \x07",
        "invalid utf-8: \xC3\x28 \xA0\xA1 \xF0\x28\x8C\x28 \xED\xA0\x80 \xF4\x90\x80\x80 \xC0\xAF",
        "truncated \xE2\x82",
        "unicode ok: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
        R"({"injected":"json"})",
        "\x7F\x1B[31mred\x1B[0m",
    };
    for (const auto& s : nasty) {
        log.info(s, {{s, s}, {"k", s}});
    }
    std::uint64_t seed = 42;
    const auto next = [&seed] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<unsigned>(seed >> 33);
    };
    for (int i = 0; i < 2000; ++i) {
        std::string s(next() % 200, '\0');
        for (auto& c : s) {
            c = static_cast<char>(next() & 0xFF);
        }
        log.debug(s, {{"field", s}, {s.substr(0, 8), static_cast<std::int64_t>(next())}});
    }
    const auto lines = f.sink->lines();
    REQUIRE(lines.size() == nasty.size() + 2000);
    for (const auto& line : lines) {
        const auto o = parse_line(line);
        CHECK(o.contains("message"));
    }
    // The decoded message of a clean string is the string itself.
    CHECK(parse_line(lines[3]).at("message") ==
          "unicode ok: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    CHECK(parse_line(lines[0]).at("message").as_string() == json::string_view{nasty[0]});
}

TEST_CASE("long values are cut at a UTF-8 boundary", "[log]") {
    fixture f;
    auto log = f.make({.max_value_bytes = 64});
    std::string long_value(100, 'x');
    long_value.replace(48, 2, "\xC3\xA9"); // a two-byte letter straddling the cut
    log.info(long_value);
    const auto msg = std::string{f.only_line().at("message").as_string()};
    CHECK(msg.size() <= 64);
    CHECK(msg.ends_with("...(truncated)"));
    CHECK(msg.find("\xEF\xBF\xBD") == std::string::npos); // no replacement character from the cut
}

TEST_CASE("async: a full queue drops and counts; the worker reports the drops", "[log]") {
    fixture f;
    auto log = f.make({.queue_capacity = 4, .drop_report_interval = std::chrono::milliseconds{1}});
    f.sink->close_gate();
    log.info("first"); // the worker takes it and blocks in the sink
    f.sink->wait_until_blocked();
    for (int i = 0; i < 4; ++i) {
        log.info("queued", {{"i", i}});
    }
    for (int i = 0; i < 3; ++i) {
        log.info("dropped");
    }
    CHECK(log.stats().dropped_queue_full == 3);
    f.sink->open_gate();
    log.flush();
    const auto lines = f.sink->lines();
    std::size_t queued = 0;
    std::size_t reports = 0;
    for (const auto& line : lines) {
        const auto o = parse_line(line);
        CHECK(o.at("message") != "dropped");
        if (o.at("message") == "queued") {
            ++queued;
        }
        if (o.at("message") == "log lines dropped") {
            ++reports;
            CHECK(o.at("dropped_total").as_int64() == 3);
        }
    }
    CHECK(queued == 4);
    CHECK(reports == 1);
    CHECK(log.stats().written == 1 + 4 + 1);
}

TEST_CASE("async: every line written by the time the logger is gone", "[log]") {
    fixture f;
    {
        auto log = f.make({.queue_capacity = 100000});
        for (int i = 0; i < 1000; ++i) {
            log.info("line", {{"i", i}});
        }
    }
    const auto lines = f.sink->lines();
    REQUIRE(lines.size() == 1000);
    CHECK(parse_line(lines[999]).at("i").as_int64() == 999);
}

TEST_CASE("many threads, sync and async: every line whole, counts exact", "[log][concurrency]") {
    for (const std::size_t capacity : {std::size_t{0}, std::size_t{64}}) {
        fixture f;
        std::uint64_t dropped = 0;
        {
            auto log = f.make({.queue_capacity = capacity});
            std::vector<std::thread> threads;
            for (int t = 0; t < 4; ++t) {
                threads.emplace_back([&log, t] {
                    for (int i = 0; i < 2000; ++i) {
                        log.info("from a thread",
                                 {{"thread", t}, {"i", i}, {"mail", "x@example.com"}});
                    }
                });
            }
            for (auto& t : threads) {
                t.join();
            }
            log.flush();
            dropped = log.stats().dropped_queue_full;
            // Redaction runs on the caller's thread before the queue: dropped lines count too.
            CHECK(log.stats().redactions[static_cast<std::size_t>(bulwark::detector::email)] ==
                  8000);
        }
        const auto lines = f.sink->lines();
        std::size_t data_lines = 0;
        for (const auto& line : lines) {
            const auto o = parse_line(line);
            if (o.at("message") == "from a thread") {
                ++data_lines;
                CHECK(o.at("mail") == "[REDACTED:email]");
            }
        }
        CHECK(data_lines + dropped == 8000);
        if (capacity == 0) {
            CHECK(dropped == 0);
        }
    }
}

TEST_CASE("metrics: drops by reason and redactions by detector", "[log][metrics]") {
    fixture f;
    bulwark::telemetry::metrics_registry registry;
    auto log = f.make({.name = "api",
                       .redaction = {.modes = {.phone = bulwark::redact_mode::pseudonymize},
                                     .pseudonymizer = std::make_shared<throwing_mac>()}});
    const auto hook = bulwark::telemetry::instrument(registry, log);
    log.info("mail a@b.io and c@d.io");
    log.info("call +14155552671"); // redaction fails: dropped
    const auto text = registry.serialize();
    using bulwark::test::value_of;
    CHECK(value_of(text, R"(bulwark_redactions_total{logger="api",detector="email"})") == 2);
    CHECK(
        value_of(text,
                 R"(bulwark_log_messages_dropped_total{logger="api",reason="redaction_failed"})") ==
        1);
    CHECK(value_of(text,
                   R"(bulwark_log_messages_dropped_total{logger="api",reason="queue_full"})") == 0);
    CHECK(value_of(text, R"(bulwark_redactions_total{logger="api",detector="card"})") == -1);
    log.info("mail e@f.io");
    CHECK(value_of(registry.serialize(),
                   R"(bulwark_redactions_total{logger="api",detector="email"})") == 3);
}

TEST_CASE("json_formatter: spdlog's own calls as JSON, redacted, with the context", "[log]") {
    std::ostringstream out;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    sink->set_formatter(std::make_unique<bulwark::telemetry::json_formatter>());
    spdlog::logger lib{"thirdparty", sink};
    const log_context ctx{.request_id = "req-9"};
    {
        const bulwark::telemetry::scoped_log_context scope{ctx};
        lib.error("cannot reach {} for {}", "10.1.2.3", "bob@example.com");
    }
    const auto o = parse_line(out.str());
    CHECK(o.at("level") == "error");
    CHECK(o.at("logger") == "thirdparty");
    CHECK(o.at("message") == "cannot reach [REDACTED:ipv4] for [REDACTED:email]");
    CHECK(o.at("request_id") == "req-9");
}

TEST_CASE("json_logger config errors name their field", "[log][config]") {
    const auto field_of = [](const json_logger_config& c) {
        bulwark::config_issue issue;
        return validate(c, &issue) ? std::string{issue.field} : std::string{};
    };
    CHECK(field_of({}).empty());
    CHECK(field_of({.name = ""}) == "json_logger_config.name");
    CHECK(field_of({.level = log_level::off}) == "json_logger_config.level");
    CHECK(field_of({.sinks = {nullptr}}) == "json_logger_config.sinks");
    CHECK(field_of({.drop_report_interval = std::chrono::milliseconds{0}}) ==
          "json_logger_config.drop_report_interval");
    CHECK(field_of({.max_value_bytes = 10}) == "json_logger_config.max_value_bytes");
    CHECK(field_of({.redaction = {.ipv4_prefix_bits = 7}}) ==
          "json_logger_config.redaction.ipv4_prefix_bits");
    CHECK_THROWS_WITH(json_logger(json_logger_config{
                          .redaction = {.modes = {.email = bulwark::redact_mode::pseudonymize}}}),
                      Catch::Contains("json_logger_config.redaction.pseudonymizer"));
}

TEST_CASE("the examples of docs/logging.md", "[log][docs]") {
    auto sink = std::make_shared<capture_sink>();
    //! [setup]
    bulwark::telemetry::json_logger log{{
        .name = "orders",
        .level = bulwark::telemetry::log_level::info,
        .sinks = {sink},                                                 // any spdlog sinks
        .redaction = {.modes = {.ipv4 = bulwark::redact_mode::partial}}, // keep the /24
        .queue_capacity = 8192,                                          // async; 0 = synchronous
    }};
    //! [setup]
    //! [call]
    log.info("order placed", {{"order_id", 84731},
                              {"amount", 19.99},
                              {"express", true},
                              {"customer", "alice@example.com"}, // redacted: [REDACTED:email]
                              {"api_token", "t-123"}});          // masked by its name
    //! [call]
    log.flush();
    const auto o = parse_line(sink->lines().at(0));
    CHECK(o.at("customer") == "[REDACTED:email]");
    CHECK(o.at("api_token") == "[REDACTED:secret]");
    CHECK(o.at("order_id").as_int64() == 84731);
}
