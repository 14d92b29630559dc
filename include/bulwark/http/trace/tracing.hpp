#ifndef BULWARK_HTTP_TRACE_TRACING_HPP
#define BULWARK_HTTP_TRACE_TRACING_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/trace/baggage.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

namespace bulwark::http {

/// Configuration of the tracing middleware.
struct tracing_config {
    /// Mark traces this server starts as sampled (trace-flags bit 0), so that tracers
    /// downstream record them. Default true; an incoming trace keeps its caller's decision.
    bool sample_new_traces = true;
    /// When a request has no valid traceparent, continue a Zipkin B3 context (single `b3`
    /// header, else the X-B3-* headers) instead of starting a new trace. Default false.
    bool accept_b3 = false;
    /// Limits of the baggage kept from a request (W3C Baggage: 64 members, 8192 bytes).
    baggage_limits baggage = {};
};

/**
 * Middleware: the server span of a request, per W3C Trace Context.
 *
 * Header phase: a valid `traceparent` (exactly one header; versions above 00 parsed by their
 * 00 prefix, ff refused) is continued: same trace id and flags, the caller's span id becomes
 * the parent, and a new random span id is this server's span. The `tracestate` headers are
 * combined, validated (invalid and duplicate members dropped, at most 32) and kept, cut to
 * 512 characters by dropping members over 128 characters first. Anything else — no header,
 * an invalid one, two of them — starts a new trace with random ids (the random flag set) and
 * no tracestate. W3C `baggage` headers are parsed within the configured limits and kept
 * re-encoded. The result is `ctx.trace()`: the request's log context and what http::client
 * propagates on outgoing calls.
 *
 * Nothing is added to the response. Ids come from a per-thread xoshiro256** generator seeded
 * from std::random_device (core/trace/trace_id_generator.hpp): unpredictable enough for ids,
 * not for secrets.
 *
 * @par Thread Safety
 * The hooks are thread-safe.
 */
class tracing {
public:
    explicit tracing(tracing_config config = {}) : config_{config} {}

    BULWARK_HTTP_API action on_header(request_context& ctx, request_header& h);

    [[nodiscard]] const tracing_config& config() const noexcept { return config_; }

private:
    tracing_config config_;
};

/// How http::client (or your own client, through inject_trace) propagates a trace context.
enum class trace_propagation : unsigned char {
    none,          ///< no trace headers
    w3c,           ///< traceparent, tracestate, baggage (the default)
    w3c_b3_single, ///< those and a `b3` header, for Zipkin services
    w3c_b3_multi,  ///< those and the X-B3-* headers
};

/**
 * Sets the headers that carry `trace` on an outgoing request made within that server span:
 * traceparent (version 00, the same trace id and flags, this server's span id as the parent
 * id), tracestate and baggage when there are any, and B3 headers on request. Existing trace
 * headers of `req` are replaced. Does nothing for an empty (invalid) context.
 */
BULWARK_HTTP_API void inject_trace(const trace_context& trace, request_header& req,
                                   trace_propagation propagation = trace_propagation::w3c);

} // namespace bulwark::http

#endif
