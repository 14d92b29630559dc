#ifndef BULWARK_CORE_SECURITY_HEADERS_SECURITY_HEADERS_HPP
#define BULWARK_CORE_SECURITY_HEADERS_SECURITY_HEADERS_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/security_headers/content_security_policy.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bulwark {

/// Strict-Transport-Security: how long browsers must use HTTPS only for this host.
struct hsts_policy {
    /// max-age, in seconds. Default 31,536,000 (365 days, helmet 8's and OWASP's value). Zero
    /// tells browsers to forget the host's HSTS entry; negative is invalid.
    std::chrono::seconds max_age = std::chrono::seconds{31'536'000};
    /// Add includeSubDomains: every subdomain is HTTPS-only too. Default true.
    bool include_subdomains = true;
    /// Add preload (asking to be built into browsers; hard to undo). Default false. Requires
    /// include_subdomains and a max_age of at least one year, as the preload list does.
    bool preload = false;

    /// The header value, e.g. "max-age=31536000; includeSubDomains".
    [[nodiscard]] BULWARK_CORE_API std::string to_string() const;
};

/// A header the security_headers config has no field for (Reporting-Endpoints,
/// Clear-Site-Data, ...): sent as is, under the same "unless the handler set it" rule.
struct custom_header {
    std::string name;  ///< a field-name token, e.g. "Reporting-Endpoints"
    std::string value; ///< printable ASCII, no leading or trailing space
};

/**
 * Configuration of the security-headers middleware: which response headers to add, and which
 * to strip.
 *
 * A default-constructed config sends exactly what helmet 8 sends by default, with the same
 * values, and strips Server and X-Powered-By (and a few other fingerprinting and
 * internal-topology headers). Every string header is omitted when set to "" and every optional
 * one when set to std::nullopt. The presets html_app(), json_api() and strict() start from
 * here; all of them are ordinary configs to adjust further.
 *
 * Field names in validation errors: "security_headers_config.<field>", except the two policies,
 * reported as "content_security_policy.<directive>" and
 * "content_security_policy_report_only.<directive>".
 */
struct security_headers_config {
    /// Content-Security-Policy. Default: helmet 8's policy
    /// (content_security_policy::helmet_defaults()). nullopt: not sent.
    std::optional<bulwark::content_security_policy> content_security_policy =
        bulwark::content_security_policy::helmet_defaults();
    /// Content-Security-Policy-Report-Only, sent in addition to the enforced policy: browsers
    /// report (report-to / report-uri directives) what it would block without blocking it, so
    /// a stricter policy can be trialled in production. Default nullopt: not sent.
    std::optional<bulwark::content_security_policy> content_security_policy_report_only =
        std::nullopt;
    /// Directives that get a fresh per-request nonce ('nonce-<24 base64 chars>', 128 random
    /// bits), in both policies where they appear; the handler reads the nonce from the request
    /// context to put it on its <script nonce="..."> / <style nonce="..."> elements. Each must
    /// be one of default-src, script-src, script-src-elem, style-src, style-src-elem, appear in
    /// a policy, and not be 'none' there. Default empty: no nonce, no per-request work.
    std::vector<std::string> csp_nonce_directives = {};

