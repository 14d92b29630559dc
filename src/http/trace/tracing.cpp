#include <bulwark/core/trace/b3.hpp>
#include <bulwark/core/trace/trace_id_generator.hpp>
#include <bulwark/core/trace/tracestate.hpp>
#include <bulwark/http/trace/tracing.hpp>

#include <array>
#include <string>
#include <vector>

namespace bulwark::http {

namespace {

std::string_view value_of(const request_header& h, std::string_view name) {
    const auto it = h.find(name);
    return it == h.end() ? std::string_view{}
                         : std::string_view{it->value().data(), it->value().size()};
}

// The incoming context, if the request carries a valid one.
std::optional<traceparent> incoming(const request_header& h, const tracing_config& config) {
    const auto [first, last] = h.equal_range("traceparent");
    if (first != last) {
        if (std::next(first) != last) {
            return std::nullopt; // two traceparent headers: invalid, start a new trace
        }
        return traceparent::parse({first->value().data(), first->value().size()});
    }
    if (!config.accept_b3) {
        return std::nullopt;
    }
    std::optional<b3_context> b3;
    if (const auto single = value_of(h, b3_header); !single.empty()) {
        b3 = parse_b3_single(single);
    } else if (const auto id = value_of(h, b3_trace_id_header); !id.empty()) {
        b3 = parse_b3_multi({.trace_id = id,
                             .span_id = value_of(h, b3_span_id_header),
                             .parent_span_id = value_of(h, b3_parent_span_id_header),
                             .sampled = value_of(h, b3_sampled_header),
                             .flags = value_of(h, b3_flags_header)});
    }
    if (!b3) {
        return std::nullopt;
    }
    return to_traceparent(*b3);
}

// Every value of the header `name`, joined with ',' (RFC 9110 5.3: the same list).
std::string combined(const request_header& h, std::string_view name) {
    std::string out;
    const auto [first, last] = h.equal_range(name);
    for (auto it = first; it != last; ++it) {
        if (!out.empty()) {
            out += ',';
        }
        out.append(it->value().data(), it->value().size());
    }
    return out;
}

} // namespace

action tracing::on_header(request_context& ctx, request_header& h) {
    auto& t = ctx.trace();
    t.clear();
    if (const auto parent = incoming(h, config_)) {
        t.trace_id = parent->trace;
        t.parent_id = parent->parent;
        t.flags = parent->flags;
        if (h.find("tracestate") != h.end()) {
            t.tracestate = tracestate::parse(combined(h, "tracestate")).to_header();
        }
    } else {
        t.trace_id = new_trace_id();
        t.flags = static_cast<std::uint8_t>(trace_flag_random |
                                            (config_.sample_new_traces ? trace_flag_sampled : 0));
    }
    t.span_id = new_span_id();
    if (h.find("baggage") != h.end()) {
        std::vector<std::string_view> values;
        const auto [first, last] = h.equal_range("baggage");
        for (auto it = first; it != last; ++it) {
            values.emplace_back(it->value().data(), it->value().size());
        }
        t.baggage = baggage::parse(values, config_.baggage).to_header(config_.baggage);
    }
    return action::proceed;
}

void inject_trace(const trace_context& trace, request_header& req, trace_propagation propagation) {
    if (!trace.valid() || propagation == trace_propagation::none) {
        return;
    }
    // Version 00 whatever version came in: this server speaks 00 (Trace Context section 4.3).
    const traceparent out{
        .version = 0, .trace = trace.trace_id, .parent = trace.span_id, .flags = trace.flags};
    std::array<char, traceparent::size> buffer{};
    out.format_to(buffer.data());
    req.set("traceparent", std::string_view{buffer.data(), buffer.size()});
    if (trace.tracestate.empty()) {
        req.erase("tracestate");
    } else {
        req.set("tracestate", trace.tracestate);
    }
    if (trace.baggage.empty()) {
        req.erase("baggage");
    } else {
        req.set("baggage", trace.baggage);
    }
    if (propagation == trace_propagation::w3c_b3_single) {
        req.set(b3_header, format_b3_single(to_b3(out)));
    } else if (propagation == trace_propagation::w3c_b3_multi) {
        const auto b3 = format_b3_multi(to_b3(out));
        req.set(b3_trace_id_header, b3.trace_id);
        req.set(b3_span_id_header, b3.span_id);
        if (!b3.sampled.empty()) {
            req.set(b3_sampled_header, b3.sampled);
        }
        if (!b3.flags.empty()) {
            req.set(b3_flags_header, b3.flags);
        }
    }
}

} // namespace bulwark::http
