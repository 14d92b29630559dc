#ifndef BULWARK_HTTP_HEALTH_HTTP_GET_CHECK_HPP
#define BULWARK_HTTP_HEALTH_HTTP_GET_CHECK_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/health/check_result.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

namespace bulwark::http {

/// Configuration of an http_get_check.
struct http_get_check_config {
    /// The server: a DNS name, an IPv4 address or an IPv6 address (with or without brackets).
    /// An IP address is used without a DNS lookup. Sent as the Host header (and as the TLS SNI
    /// name unless it is an address). No default: must be set.
    std::string host = {};
    /// The TCP port. No default: 0 is invalid.
    std::uint16_t port = 0;
    /// The request target, in origin form ("/health?full=1"): starts with '/', visible ASCII
    /// only (percent-encode the rest). Default "/".
    std::string target = "/";
    /// The lowest status that counts as healthy. Default 200. In [100, 599].
    unsigned min_status = 200;
    /// The highest status that counts as healthy. Default 399: like Kubernetes' httpGet probe,
    /// a redirect counts as success and is not followed. In [min_status, 599].
    unsigned max_status = 399;
    /// The largest response accepted, header and body together, in bytes; a larger one is a
    /// failure (a health endpoint answering megabytes is misconfigured, and the check must not
    /// buffer it). Default 65536. Must be positive.
    std::size_t max_response_bytes = 65536;
    /// Null (the default): plain HTTP. Set: HTTPS through this client context, with SNI set to
    /// `host`. Certificate verification is as the context says (set_verify_mode); when it
    /// verifies, the certificate must also match `host` (a name or an IP address). Shared,
    /// because every run of the check uses it.
    std::shared_ptr<boost::asio::ssl::context> tls = {};
};

/**
 * Checks `c`: a non-empty host of host characters (letters, digits, "-._:[]%"), a non-zero
 * port, an origin-form target of visible ASCII, `100 <= min_status <= max_status <= 599`, a
 * positive `max_response_bytes`. The character rules keep a config from injecting header
 * lines into the request.
 *
 * @return error::invalid_config with `issue` naming the field, e.g.
 *         "http_get_check_config.target", or an empty error_code.
 */
[[nodiscard]] BULWARK_HTTP_API std::error_code validate(const http_get_check_config& c,
                                                        config_issue* issue = nullptr) noexcept;

namespace detail {

// The parsed config and the serialized request, shared by all runs of one check.
struct http_get_target;

// Runs one check; the probe lives in the .cpp so that every token type shares one
// instantiation of it.
BULWARK_HTTP_API void
start_http_get_check(const boost::asio::any_io_executor& ex,
                     const std::shared_ptr<const http_get_target>& target,
                     boost::asio::any_completion_handler<void(check_result)> handler);

struct initiate_http_get_check {
    template <class Handler>
    void operator()(Handler&& handler, const boost::asio::any_io_executor& ex,
                    const std::shared_ptr<const http_get_target>& target) const {
        start_http_get_check(ex, target,
                             boost::asio::any_completion_handler<void(check_result)>{
                                 std::forward<Handler>(handler)});
    }
};

} // namespace detail

/**
 * A health check that an HTTP endpoint answers with a healthy status, the check Kubernetes'
 * httpGet probe makes: one `GET` per run on a new connection, HTTP/1.1 with `Host`,
 * `User-Agent: bulwark-health/1` and `Connection: close`.
 *
 * It is an asynchronous initiating function with the completion signature
 * `void(bulwark::check_result)`, the form health_monitor accepts:
 * - `pass` when the status is in [min_status, max_status] and the whole response arrived
 *   within max_response_bytes; observed value the time from the call to the end of the
 *   response in "ms" (fractional);
 * - `fail` with an output naming the URL and what went wrong:
 *   "GET http://127.0.0.1:8080/health: status 503" (the body is not read then),
 *   "GET http://db:8080/health: resolve: host not found (authoritative)",
 *   "GET http://127.0.0.1:8080/health: connect: connection refused",
 *   "GET https://api:443/ready: TLS handshake: certificate verify failed (SSL routines)",
 *   "GET http://127.0.0.1:8080/health: read: bad version",
 *   "GET http://127.0.0.1:8080/health: response exceeds 65536 bytes";
 * - `fail("cancelled")` on cancellation.
 * The operation never throws and its handler is invoked exactly once, through the handler's
 * associated executor (never inside the initiating function).
 *
 * The check has no timeout of its own: health_monitor cancels a run that exceeds the check's
 * `timeout`, which covers a server that accepts and never answers.
 *
 * @par Per-Operation Cancellation
 * Supports `terminal`, `partial` and `total` cancellation at every stage: the handler is
 * invoked with fail("cancelled") promptly, and the connection is closed (no TLS close_notify).
 * A DNS lookup in progress cannot be interrupted (Asio runs getaddrinfo() on a private thread);
 * its result is discarded when it arrives. Emit the signal from the handler's executor, as Asio
 * requires of every operation.
 *
 * @par Thread Safety
 * Copies are cheap (the parsed config is shared, immutable) and independent; any number of
 * runs may be in progress at once, each with its own connection. With `tls` set, the
 * ssl::context is shared by the runs and must not be modified while any is in progress.
 *
 * @par Example
 * @code
 * bulwark::http::http_get_check api{ex, {.host = "127.0.0.1", .port = 8080,
 *                                        .target = "/health"}};
 * bulwark::check_result r = co_await api(boost::asio::use_awaitable);
 * @endcode
 */
class http_get_check {
public:
    using executor_type = boost::asio::any_io_executor;

    /// @throws std::system_error (error::invalid_config) naming the offending field.
    BULWARK_HTTP_API http_get_check(executor_type ex, http_get_check_config config);

    /// Starts one run; see the class documentation for the results. There is deliberately no
    /// default token: health_monitor tells a synchronous check from an asynchronous one by
    /// whether it can be called without arguments.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(check_result)) CompletionToken>
    auto operator()(CompletionToken&& token) const {
        return boost::asio::async_initiate<CompletionToken, void(check_result)>(
            detail::initiate_http_get_check{}, token, ex_, target_);
    }

    /// The executor the connection of each run uses.
    [[nodiscard]] const executor_type& get_executor() const noexcept { return ex_; }
    [[nodiscard]] BULWARK_HTTP_API const http_get_check_config& config() const noexcept;

private:
    executor_type ex_;
    std::shared_ptr<const detail::http_get_target> target_;
};

} // namespace bulwark::http

#endif