    /// Cross-Origin-Embedder-Policy: require-corp, credentialless or unsafe-none. Default ""
    /// (not sent, as helmet 8: require-corp breaks pages embedding cross-origin resources that
    /// do not opt in).
    std::string cross_origin_embedder_policy = {};
    /// Cross-Origin-Opener-Policy: same-origin, same-origin-allow-popups,
    /// noopener-allow-popups or unsafe-none. Default "same-origin".
    std::string cross_origin_opener_policy = "same-origin";
    /// Cross-Origin-Resource-Policy: same-origin, same-site or cross-origin. Default
    /// "same-origin".
    std::string cross_origin_resource_policy = "same-origin";
    /// Origin-Agent-Cluster: ?1 or ?0. Default "?1".
    std::string origin_agent_cluster = "?1";
    /// Referrer-Policy: one or more comma-separated policy tokens. Default "no-referrer".
    std::string referrer_policy = "no-referrer";
    /// Strict-Transport-Security. Default max-age=31536000; includeSubDomains. nullopt: not
    /// sent.
    std::optional<hsts_policy> strict_transport_security = hsts_policy{};
    /// Send Strict-Transport-Security only on requests that arrived over TLS. Default false,
    /// helmet's behaviour: browsers ignore HSTS received over plain HTTP anyway, and behind a
    /// TLS-terminating proxy the server itself sees plain HTTP although the client used HTTPS.
    /// Set it when the server terminates TLS itself and also serves plain HTTP.
    bool hsts_tls_only = false;
    /// X-Content-Type-Options: nosniff. Default "nosniff".
    std::string x_content_type_options = "nosniff";
    /// X-DNS-Prefetch-Control: on or off. Default "off".
    std::string x_dns_prefetch_control = "off";
    /// X-Download-Options: noopen. Default "noopen".
    std::string x_download_options = "noopen";
    /// X-Frame-Options: DENY or SAMEORIGIN (any case). Default "SAMEORIGIN".
    std::string x_frame_options = "SAMEORIGIN";
    /// X-Permitted-Cross-Domain-Policies: none, master-only, by-content-type, by-ftp-filename or
    /// all. Default "none".
    std::string x_permitted_cross_domain_policies = "none";
    /// X-XSS-Protection: 0, 1 or "1; mode=block". Default "0": the legacy filter it controls
    /// could itself be abused to remove scripts from a page, so helmet and OWASP turn it off.
    std::string x_xss_protection = "0";
    /// Permissions-Policy, a structured-field dictionary such as "camera=(), geolocation=(self)".
    /// Default "" (not sent, as helmet).
    std::string permissions_policy = {};

    /// Cache-Control value for sensitive responses. Default "no-store". Sent on the routes in
    /// sensitive_routes, or on every response with all_routes_sensitive.
    std::string cache_control = "no-store";
    /// Route templates, as request_context::route() reports them ("/account/{id}"), whose
    /// responses are sensitive (tokens, personal data): they get cache_control so that no
    /// browser or shared cache keeps a copy. Default empty.
    std::vector<std::string> sensitive_routes = {};
    /// Treat every response as sensitive. Default false.
    bool all_routes_sensitive = false;

    /// Further headers to send (at most 32), e.g. Reporting-Endpoints for CSP's report-to. A
    /// name this config has a field for is refused: use the field. Default empty.
    std::vector<custom_header> additional_headers = {};

    /// Response headers to strip (exact names, any case): they tell an attacker which software
    /// and version runs, for free. Default Server, X-Powered-By, X-AspNet-Version,
    /// X-AspNetMvc-Version.
    std::vector<std::string> remove_headers = {"Server", "X-Powered-By", "X-AspNet-Version",
                                               "X-AspNetMvc-Version"};
    /// Prefixes of response headers to strip (any case). Default X-B3- (Zipkin trace ids) and
    /// X-Envoy- (mesh internals such as X-Envoy-Upstream-Service-Time), which leak the internal
    /// topology to clients.
    std::vector<std::string> remove_header_prefixes = {"X-B3-", "X-Envoy-"};

    /**
     * For a server-rendered HTML application: helmet's defaults plus a per-request nonce in
     * script-src, so inline <script nonce="..."> elements run and injected ones do not. Styles
     * keep helmet's 'unsafe-inline' (a nonce in style-src would make browsers ignore it).
     */
    [[nodiscard]] BULWARK_CORE_API static security_headers_config html_app();
    /**
     * For an API answering JSON: nothing a browser could render is allowed to load or run, and
     * nothing is cached. CSP `default-src 'none';frame-ancestors 'none'`, X-Frame-Options DENY,
     * Cache-Control no-store on every response, HSTS, nosniff, Referrer-Policy no-referrer,
     * CORP same-origin, X-Permitted-Cross-Domain-Policies none; the document-only headers
     * (COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options, X-XSS-Protection)
     * are left out as they do nothing on a JSON response. CORP does not affect CORS requests.
     */
    [[nodiscard]] BULWARK_CORE_API static security_headers_config json_api();
    /**
     * The OWASP Secure Headers Project's recommended values (headers_add.json, 2024): CSP
     * `default-src 'self';form-action 'self';object-src 'none';frame-ancestors 'none';`
     * `upgrade-insecure-requests;block-all-mixed-content`, COEP require-corp, COOP and CORP
     * same-origin, OWASP's Permissions-Policy (every feature off, sync-xhr self), Referrer-Policy
     * no-referrer, HSTS one year with subdomains, nosniff, X-Frame-Options deny,
     * X-Permitted-Cross-Domain-Policies none, Cache-Control "no-store, max-age=0" on every
     * response, and OWASP's remove list (headers_remove.json) of fingerprinting and internal
     * headers. Headers OWASP does not list are not sent.
     */
    [[nodiscard]] BULWARK_CORE_API static security_headers_config strict();
};

