#include <bulwark/core/trace/b3.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

namespace bulwark {

namespace {

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// 16 or 32 lower-case hex digits; a 64-bit id goes into the low (right) 8 bytes, as B3 and
// W3C Trace Context's interoperability note both left-pad it with zeros.
std::optional<trace_id> parse_trace_id(std::string_view s, bool& is_64bit) noexcept {
    std::optional<trace_id> id;
    if (s.size() == 32) {
        id = trace_id::from_hex(s);
        is_64bit = false;
    } else if (s.size() == 16) {
        if (const auto low = span_id::from_hex(s)) {
            id.emplace();
            std::copy(low->bytes.begin(), low->bytes.end(), id->bytes.begin() + 8);
        }
        is_64bit = true;
    }
    if (!id || !id->valid()) {
        return std::nullopt;
    }
    return id;
}

std::optional<span_id> parse_span_id(std::string_view s) noexcept {
    auto id = span_id::from_hex(s);
    if (!id || !id->valid()) {
        return std::nullopt;
    }
    return id;
}

std::optional<b3_sampling> parse_single_sampling(std::string_view s) noexcept {
    if (s == "0") {
        return b3_sampling::deny;
    }
    if (s == "1") {
        return b3_sampling::accept;
    }
    if (s == "d") {
        return b3_sampling::debug;
    }
    return std::nullopt;
}

bool iequals(std::string_view a, std::string_view lower) noexcept {
    return a.size() == lower.size() &&
           std::equal(a.begin(), a.end(), lower.begin(), [](char x, char y) {
               return (x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x) == y;
           });
}

bool upper_half_zero(const trace_id& t) noexcept {
    return std::all_of(t.bytes.begin(), t.bytes.begin() + 8, [](std::uint8_t b) { return b == 0; });
}

void append_hex(std::string& out, const std::uint8_t* first, const std::uint8_t* last) {
    constexpr char digits[] = "0123456789abcdef";
    for (; first != last; ++first) {
        out.push_back(digits[*first >> 4]);
        out.push_back(digits[*first & 0x0f]);
    }
}

std::string trace_hex(const b3_context& c) {
    std::string out;
    const bool short_form = c.trace_id_64bit && upper_half_zero(c.trace);
    out.reserve(short_form ? 16 : 32);
    append_hex(out, c.trace.bytes.data() + (short_form ? 8 : 0), c.trace.bytes.data() + 16);
    return out;
}

std::string span_hex(const span_id& s) {
    std::string out;
    out.reserve(16);
    append_hex(out, s.bytes.data(), s.bytes.data() + 8);
    return out;
}

} // namespace

std::optional<b3_context> parse_b3_single(std::string_view header) noexcept {
    header = trim_ows(header);
    b3_context c;
    if (header.size() == 1) {
        const auto sampling = parse_single_sampling(header);
        if (!sampling) {
            return std::nullopt;
        }
        c.sampling = *sampling;
        return c;
    }

    // At most four '-'-separated fields; a fifth means a malformed (or legacy) value.
    std::array<std::string_view, 4> fields{};
    std::size_t n = 0;
    for (;;) {
        if (n == fields.size()) {
            return std::nullopt;
        }
        const std::size_t dash = header.find('-');
        fields[n++] = header.substr(0, dash);
        if (dash == std::string_view::npos) {
            break;
        }
        header.remove_prefix(dash + 1);
    }
    if (n < 2) {
        return std::nullopt;
    }

    const auto trace = parse_trace_id(fields[0], c.trace_id_64bit);
    const auto span = parse_span_id(fields[1]);
    if (!trace || !span) {
        return std::nullopt;
    }
    c.trace = *trace;
    c.span = *span;

    bool has_parent = false;
    std::string_view parent_field;
    if (n == 3) {
        // One optional field: a 1-character sampling state or, with the decision deferred, a
        // 16-digit parent. The lengths cannot be confused.
        if (fields[2].size() == 1) {
            const auto sampling = parse_single_sampling(fields[2]);
            if (!sampling) {
                return std::nullopt;
            }
            c.sampling = *sampling;
        } else {
            has_parent = true;
            parent_field = fields[2];
        }
    } else if (n == 4) {
        const auto sampling = parse_single_sampling(fields[2]);
        if (!sampling) {
            return std::nullopt;
        }
        c.sampling = *sampling;
        has_parent = true;
        parent_field = fields[3];
    }
    if (has_parent) {
        c.parent = parse_span_id(parent_field);
        if (!c.parent) {
            return std::nullopt;
        }
    }
    return c;
}

std::optional<b3_context> parse_b3_multi(const b3_multi_headers& headers) noexcept {
    const std::string_view trace = trim_ows(headers.trace_id);
    const std::string_view span = trim_ows(headers.span_id);
    const std::string_view parent = trim_ows(headers.parent_span_id);
    const std::string_view sampled = trim_ows(headers.sampled);
    const std::string_view flags = trim_ows(headers.flags);

    b3_context c;
    if (sampled == "1" || iequals(sampled, "true")) {
        c.sampling = b3_sampling::accept;
    } else if (sampled == "0" || iequals(sampled, "false")) {
        c.sampling = b3_sampling::deny;
    } else if (!sampled.empty()) {
        return std::nullopt;
    }
    if (flags == "1") {
        c.sampling = b3_sampling::debug;
    }

    if (trace.empty() && span.empty()) {
        if (!parent.empty() || c.sampling == b3_sampling::unspecified) {
            return std::nullopt;
        }
        return c;
    }
    const auto t = parse_trace_id(trace, c.trace_id_64bit);
    const auto s = parse_span_id(span);
    if (!t || !s) {
        return std::nullopt;
    }
    c.trace = *t;
    c.span = *s;
    if (!parent.empty()) {
        c.parent = parse_span_id(parent);
        if (!c.parent) {
            return std::nullopt;
        }
    }
    return c;
}

std::string format_b3_single(const b3_context& context) {
    if (!context.has_ids()) {
        switch (context.sampling) {
        case b3_sampling::deny: return "0";
        case b3_sampling::accept: return "1";
        case b3_sampling::debug: return "d";
        case b3_sampling::unspecified: break;
        }
        return {};
    }
    std::string out = trace_hex(context);
    out.reserve(32 + 1 + 16 + 2 + 1 + 16);
    out.push_back('-');
    append_hex(out, context.span.bytes.data(), context.span.bytes.data() + 8);
    switch (context.sampling) {
    case b3_sampling::deny: out.append("-0"); break;
    case b3_sampling::accept: out.append("-1"); break;
    case b3_sampling::debug: out.append("-d"); break;
    case b3_sampling::unspecified: break;
    }
    if (context.parent) {
        out.push_back('-');
        append_hex(out, context.parent->bytes.data(), context.parent->bytes.data() + 8);
    }
    return out;
}

b3_multi_values format_b3_multi(const b3_context& context) {
    b3_multi_values v;
    if (context.has_ids()) {
        v.trace_id = trace_hex(context);
        v.span_id = span_hex(context.span);
        if (context.parent) {
            v.parent_span_id = span_hex(*context.parent);
        }
    }
    switch (context.sampling) {
    case b3_sampling::deny: v.sampled = "0"; break;
    case b3_sampling::accept: v.sampled = "1"; break;
    case b3_sampling::debug: v.flags = "1"; break;
    case b3_sampling::unspecified: break;
    }
    return v;
}

std::optional<traceparent> to_traceparent(const b3_context& context) noexcept {
    if (!context.has_ids()) {
        return std::nullopt;
    }
    traceparent tp;
    tp.trace = context.trace;
    tp.parent = context.span;
    const bool sampled =
        context.sampling == b3_sampling::accept || context.sampling == b3_sampling::debug;
    tp.flags = sampled ? trace_flag_sampled : std::uint8_t{0};
    return tp;
}

b3_context to_b3(const traceparent& tp) noexcept {
    b3_context c;
    c.trace = tp.trace;
    c.span = tp.parent;
    c.sampling = tp.sampled() ? b3_sampling::accept : b3_sampling::deny;
    return c;
}

} // namespace bulwark
