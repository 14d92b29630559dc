#ifndef BULWARK_HTTP_CORS_CORS_HPP
#define BULWARK_HTTP_CORS_CORS_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bulwark::http {

/**
 * Configuration of the cors middleware. Every list is validated once, at construction.
 *
 * Origins are written as browsers serialise them in the Origin header: `scheme://host[:port]`,
 * no path, no trailing slash. Scheme and host are compared case-insensitively (they are
 * lower-cased at construction); a default port (80 for http/ws, 443 for https/wss) is dropped,
 * because browsers never send it.
 */
struct cors_config {
    /// Origins allowed to read responses cross-origin. Each entry is one of:
    /// - an exact origin, "https://app.example.com" or "http://localhost:8080";
    /// - a subdomain pattern, "https://*.example.com": any subdomain of example.com at any
    ///   depth, with the same scheme and port, but not example.com itself;
    /// - "*": any origin (only entry allowed then; not with allow_credentials).
    /// "null" is refused: sandboxed frames, file: pages and redirects all share it.
    /// Default empty: no cross-origin access.
    std::vector<std::string> allowed_origins = {};
    /// Send `Access-Control-Allow-Credentials: true`, letting browsers send cookies and HTTP
    /// authentication cross-origin and read the answers. Default false.
    bool allow_credentials = false;
    /// Methods a preflight may ask for (case-sensitive, as HTTP methods are), sent in
    /// `Access-Control-Allow-Methods`. Default GET, HEAD, POST; empty: every preflight is denied.
    std::vector<std::string> allowed_methods = {"GET", "HEAD", "POST"};
    /// Request headers a preflight may ask for (case-insensitive). Default empty: only what
    /// browsers send without asking (the CORS-safelisted headers with safelisted values). A JSON
    /// API needs "content-type" here: `Content-Type: application/json` is not safelisted.
    std::vector<std::string> allowed_headers = {};
    /// Response headers scripts may read beyond the safelisted ones (Cache-Control,
    /// Content-Language, Content-Length, Content-Type, Expires, Last-Modified, Pragma), sent in
    /// `Access-Control-Expose-Headers`. Default empty: header omitted.
    std::vector<std::string> exposed_headers = {};
    /// How long browsers may cache a preflight answer (`Access-Control-Max-Age`), 0 to 86,400 s.
    /// Default 600 s. Zero: sent as 0, browsers preflight every request. Browsers cap the value
    /// (Chromium at 7,200 s, Firefox at 86,400 s).
    std::chrono::seconds max_age{600};
    /// Answer denied preflights with 403. False: shadow mode, denied preflights go on to the
    /// route and are only counted. Default true.
    bool enforce = true;
};

/// What cors::snapshot() reports; every count is since construction.
struct cors_snapshot {
    /// Preflights answered with 204.
    std::uint64_t preflights_allowed = 0;
    /// Preflights denied (origin, method or a header not allowed), enforced or not.
    std::uint64_t preflights_denied = 0;
    /// Requests other than preflights whose Origin is not allowed (answered without CORS
    /// headers, so the browser withholds the response from the calling page).
    std::uint64_t disallowed_origins = 0;
    /// Denied preflights let through because enforce is false.
    std::uint64_t shadow_rejections = 0;
};

/**
 * Middleware: Cross-Origin Resource Sharing (the Fetch standard's CORS protocol).
 *
 * Header phase. A request with an allowed Origin is remembered on the context
 * (request_context::set_cors_origin). A preflight, an OPTIONS request carrying Origin and
 * Access-Control-Request-Method, is answered here: 204 with the allow headers when the origin,
 * the method and every requested header are allowed; otherwise a 403 problem+json without any
 * allow header (or, with enforce false, nothing: the request goes on and is counted).
 *
 * Response phase, on every other response (the handler's and other middlewares' rejections
 * alike, so a browser can read a 429): `Access-Control-Allow-Origin` with the request's own
 * Origin when it was allowed, or "*" on every response when any origin is; the credentials and
 * expose headers when configured; `Vary: Origin` appended whenever the answer depends on the
 * origin, including on responses to requests without one, so caches keep the variants apart.
 *
 * A disallowed origin's actual request is not rejected: CORS decides what a browser lets a
 * page read, it is not authorization. An origin is echoed only when it matched the allowlist,
 * never because it was sent, and "*" cannot be combined with credentials.
 *
 * Matching an Origin costs one lower-casing copy into a stack buffer, a binary search of the
 * exact origins and a suffix comparison per pattern, and allocates nothing.
 *
 * @par Thread Safety
 * The hooks, allows_origin() and snapshot() are thread-safe (counters are relaxed atomics).
 */
