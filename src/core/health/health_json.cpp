#include <bulwark/core/detail/json_escape.hpp>
#include <bulwark/core/health/health_json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace bulwark {

namespace {

void append_number(std::string& out, double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// ,"key":"value" (the comma unless first), skipped when value is empty.
void append_field(std::string& out, bool& first, std::string_view key, std::string_view value) {
    if (value.empty()) {
        return;
    }
    if (!first) {
        out += ',';
    }
    first = false;
    out += '"';
    out += key;
    out += "\":";
    detail::append_json_string(out, value);
}

} // namespace

void append_rfc3339(std::string& out, std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(t);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss hms{ms - day};
    char buf[40];
    const int n = std::snprintf(
        buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
        static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
    if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
    }
}

std::string to_health_json(const group_report& report, const health_service_info& info,
                           bool details) {
    std::string out;
    out.reserve(details ? 256 + 256 * report.checks.size() : 20);
    out += "{\"status\":\"";
    out += to_string(report.status);
    out += '"';
    if (!details) {
        out += '}';
        return out;
    }
    bool first = false;
    append_field(out, first, "version", info.version);
    append_field(out, first, "releaseId", info.release_id);
    append_field(out, first, "serviceId", info.service_id);
    append_field(out, first, "description", info.description);
    append_field(out, first, "output", report.output);
    if (!report.checks.empty()) {
        out += ",\"checks\":{";
        bool first_check = true;
        for (const auto& c : report.checks) {
            if (!first_check) {
                out += ',';
            }
            first_check = false;
            detail::append_json_string(out, c.config->name);
            out += ":[{";
            bool f = true;
            append_field(out, f, "componentId", c.config->component_id);
            append_field(out, f, "componentType", c.config->component_type);
            if (c.result.observed_value && std::isfinite(*c.result.observed_value)) {
                out += f ? "" : ",";
                f = false;
                out += "\"observedValue\":";
                append_number(out, *c.result.observed_value);
                append_field(out, f, "observedUnit", c.result.observed_unit);
            }
            append_field(out, f, "status", to_string(c.result.status));
            if (c.completed) {
                out += ",\"time\":\"";
                append_rfc3339(out, c.time);
                out += '"';
            }
            if (c.result.status != health_status::pass) {
                append_field(out, f, "output", c.result.output);
            }
            out += "}]";
        }
        out += '}';
    }
    out += '}';
    return out;
}

} // namespace bulwark
