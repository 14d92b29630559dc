#include "json_line.hpp"

#include <bulwark/core/detail/json_escape.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace bulwark::telemetry::detail {

namespace {

constexpr std::string_view truncated_suffix = "...(truncated)";
constexpr std::string_view masked_field = "[REDACTED:secret]";

void append_2(std::string& out, unsigned v) {
    out += static_cast<char>('0' + v / 10);
    out += static_cast<char>('0' + v % 10);
}

// Appends `value` as a JSON string: redacted, cut to `max` bytes. False when redaction failed.
bool append_value(std::string& out, std::string& scratch, std::string_view value, const redactor* r,
                  std::size_t max, redaction_counts& counts) {
    std::string_view v = value;
    if (r != nullptr) {
        switch (r->redact(value, scratch, &counts)) {
        case redact_status::clean: break;
        case redact_status::redacted: v = scratch; break;
        case redact_status::failed: return false;
        }
    }
    if (v.size() <= max) {
        bulwark::detail::append_json_string(out, v);
        return true;
    }
    // Cut after redaction (a secret cut in half could escape its detector), at a UTF-8 lead
    // byte so the cut does not make a replacement character of a whole letter.
    std::size_t cut = max - truncated_suffix.size();
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0U) == 0x80U) {
        --cut;
    }
    std::string cut_value{v.substr(0, cut)};
    cut_value += truncated_suffix;
    bulwark::detail::append_json_string(out, cut_value);
    return true;
}

void append_key(std::string& out, std::string_view key) {
    out += ',';
    bulwark::detail::append_json_string(out, key);
    out += ':';
}

template <class T>
void append_number(std::string& out, T v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

} // namespace

void append_timestamp(std::string& out, std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    thread_local std::int64_t cached_second = INT64_MIN;
    thread_local char cached[20]; // "YYYY-MM-DDTHH:MM:SS"
    const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
    auto second = ns / 1'000'000'000;
    auto frac = ns % 1'000'000'000;
    if (frac < 0) {
        frac += 1'000'000'000;
        --second;
    }
    if (second != cached_second) {
        const sys_seconds s{seconds{second}};
        const auto day = floor<days>(s);
        const year_month_day ymd{day};
        const hh_mm_ss hms{s - day};
        std::string text;
        text.reserve(20);
        const int y = static_cast<int>(ymd.year());
        append_2(text, static_cast<unsigned>(y / 100 % 100));
        append_2(text, static_cast<unsigned>(y % 100));
        text += '-';
        append_2(text, static_cast<unsigned>(ymd.month()));
        text += '-';
        append_2(text, static_cast<unsigned>(ymd.day()));
        text += 'T';
        append_2(text, static_cast<unsigned>(hms.hours().count()));
        text += ':';
        append_2(text, static_cast<unsigned>(hms.minutes().count()));
        text += ':';
        append_2(text, static_cast<unsigned>(hms.seconds().count()));
        text.copy(cached, 19);
        cached_second = second;
    }
    out += '"';
    out.append(cached, 19);
    out += '.';
    char digits[9];
    auto f = static_cast<std::uint32_t>(frac);
    for (int i = 8; i >= 0; --i) {
        digits[i] = static_cast<char>('0' + f % 10);
        f /= 10;
    }
    out.append(digits, 9);
    out += "Z\"";
}

bool build_json_line(std::string& out, std::string& scratch, const line_parts& p, const redactor* r,
                     std::size_t max_value_bytes, redaction_counts& counts) {
    out += "{\"timestamp\":";
    append_timestamp(out, p.time);
    out += ",\"level\":\"";
    out += to_string(p.level);
    out += "\",\"logger\":";
    bulwark::detail::append_json_string(out, p.logger);
    out += ",\"message\":";
    if (!append_value(out, scratch, p.message, r, max_value_bytes, counts)) {
        return false;
    }
    if (const auto* c = p.context; c != nullptr) {
        const auto plain = [&](std::string_view key, const std::string& v) {
            if (!v.empty()) {
                append_key(out, key);
                bulwark::detail::append_json_string(out,
                                                    std::string_view{v}.substr(0, max_value_bytes));
            }
        };
        const auto redacted = [&](std::string_view key, const std::string& v) {
            if (v.empty()) {
                return true;
            }
            append_key(out, key);
            return append_value(out, scratch, v, r, max_value_bytes, counts);
        };
        // An accepted incoming request id is the client's text: redacted like the client's
        // address and user id. Trace and span ids are validated hex.
        if (!redacted("request_id", c->request_id)) {
            return false;
        }
        plain("trace_id", c->trace_id);
        plain("span_id", c->span_id);
        if (!redacted("client_ip", c->client_ip) || !redacted("user_id", c->user_id)) {
            return false;
        }
        plain("route", c->route);
    }
    for (const auto& f : p.fields) {
        append_key(out, f.key());
        if (r != nullptr && r->sensitive_field(f.key())) {
            bulwark::detail::append_json_string(out, masked_field);
            ++counts.by_detector[static_cast<std::size_t>(detector::secret)];
            continue;
        }
        switch (f.type()) {
        case log_field::kind::verbatim:
            bulwark::detail::append_json_string(out, f.string_value().substr(0, max_value_bytes));
            break;
        case log_field::kind::string:
            if (!append_value(out, scratch, f.string_value(), r, max_value_bytes, counts)) {
                return false;
            }
            break;
        case log_field::kind::integer: append_number(out, f.integer_value()); break;
        case log_field::kind::unsigned_integer: append_number(out, f.unsigned_value()); break;
        case log_field::kind::floating:
            if (std::isfinite(f.floating_value())) {
                append_number(out, f.floating_value());
            } else {
                out += "null"; // JSON has no NaN or infinity
            }
            break;
        case log_field::kind::boolean: out += f.bool_value() ? "true" : "false"; break;
        }
    }
    out += '}';
    return true;
}

} // namespace bulwark::telemetry::detail
