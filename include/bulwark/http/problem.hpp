#ifndef BULWARK_HTTP_PROBLEM_HPP
#define BULWARK_HTTP_PROBLEM_HPP

#include <bulwark/config.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

namespace bulwark::http {

/// The detail of every 500 bulwark sends for an internal failure (a handler's exception, a
/// misbehaving hook): fixed text, so nothing internal reaches the client.
inline constexpr std::string_view internal_error_detail =
    "The server could not complete the request.";

/// The media type of every bulwark error response (RFC 9457 section 3).
inline constexpr std::string_view problem_json_media_type = "application/problem+json";

/**
 * An RFC 9457 "problem details" object: the body of every HTTP rejection bulwark sends.
 *
 * Every field is written into the response as given, so only client-safe text belongs here:
 * never an exception's what(), a file path, or a backend's error message. Empty optional
 * members are left out of the JSON.
 *
 * @par Example
 * @code
 * auto res = bulwark::http::make_problem_response(
 *     {.status = 429, .detail = "Too many requests for this client.", .request_id = id},
 *     req.version(), false);
 * @endcode
 */
struct problem {
    /// HTTP status code, 400-599. Any other value is sent as 500: a problem is an error.
    unsigned status = 500;
    /// URI reference naming the problem type. Empty means "about:blank" (the status alone says
    /// what happened), which is written out explicitly.
    std::string_view type = {};
    /// Short summary of the problem type. Empty means the status's reason phrase, which RFC 9457
    /// asks for when the type is "about:blank".
    std::string_view title = {};
    /// Explanation of this occurrence, for the client. Empty: omitted.
    std::string_view detail = {};
    /// URI reference identifying this occurrence. Empty: omitted.
    std::string_view instance = {};
    /// Extension member "requestId": the id the client can quote to operators. Empty: omitted.
    std::string_view request_id = {};
};

/**
 * The problem as a JSON object: `{"type":..,"title":..,"status":..,"detail":..,"instance":..,
 * "requestId":..}`, members in that order, strings escaped and made valid UTF-8.
 *
 * @par Thread Safety
 * Reentrant.
 */
[[nodiscard]] BULWARK_HTTP_API std::string to_json(const problem& p);

/**
 * A complete response carrying `p`: its status, `Content-Type: application/problem+json`,
 * `Cache-Control: no-store` (an error must not be served from a cache to another client), the
 * JSON body and a Content-Length. `keep_alive` false also sets `Connection: close`.
 *
 * @param p            the problem
 * @param http_version the request's version (10 or 11), as beast's `req.version()`
 * @param keep_alive   whether the connection stays open after this response
 */
[[nodiscard]] BULWARK_HTTP_API boost::beast::http::response<boost::beast::http::string_body>
make_problem_response(const problem& p, unsigned http_version, bool keep_alive);

} // namespace bulwark::http

#endif
