#ifndef BULWARK_HTTP_SESSION_HPP
#define BULWARK_HTTP_SESSION_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/http/client_address.hpp>

#include <chrono>
#include <cstdint>

namespace bulwark::http {

/**
 * Limits and deadlines of one connection of the ready-made session (http::server).
 *
 * Every field is finite by default: a client can hold a connection, a header or a body only so
 * long and so large. Deadlines are totals, not per-read timeouts, so a client that drips one
 * byte a second (slowloris) is cut off when the deadline passes, not kept alive by each byte.
 */
struct session_config {
    /// Bytes of request line plus header fields. Beyond it: 431 and close. Default 16 KiB.
    std::uint32_t header_limit = 16 * 1024;
    /// Body bytes when no middleware sets a route's own limit (size_limits does). Beyond it:
    /// 413 and close; a Content-Length above it is refused before any body byte is read.
    /// Default 1 MiB. 0: requests must have no body.
    std::uint64_t body_limit = 1024 * 1024;
    /// From the first byte of a request to the end of its header. Exceeded: 408 and close.
    /// Default 10 s.
    duration header_timeout = std::chrono::seconds{10};
    /// For the whole body. Exceeded: 408 and close. Default 30 s.
    duration body_timeout = std::chrono::seconds{30};
    /// Waiting for the next request on a kept-alive connection (and for the first byte of the
    /// first one, which header_timeout bounds too). Exceeded: closed without a response, as
    /// HTTP allows. Default 60 s.
    duration idle_timeout = std::chrono::seconds{60};
    /// Writing one response. Exceeded: the connection is closed. Default 30 s.
    duration write_timeout = std::chrono::seconds{30};
    /// The TLS handshake. Default 10 s.
    duration handshake_timeout = std::chrono::seconds{10};
    /// Requests served on one connection before it is closed (Connection: close on the last
    /// response), so long-lived clients rebalance across instances. Default 1000.
    /// 0: unlimited.
    std::uint32_t max_requests_per_connection = 1000;
    /// How the client address is found (trusted proxies). Default: the peer, headers ignored.
    client_address_config client_address = {};
};

} // namespace bulwark::http

#endif
