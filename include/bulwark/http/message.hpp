#ifndef BULWARK_HTTP_MESSAGE_HPP
#define BULWARK_HTTP_MESSAGE_HPP

#include <bulwark/config.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

namespace bulwark::http {

/// A request header as parsed before any body byte is read (what the header phase sees).
using request_header = boost::beast::http::request_header<>;
/// A complete request; the body is read into a string bounded by the request's body limit.
using request = boost::beast::http::request<boost::beast::http::string_body>;
/// A response as handlers and middlewares build it.
using response = boost::beast::http::response<boost::beast::http::string_body>;

/**
 * Writes the status line and header fields of `res`, through the blank line, into `out`
 * (replacing its contents; its capacity is reused).
 *
 * The session sends this and the body as two buffers of one gather write. Beast's serializer
 * walks a buffer sequence with several pieces per field; from wrk runs on the example server
 * that came to roughly 0.4 µs per field (about 5 µs for a dozen security headers, more than
 * the whole middleware pipeline). Derived from two throughput runs, not a benchmark of its own. The
 * bytes are those Beast would write; like Beast's serializer it does not re-validate fields
 * (Beast's field setters are where values are checked).
 *
 * @par Thread Safety
 * Reentrant.
 */
BULWARK_HTTP_API void serialize_header(const response& res, std::string& out);

} // namespace bulwark::http

#endif
