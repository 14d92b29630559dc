#ifndef BULWARK_HTTP_CLIENT_CLIENT_HPP
#define BULWARK_HTTP_CLIENT_CLIENT_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>
#include <bulwark/http/trace/tracing.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::http {

/// An http:// or https:// URL split for a client: host (brackets removed from an IPv6
/// literal), port (the scheme's default when absent) and target (path and query, "/" when
/// empty).
struct http_url {
    bool https = false;
    std::string host;
    std::uint16_t port = 0;
    std::string target;
};

/// Parses an absolute http(s) URL; nullopt for anything else (another scheme, userinfo, a
/// fragment, a bad port, characters that could split a request line or header).
[[nodiscard]] BULWARK_HTTP_API std::optional<http_url> parse_http_url(std::string_view url);

/// Configuration of an http::client: where it connects and how long it waits.
struct client_config {
    /// Host name or IP address literal of the upstream. Required.
    std::string host = {};
    /// TCP port. Required (1-65535).
    std::uint16_t port = 0;
    /// TLS client context; null for plain HTTP. With a context that verifies, the certificate
    /// must match `host` (SNI is sent for names).
    std::shared_ptr<boost::asio::ssl::context> tls = {};
    /// Time for the whole exchange: resolve, connect, handshake, write, read. Default 10 s.
    duration timeout = std::chrono::seconds{10};
    /// Largest response (header and body) accepted. Default 8 MiB.
    std::size_t max_response_bytes = 8 * 1024 * 1024;
    /// Which trace headers go out with a request sent within a server span.
    trace_propagation propagation = trace_propagation::w3c;
};

/// Checks a config; names the offending field in `issue`.
[[nodiscard]] BULWARK_HTTP_API std::error_code validate(const client_config& c,
                                                        config_issue* issue = nullptr) noexcept;

namespace detail {
struct client_target;
BULWARK_HTTP_API void start_client_request(
    const boost::asio::any_io_executor& ex, const std::shared_ptr<const client_target>& target,
    request req,
    boost::asio::any_completion_handler<void(boost::system::error_code, response)> handler);
} // namespace detail

/**
 * A small HTTP/1.1 client for calls a handler makes to its upstreams, carrying the request's
 * trace context: one connection per request (`Connection: close`), bounded in time and size.
 * It is not a connection pool; wrap it in async_retry and a circuit breaker as needed.
 *
 * send() fills in Host (the configured authority), User-Agent (bulwark) and Content-Length
 * when the request lacks them, and the trace headers of `parent` (see inject_trace) when
 * given, and completes with the response or an error: a timeout is `error::deadline_exceeded`
 * (bulwark's), an oversized response `boost::beast::http::error::body_limit` or
 * `header_limit`, others are Asio's and Beast's.
 *
 * @par Per-Operation Cancellation
 * Terminal cancellation closes the connection; the operation completes with
 * operation_aborted.
 *
 * @par Thread Safety
 * send() may be called concurrently; each call has its own connection.
 */
class client {
public:
    using executor_type = boost::asio::any_io_executor;

    /// @throws std::system_error naming the bad field of `config`.
    BULWARK_HTTP_API client(executor_type ex, client_config config);

    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, response))
                  CompletionToken>
    auto send(request req, const request_context* parent, CompletionToken&& token) const {
        return boost::asio::async_initiate<CompletionToken,
                                           void(boost::system::error_code, response)>(
            [](auto handler, const executor_type& ex,
               const std::shared_ptr<const detail::client_target>& target, request r,
               const request_context* p) {
                prepare(*target, r, p);
                detail::start_client_request(ex, target, std::move(r), std::move(handler));
            },
            token, ex_, target_, std::move(req), parent);
    }

    [[nodiscard]] const executor_type& get_executor() const noexcept { return ex_; }
    [[nodiscard]] BULWARK_HTTP_API const client_config& config() const noexcept;

private:
    BULWARK_HTTP_API static void prepare(const detail::client_target& target, request& req,
                                         const request_context* parent);

    executor_type ex_;
    std::shared_ptr<const detail::client_target> target_;
};

} // namespace bulwark::http

#endif