class cors {
public:
    /// The middleware name reported by request_context::rejected_by() for its own answers.
    static constexpr std::string_view middleware_name = "cors";
    /// Longest Origin value considered; longer ones never match (a host is at most 253 bytes).
    static constexpr std::size_t max_origin_size = 512;

    /**
     * @throws std::system_error (bulwark::error::invalid_config) naming the first bad field,
     *         with the list position for list fields, e.g. "cors_config.allowed_origins[1]".
     */
    BULWARK_HTTP_API explicit cors(cors_config config);

    cors(cors&& other) noexcept = default;
    cors& operator=(cors&& other) noexcept = default;
    cors(const cors&) = delete;
    cors& operator=(const cors&) = delete;
    ~cors() = default;

    /**
     * Checks a config. On failure fills `issue` (field, reason) and, for list fields, `index`
     * with the offending entry's position (otherwise it is left alone).
     */
    [[nodiscard]] BULWARK_HTTP_API static std::error_code
    validate(const cors_config& config, config_issue* issue = nullptr,
             std::size_t* index = nullptr) noexcept;

    /// Whether a request with this Origin value may read responses.
    [[nodiscard]] BULWARK_HTTP_API bool allows_origin(std::string_view origin) const noexcept;

    BULWARK_HTTP_API action on_header(request_context& ctx, request_header& h);
    BULWARK_HTTP_API void on_response(request_context& ctx, response& res);

    [[nodiscard]] BULWARK_HTTP_API cors_snapshot snapshot() const noexcept;
    /// The configuration as given.
    [[nodiscard]] const cors_config& config() const noexcept { return config_; }

private:
    struct pattern {
        std::string scheme_prefix; ///< "https://"
        std::string host_suffix;   ///< ".example.com"
        std::string port;          ///< ":8443", or "" for the default port
    };

    /// Relaxed atomics, movable so the middleware can be moved into a pipeline before use.
    struct counters {
        std::atomic<std::uint64_t> preflights_allowed{0};
        std::atomic<std::uint64_t> preflights_denied{0};
        std::atomic<std::uint64_t> disallowed_origins{0};
        std::atomic<std::uint64_t> shadow_rejections{0};

        counters() = default;
        counters(const counters&) = delete;
        counters& operator=(const counters&) = delete;
        counters(counters&& other) noexcept { *this = std::move(other); }
        counters& operator=(counters&& other) noexcept;
        ~counters() = default;
    };

    [[nodiscard]] bool method_allowed(std::string_view method) const noexcept;
    [[nodiscard]] const std::string* header_allowed(std::string_view name) const noexcept;
    action answer_preflight(request_context& ctx, request_header& h, bool origin_allowed,
                            std::string_view origin);
    action deny_preflight(request_context& ctx, std::string_view detail);

    cors_config config_;
    bool any_origin_ = false;
    std::vector<std::string> exact_origins_; ///< normalised, sorted
    std::vector<pattern> patterns_;
    std::vector<std::string> header_names_; ///< allowed_headers, lower-case
    std::string allow_methods_value_;       ///< "GET, HEAD, POST"
    std::string expose_headers_value_;      ///< "" when none
    std::string max_age_value_;             ///< "600"
    counters counters_;
};

} // namespace bulwark::http

#endif
