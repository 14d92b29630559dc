#ifndef BULWARK_HTTP_SERVER_HPP
#define BULWARK_HTTP_SERVER_HPP

#include <bulwark/asio/shutdown/graceful_shutdown.hpp>
#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/http/pipeline.hpp>
#include <bulwark/http/router.hpp>
#include <bulwark/http/session.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <system_error>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace bulwark::http {

/// Configuration of http::server.
struct server_config {
    /// Per-connection limits and deadlines.
    session_config session = {};
    /// Connections open at once, over all listeners. At the limit the server stops accepting
    /// (new clients wait in the kernel's backlog) until one closes. Default 10000.
    /// 0 is invalid.
    std::size_t max_connections = 10'000;
    /// Called with the exception a handler threw (for your logs); the client gets a 500
    /// problem+json without its text. Default: none. Must not throw.
    std::function<void(request_context&, std::exception_ptr)> on_handler_exception = {};
};

/// Counters of a server (relaxed reads; each is exact on its own).
struct server_stats {
    std::uint64_t accepted = 0;      ///< connections accepted
    std::size_t active = 0;          ///< connections open now
    std::uint64_t requests = 0;      ///< responses sent or attempted (any status)
    std::uint64_t accept_paused = 0; ///< times accepting paused at max_connections
    std::uint64_t handler_exceptions = 0;
};

/**
 * The ready-made HTTP/1.1 server: listeners (plain TCP and TLS), one C++20 coroutine per
 * connection, the middleware pipeline and a router.
 *
 * Per request the session reads the header (bounded by header_limit and header_timeout), takes
 * the one clock read, resolves the client address, routes, runs the header phase, rejects a
 * Content-Length above the body limit before reading a byte, answers `Expect: 100-continue`
 * only then, reads the body (bounded by the limit while reading, so a chunked upload is cut
 * off), runs the request phase and the handler, the response phase in reverse, writes, and
 * runs the completion hooks. Every failure that has someone to answer becomes problem+json
 * (400 malformed, 404, 405, 408, 413, 431, 500 for a handler's exception, whose text never
 * reaches the client); a response after which the request's body is left unread closes the
 * connection, since the unread bytes cannot be told from the next request.
 *
 * @par Thread Safety
 * The server's members are thread-safe. Run the io_context on as many threads as you like:
 * each connection runs on its own strand.
 *
 * @par Example
 * @snippet examples/server/main.cpp server
 */
class server {
public:
    /**
     * @throws std::system_error (bulwark::error::invalid_config) naming the bad field.
     */
    BULWARK_HTTP_API server(boost::asio::any_io_executor executor, server_config config,
                            any_middleware pipeline, router routes);
    /// Closes every listener and connection.
    BULWARK_HTTP_API ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    [[nodiscard]] BULWARK_HTTP_API static std::error_code validate(const server_config& config,
                                                                   config_issue* issue = nullptr);

    /// Listens on `endpoint` (port 0: any free port) for plain HTTP; returns the bound endpoint.
    /// @throws boost::system::system_error when binding fails.
    BULWARK_HTTP_API boost::asio::ip::tcp::endpoint
    listen(const boost::asio::ip::tcp::endpoint& endpoint);
    /// Listens for HTTPS with `tls`, which must outlive every connection: keep it alive until
    /// the io_context has stopped running (connections can outlive the server object).
    BULWARK_HTTP_API boost::asio::ip::tcp::endpoint
    listen(const boost::asio::ip::tcp::endpoint& endpoint, boost::asio::ssl::context& tls);

    /**
     * Ties the server to a shutdown coordinator (call it before listen(); the coordinator must
     * outlive the io_context's run, as connections hold its work units): when draining
     * begins the server stops accepting, closes idle connections, and answers in-flight
     * requests with Connection: close; every connection is tracked work, so
     * `shutdown.async_wait_drained()` completes when the last one has closed.
     */
    BULWARK_HTTP_API void attach(graceful_shutdown& shutdown);

    /// Begins draining by itself (what attach() wires to the coordinator).
    BULWARK_HTTP_API void drain();
    /// Whether draining has begun.
    [[nodiscard]] BULWARK_HTTP_API bool draining() const noexcept;
    /// Stops accepting and closes every connection now, in-flight requests included.
    BULWARK_HTTP_API void close();

    /// A function reading stats() that shares the server's state, so it stays callable after
    /// the server is gone (a metrics hook reads it at scrape time).
    [[nodiscard]] BULWARK_HTTP_API std::function<server_stats()> stats_reader() const;
    [[nodiscard]] BULWARK_HTTP_API server_stats stats() const noexcept;

    /// The pipeline as given (to reach a middleware: `pipeline().target<my_pipeline>()`).
    [[nodiscard]] BULWARK_HTTP_API any_middleware& pipeline() noexcept;

    struct core; // the state shared with the connections

private:
    std::shared_ptr<core> core_;
};

} // namespace bulwark::http

#endif