/// Checks a config; names the offending field in `issue`.
[[nodiscard]] BULWARK_CORE_API std::error_code validate(const security_headers_config& config,
                                                        config_issue* issue = nullptr) noexcept;

/// When a compiled header is sent.
enum class header_scope : unsigned char {
    always,      ///< on every response
    secure_only, ///< only on requests that arrived over TLS (HSTS with hsts_tls_only)
    sensitive,   ///< only on sensitive routes (Cache-Control)
};

/// One response header in its final form.
struct compiled_security_header {
    /// The header name as sent, e.g. "Content-Security-Policy".
    std::string name;
    /// The complete value when no nonce applies (the policy without any nonce).
    std::string value;
    /// Offsets into `value` at which " 'nonce-<nonce>'" is inserted per request, ascending.
    /// Empty for every header but the two policies with csp_nonce_directives.
    std::vector<std::size_t> nonce_offsets;
    header_scope scope = header_scope::always;

    /// Length of the value with `nonce_size`-character nonces inserted.
    [[nodiscard]] std::size_t size_with_nonce(std::size_t nonce_size) const noexcept {
        return value.size() + nonce_offsets.size() * (nonce_quote_size + nonce_size);
    }
    /// Writes the value with `nonce` inserted into `out`, which holds at least
    /// size_with_nonce(nonce.size()) characters; returns the characters written.
    BULWARK_CORE_API std::size_t write_with_nonce(std::string_view nonce, char* out) const noexcept;

    /// Length of " 'nonce-" plus the closing "'".
    static constexpr std::size_t nonce_quote_size = 9;
};

/**
 * A validated security_headers_config turned, once, into final header names and values, the
 * lower-cased remove lists and the sorted sensitive routes: the request path only looks up and
 * copies.
 *
 * @par Thread Safety
 * Immutable after construction: every member function may be called concurrently.
 */
class compiled_security_headers {
public:
    /// Validates `config` and compiles it.
    /// @throws std::system_error (error::invalid_config) naming the offending field.
    BULWARK_CORE_API explicit compiled_security_headers(const security_headers_config& config);

    /// The headers in the order they are added to a response (helmet's order, then COEP,
    /// Permissions-Policy, Cache-Control and the additional headers).
    [[nodiscard]] const std::vector<compiled_security_header>& headers() const noexcept {
        return headers_;
    }
    /// Whether some header takes a per-request nonce.
    [[nodiscard]] bool needs_nonce() const noexcept { return needs_nonce_; }
    /// Whether responses of `route` get the sensitive-only headers.
    [[nodiscard]] BULWARK_CORE_API bool is_sensitive(std::string_view route) const noexcept;
    /// Whether a response header named `name` (any case) is stripped.
    [[nodiscard]] BULWARK_CORE_API bool removes(std::string_view name) const noexcept;

private:
    std::vector<compiled_security_header> headers_;
    std::vector<std::string> remove_exact_;     // lower case, sorted
    std::vector<std::string> remove_prefixes_;  // lower case
    std::vector<std::string> sensitive_routes_; // sorted
    bool all_sensitive_ = false;
    bool needs_nonce_ = false;
};

} // namespace bulwark

#endif
