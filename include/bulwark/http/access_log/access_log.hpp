#ifndef BULWARK_HTTP_ACCESS_LOG_ACCESS_LOG_HPP
#define BULWARK_HTTP_ACCESS_LOG_ACCESS_LOG_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>
#include <bulwark/telemetry/log/json_logger.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace bulwark::http {

/// What an access-log line shows of the client address.
enum class client_ip_mode : std::uint8_t {
    prefix, ///< the network only: 203.0.113.0/24, 2001:db8:85a3::/48 (the default)
    full,   ///< the whole address (personal data under the GDPR: decide consciously)
    omit,   ///< no client_ip member
};

/// Configuration of the `access_log` middleware.
struct access_log_config {
    /// Fraction of successful requests (status below 400) that get a line, 0 to 1; every
    /// client error, server error and aborted request is always logged. The choice is
    /// deterministic: exactly one in 1/rate. Default 1 (all).
    double success_sample_rate = 1.0;

    /// What the line shows of the client address. Default `prefix`.
    client_ip_mode client_ip = client_ip_mode::prefix;
    /// Bits `prefix` keeps: 8, 16 or 24 for IPv4 (default 24), a multiple of 16 up to 112 for
    /// IPv6 (default 48).
    std::size_t ipv4_prefix_bits = 24;
    std::size_t ipv6_prefix_bits = 48;

    /// Query parameters whose values are kept in `path`; every other value is written as
    /// `[REDACTED]` (keys stay). Kept values still pass the logger's redactor. Default: none.
    std::vector<std::string> query_values_kept = {};

    /// Request headers written as `header.<name>` members (names compared case-insensitively,
    /// values redacted by the logger). Authorization, Cookie, Set-Cookie,
    /// Proxy-Authorization, X-Api-Key and `never_logged_headers` are refused here. Default:
    /// none.
    std::vector<std::string> headers = {};

    /// More headers that must never be logged (besides the five above). Default: none.
    std::vector<std::string> never_logged_headers = {};

    /// The `message` member of every line. Default "request".
    std::string message = "request";
};

/// Checks `c`: sample rate in [0, 1], prefixes, a message, non-empty header names, no
/// never-logged header in `headers`.
[[nodiscard]] BULWARK_HTTP_API std::error_code validate(const access_log_config& c,
                                                        config_issue* issue = nullptr) noexcept;

/// What the middleware did.
struct access_log_stats {
    std::uint64_t lines = 0;       ///< lines handed to the logger
    std::uint64_t sampled_out = 0; ///< successful requests skipped by sampling
};

/**
 * One JSON line per request, written through a `telemetry::json_logger` when the request
 * completes: `method`, `route`, `path` (query values redacted), `status` (or "aborted"),
 * `duration_ms`, `bytes_in`, `bytes_out`, `request_id`, `trace_id`, `span_id`, `client_ip`
 * (see client_ip_mode), `user_agent`, `user_id` (when the handler set one in
 * `ctx.log_context()`), and the configured headers. Level: info, warn for 4xx and aborted
 * requests, error for 5xx.
 *
 * Place it early in the pipeline (after request_id and tracing, whose ids it reports), so it
 * sees requests that later middlewares reject; see docs/pipeline-order.md. It captures the
 * target and headers in the header phase and writes in the completion hook, after the
 * response is on the wire, so it never delays a response.
 *
 * @par Thread Safety
 * Copies share their counters; hooks may run on any number of threads.
 */
class access_log {
public:
    /// @throws std::system_error(error::invalid_config) naming the field `validate` rejected.
    BULWARK_HTTP_API explicit access_log(telemetry::json_logger& logger,
                                         access_log_config config = {});

    BULWARK_HTTP_API action on_header(request_context& ctx, request_header& h) noexcept;
    BULWARK_HTTP_API void on_complete(request_context& ctx) noexcept;

    [[nodiscard]] BULWARK_HTTP_API access_log_stats stats() const noexcept;

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace bulwark::http

#endif
