#ifndef BULWARK_HTTP_SECURITY_HEADERS_SECURITY_HEADERS_HPP
#define BULWARK_HTTP_SECURITY_HEADERS_SECURITY_HEADERS_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/security_headers/content_security_policy.hpp>
#include <bulwark/core/security_headers/security_headers.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <boost/beast/http/field.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace bulwark::http {

/// Length of a CSP nonce: 16 random bytes in base64, with padding.
inline constexpr std::size_t csp_nonce_size = 24;

/**
 * Writes a fresh CSP nonce into `out`: 128 bits from OpenSSL's CSPRNG (RAND_bytes), standard
 * base64 with padding, 24 characters. Returns csp_nonce_size, or 0 when the random generator
 * failed (nothing usable was written).
 *
 * RAND_bytes costs over a microsecond per call, so random bytes are drawn 64 nonces at a time
 * into a per-thread pool (discarded in a child after fork(), so parent and child never hand out
 * the same nonces); a nonce then costs a copy and an encoding.
 *
 * @par Thread Safety
 * Thread-safe.
 */
BULWARK_HTTP_API std::size_t generate_csp_nonce(std::span<char, csp_nonce_size> out) noexcept;

/**
 * Middleware: adds security response headers (helmet 8's set by default; see
 * bulwark::security_headers_config for the presets) and strips fingerprinting and internal
 * headers.
 *
 * Header phase: only when the config has csp_nonce_directives, makes a fresh nonce
 * (generate_csp_nonce) and stores it with request_context::set_csp_nonce(), so the handler can
 * write `<script nonce="...">` with request_context::csp_nonce(). Never rejects.
 *
 * Response phase, on every response (the handler's, and problem+json rejections alike):
 * - strips the headers named in remove_headers / remove_header_prefixes (any case), always,
 *   whoever set them;
 * - adds each configured header unless the response already has a header of that name: an
 *   explicit choice of the handler (or of a middleware that ran before in the response phase)
 *   wins, as in Express, where a route handler runs after helmet and overwrites its headers;
 * - in the policies, inserts `'nonce-<nonce>'` into the configured directives; a response
 *   whose request got no nonce (rejected before this middleware's header phase, or a random
 *   generator failure) gets the policy without a nonce, which fails closed: inline scripts do
 *   not run;
 * - Strict-Transport-Security is left out on plain-HTTP requests when hsts_tls_only is set;
 *   Cache-Control only goes on sensitive routes (unless all_routes_sensitive).
 *
 * Everything is compiled to final strings at construction: a response costs one pass over its
 * existing fields and one Beast insert per added header (plus, with nonces, one copy of the
 * policy into a stack buffer).
 *
 * @par Thread Safety
 * The hooks are thread-safe (the compiled configuration is immutable; the nonce pool is
 * per-thread).
 */
class security_headers {
public:
    /// Validates and compiles `config`.
    /// @throws std::system_error (error::invalid_config) naming the offending field.
    BULWARK_HTTP_API explicit security_headers(const security_headers_config& config = {});

    BULWARK_HTTP_API action on_header(request_context& ctx, request_header& h);
    BULWARK_HTTP_API void on_response(request_context& ctx, response& res);

    /// The compiled headers, remove lists and sensitive routes.
    [[nodiscard]] const compiled_security_headers& compiled() const noexcept { return compiled_; }

private:
    compiled_security_headers compiled_;
    // Beast's field enum of each compiled header (field::unknown for names Beast lacks), so a
    // lookup compares enums instead of strings and an insert skips Beast's name lookup.
    std::vector<boost::beast::http::field> fields_;
};

} // namespace bulwark::http

#endif
