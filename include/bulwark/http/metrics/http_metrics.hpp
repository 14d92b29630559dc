#ifndef BULWARK_HTTP_METRICS_HTTP_METRICS_HPP
#define BULWARK_HTTP_METRICS_HTTP_METRICS_HPP

#include <bulwark/config.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/rate_limit/in_flight_limit.hpp>
#include <bulwark/http/rate_limit/rate_limit.hpp>
#include <bulwark/http/request_context.hpp>
#include <bulwark/telemetry/metrics/metric_names.hpp>
#include <bulwark/telemetry/metrics/metrics_registry.hpp>
#include <bulwark/telemetry/metrics/striped.hpp>

#include <boost/beast/http/verb.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::http {

class server;

/// Configuration of the http_metrics middleware.
struct http_metrics_config {
    /// Bucket bounds of http_server_request_duration_seconds, ascending, in seconds.
    /// Default: OpenTelemetry's HTTP buckets, 5 ms to 10 s.
    std::vector<double> duration_buckets = {std::begin(telemetry::http_duration_buckets),
                                            std::end(telemetry::http_duration_buckets)};
    /// Record the request and response body size histograms. Default true.
    bool body_sizes = true;
    /// Bucket bounds of the body size histograms, in bytes. Default: 100 B to 100 MB.
    std::vector<double> size_buckets = {std::begin(telemetry::http_size_buckets),
                                        std::end(telemetry::http_size_buckets)};
};

/// The `method` label of a request: the eight methods of RFC 9110 and PATCH by name, anything
/// else "_OTHER" (OpenTelemetry's rule: a method label must not take arbitrary values).
[[nodiscard]] BULWARK_HTTP_API std::string_view
method_label(boost::beast::http::verb method) noexcept;

namespace detail {
// Index of a method's label in http_metrics' per-method tables (see method_label).
constexpr std::size_t method_index(boost::beast::http::verb v) noexcept {
    using boost::beast::http::verb;
    switch (v) {
    case verb::get: return 0;
    case verb::head: return 1;
    case verb::post: return 2;
    case verb::put: return 3;
    case verb::delete_: return 4;
    case verb::connect: return 5;
    case verb::options: return 6;
    case verb::trace: return 7;
    case verb::patch: return 8;
    default: return 9;
    }
}
inline constexpr std::size_t method_labels = 10;
} // namespace detail

/**
 * Middleware: the RED metrics of every request, with the OpenTelemetry HTTP server names.
 *
 * - http_server_requests_total{method, route, status}
 * - http_server_request_duration_seconds{method, route} (histogram)
 * - http_server_active_requests{method}
 * - http_server_request_body_size_bytes / http_server_response_body_size_bytes{method, route}
 *
 * `route` is the router's path template ("/users/{id}"), or "unmatched": never the raw path,
 * so an attacker cannot grow the number of series. `status` is the status sent, or "aborted"
 * when the request ended without a response. Client addresses and user ids are never labels.
 *
 * Cost: the header phase increments the active gauge of the request's method (resolved at
 * construction). Completion finds the request's series in a lock-free table keyed by (route,
 * method, status) — label values are resolved once per combination, under a mutex, then read
 * with one atomic load — and records into striped instruments (no lock, no shared cache line
 * between threads). Place it first in the pipeline so that its header phase sees every
 * request (a request rejected before it is still counted at completion, but not as active).
 *
 * @par Thread Safety
 * The hooks are thread-safe; copies share the instruments and the table.
 */
class http_metrics {
public:
    /// @throws std::system_error naming "http_metrics_config.duration_buckets" or
    ///         "http_metrics_config.size_buckets" for bounds that are empty, unsorted or not
    ///         finite, or the registry's error when a name is taken with other labels.
    BULWARK_HTTP_API explicit http_metrics(telemetry::metrics_registry& registry,
                                           http_metrics_config config = {});

    action on_header(request_context& ctx, request_header& h) noexcept;
    BULWARK_HTTP_API void on_complete(request_context& ctx) noexcept;

    /// Series (distinct route, method, status combinations) resolved so far.
    [[nodiscard]] BULWARK_HTTP_API std::size_t series() const noexcept;

    struct state;

private:
    std::shared_ptr<state> state_;
    std::array<telemetry::striped_gauge*, detail::method_labels> active_{};
};

inline action http_metrics::on_header(request_context& ctx, request_header& /*h*/) noexcept {
    auto* gauge = active_[detail::method_index(ctx.method())];
    gauge->increment();
    ctx.set_active_series(gauge);
    return action::proceed;
}

/**
 * Exports a server's own counters at scrape time: http_server_open_connections,
 * http_server_connections_total and http_server_handler_exceptions_total. Nothing is recorded
 * per request. The hook holds the server's shared state, so either may be destroyed first.
 */
[[nodiscard]] BULWARK_HTTP_API telemetry::collect_hook
instrument(telemetry::metrics_registry& registry, const server& s);

/// Exports a rate_limit middleware's decisions at scrape time as
/// bulwark_ratelimit_decisions_total{limiter=name, result=allowed|limited|unkeyed}
/// (shadow_limited instead of limited when it does not enforce). Costs the request nothing.
template <class Limiter, class KeyFn>
[[nodiscard]] telemetry::collect_hook instrument(telemetry::metrics_registry& registry,
                                                 const rate_limit<Limiter, KeyFn>& limit,
                                                 std::string_view name);

/// Exports an in_flight_limit's decisions at scrape time as
/// bulwark_ratelimit_decisions_total{limiter=name, result=allowed|limited} (shadow_limited
/// when it does not enforce).
[[nodiscard]] BULWARK_HTTP_API telemetry::collect_hook
instrument(telemetry::metrics_registry& registry, const in_flight_limit& limit,
           std::string_view name);

namespace detail {
// Registers a hook that adds the growth of `read()`'s three counters (allowed, limited,
// unkeyed) to bulwark_ratelimit_decisions_total{limiter = name}.
BULWARK_HTTP_API telemetry::collect_hook
instrument_decisions(telemetry::metrics_registry& registry, std::string_view name, bool enforce,
                     std::function<rate_limit_stats()> read);
} // namespace detail

template <class Limiter, class KeyFn>
telemetry::collect_hook instrument(telemetry::metrics_registry& registry,
                                   const rate_limit<Limiter, KeyFn>& limit, std::string_view name) {
    return detail::instrument_decisions(registry, name, limit.config().enforce,
                                        [limit] { return limit.stats(); });
}

} // namespace bulwark::http

#endif
