#ifndef BULWARK_CORE_TRACE_B3_HPP
#define BULWARK_CORE_TRACE_B3_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/trace/traceparent.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark {

/// Header names of Zipkin B3 propagation. HTTP field names are case-insensitive; the single
/// header is spelled in lower case as the B3 specification does.
inline constexpr std::string_view b3_header = "b3";
inline constexpr std::string_view b3_trace_id_header = "X-B3-TraceId";
inline constexpr std::string_view b3_span_id_header = "X-B3-SpanId";
inline constexpr std::string_view b3_parent_span_id_header = "X-B3-ParentSpanId";
inline constexpr std::string_view b3_sampled_header = "X-B3-Sampled";
inline constexpr std::string_view b3_flags_header = "X-B3-Flags";

/// The B3 sampling state.
enum class b3_sampling : std::uint8_t {
    unspecified, ///< "defer": the receiver decides (no sampling field / header)
    deny,        ///< `0`: do not record
    accept,      ///< `1`: record
    debug,       ///< `d` / `X-B3-Flags: 1`: record and mark the spans debug (implies accept)
};

/**
 * A B3 trace context: trace id, span id, optional parent span id and sampling state.
 *
 * A sampling-only header (`b3: 0`, `b3: 1`, `b3: d`, or just `X-B3-Sampled` / `X-B3-Flags`)
 * parses to a context with all-zero `trace` and `span`, no parent, and the sampling state:
 * has_ids() tells the two apart. A sampling decision without ids is still meaningful (a deny
 * must reach every hop), so it is not an error.
 */
struct b3_context {
    trace_id trace = {};
    span_id span = {};
    std::optional<span_id> parent = {};
    b3_sampling sampling = b3_sampling::unspecified;
    /// The trace id arrived as 16 hex digits (a 64-bit id, stored left-padded with zeros):
    /// formatting writes it back as 16 digits while its upper 8 bytes are zero.
    bool trace_id_64bit = false;

    /// Trace and span ids are both present (valid). False for a sampling-only context.
    [[nodiscard]] bool has_ids() const noexcept { return trace.valid() && span.valid(); }

    friend bool operator==(const b3_context&, const b3_context&) = default;
};

/**
 * Parses the single `b3` header:
 * `{TraceId}-{SpanId}[-{SamplingState}][-{ParentSpanId}]`, or `{SamplingState}` alone.
 *
 * - TraceId is 32 or 16 lower-case hex digits, SpanId and ParentSpanId 16; none may be all zero;
 * - SamplingState is `0` (deny), `1` (accept) or `d` (debug);
 * - `{TraceId}-{SpanId}-{ParentSpanId}` (a parent with a deferred decision) is accepted, as
 *   Zipkin's reference implementation (Brave) writes and reads it;
 * - optional whitespace around the value is ignored.
 *
 * Upper-case hex is rejected: B3 specifies lower-hex, and its reference implementation and
 * W3C traceparent reject it too; accepting it would make format() change the id's spelling.
 * The legacy trailing debug field (`...-1-<parent>-1`) and `true`/`false` are not accepted.
 *
 * @return nullopt when the value breaks any rule above (then ignore it: start a new trace).
 */
[[nodiscard]] BULWARK_CORE_API std::optional<b3_context>
parse_b3_single(std::string_view header) noexcept;

/// The first value of each multi-header field; empty means the field is absent.
struct b3_multi_headers {
    std::string_view trace_id = {};       ///< X-B3-TraceId
    std::string_view span_id = {};        ///< X-B3-SpanId
    std::string_view parent_span_id = {}; ///< X-B3-ParentSpanId
    std::string_view sampled = {};        ///< X-B3-Sampled
    std::string_view flags = {};          ///< X-B3-Flags
};

/**
 * Parses the multi-header encoding (`X-B3-*`). B3 says the single header takes precedence when
 * both are present and that the first value of a repeated field wins.
 *
 * - X-B3-TraceId and X-B3-SpanId are required together (same hex rules as the single header);
 *   when both are absent, the sampling fields alone give a sampling-only context;
 * - X-B3-ParentSpanId is optional, but only alongside the two ids;
 * - X-B3-Sampled is `1` or `0`; `true` / `false` (any case) are accepted as well, as B3 allows
 *   for the tracers that predate the specification; any other value rejects the context;
 * - X-B3-Flags `1` means debug (which implies accept, whatever X-B3-Sampled says); any other
 *   value is ignored, as Brave does: only `1` was ever defined, and dropping a whole context
 *   over an unused field would break the trace for nothing;
 * - optional whitespace around each value is ignored.
 *
 * @return nullopt when a rule is broken or no field is present.
 */
[[nodiscard]] BULWARK_CORE_API std::optional<b3_context>
parse_b3_multi(const b3_multi_headers& headers) noexcept;

/**
 * The single `b3` header value. With ids: `{TraceId}-{SpanId}`, then `-0`/`-1`/`-d` unless the
 * sampling is unspecified, then `-{ParentSpanId}` when there is a parent. The trace id is
 * written as 16 digits when `trace_id_64bit` is set and its upper 8 bytes are zero, else 32.
 * Without ids (has_ids() false): the sampling state alone, or an empty string when it is
 * unspecified (then send no `b3` field).
 */
[[nodiscard]] BULWARK_CORE_API std::string format_b3_single(const b3_context& context);

/// Multi-header values to send; an empty string means "do not send this field".
struct b3_multi_values {
    std::string trace_id = {};       ///< X-B3-TraceId
    std::string span_id = {};        ///< X-B3-SpanId
    std::string parent_span_id = {}; ///< X-B3-ParentSpanId
    std::string sampled = {};        ///< X-B3-Sampled: "1", "0" or empty
    std::string flags = {};          ///< X-B3-Flags: "1" for debug (then X-B3-Sampled is omitted)

    friend bool operator==(const b3_multi_values&, const b3_multi_values&) = default;
};

/// The `X-B3-*` values for `context`, with the same id rules as format_b3_single(). Debug is
/// sent as `X-B3-Flags: 1` without X-B3-Sampled, as B3 asks.
[[nodiscard]] BULWARK_CORE_API b3_multi_values format_b3_multi(const b3_context& context);

/**
 * The W3C traceparent for a B3 context: same trace id, the B3 span id as parent-id (it is the
 * caller's span in both models), flags sampled for accept and debug, not sampled for deny and
 * unspecified (W3C has no deferred decision). The B3 parent span id and the debug mark have no
 * W3C field and are dropped.
 *
 * @return nullopt for a sampling-only context (traceparent requires ids).
 */
[[nodiscard]] BULWARK_CORE_API std::optional<traceparent>
to_traceparent(const b3_context& context) noexcept;

/// The B3 context for a traceparent: same trace id (as 32 digits), span = its parent-id, no
/// parent, accept if sampled else deny (a W3C caller has decided either way).
[[nodiscard]] BULWARK_CORE_API b3_context to_b3(const traceparent& tp) noexcept;

} // namespace bulwark

#endif
