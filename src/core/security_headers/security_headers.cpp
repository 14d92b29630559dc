#include <bulwark/core/security_headers/security_headers.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>

namespace bulwark {
namespace {

constexpr char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Case-insensitive "less", to keep and search the lower-cased remove list.
bool iless(std::string_view a, std::string_view b) noexcept {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](char x, char y) { return lower(x) < lower(y); });
}

std::string to_lower(std::string_view s) {
    std::string out{s};
    for (auto& c : out) {
        c = lower(c);
    }
    return out;
}

bool one_of(std::string_view value, std::initializer_list<std::string_view> allowed,
            bool any_case = false) noexcept {
    return std::any_of(allowed.begin(), allowed.end(), [&](std::string_view a) {
        return any_case ? iequals(value, a) : value == a;
    });
}

// RFC 9110 tchar.
bool is_tchar(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) noexcept {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c != '\0' && is_tchar(c); });
}

// A field value bulwark is willing to send: printable ASCII and spaces, no CR/LF or other
// control character (a header injection), no leading or trailing space (which HTTP strips,
// so a test comparing values would disagree with what clients see).
bool is_header_value(std::string_view v) noexcept {
    return !v.empty() && v.front() != ' ' && v.back() != ' ' &&
           std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// The value up to its first ';' (parameters such as COEP's report-to), trimmed.
std::string_view main_token(std::string_view v) noexcept {
    return trim(v.substr(0, v.find(';')));
}

// Permissions-Policy, lightly: a comma-separated list of feature=allowlist, where the
// allowlist is *, self, src, () or a parenthesized, space-separated list of self, src, * and
// quoted origins; parameters after ';' are not checked.
bool is_permissions_policy(std::string_view v) noexcept {
    while (true) {
        const auto comma = v.find(',');
        const auto member = trim(main_token(v.substr(0, comma)));
        const auto eq = member.find('=');
        if (eq == std::string_view::npos) {
            return false;
        }
        const auto feature = member.substr(0, eq);
        const auto allow = member.substr(eq + 1);
        if (feature.empty() || !(feature.front() >= 'a' && feature.front() <= 'z') ||
            !std::all_of(feature.begin(), feature.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            })) {
            return false;
        }
        if (!one_of(allow, {"*", "self", "src"})) {
            if (allow.size() < 2 || allow.front() != '(' || allow.back() != ')') {
                return false;
            }
            auto items = allow.substr(1, allow.size() - 2);
            while (!items.empty()) {
                const auto space = items.find(' ');
                const auto item = items.substr(0, space);
                const bool quoted =
                    item.size() >= 2 && item.front() == '"' && item.back() == '"' &&
                    item.substr(1, item.size() - 2).find('"') == std::string_view::npos;
                if (!quoted && !one_of(item, {"*", "self", "src"})) {
                    return false;
                }
                items =
                    space == std::string_view::npos ? std::string_view{} : items.substr(space + 1);
            }
        }
        if (comma == std::string_view::npos) {
            return true;
        }
        v = v.substr(comma + 1);
    }
}

bool is_referrer_policy(std::string_view v) noexcept {
    while (true) {
        const auto comma = v.find(',');
        if (!one_of(trim(v.substr(0, comma)),
                    {"no-referrer", "no-referrer-when-downgrade", "origin",
                     "origin-when-cross-origin", "same-origin", "strict-origin",
                     "strict-origin-when-cross-origin", "unsafe-url"})) {
            return false;
        }
        if (comma == std::string_view::npos) {
            return true;
        }
        v = v.substr(comma + 1);
    }
}

// The headers the config has a field for, by name: additional_headers may not repeat them.
constexpr std::array<std::string_view, 16> managed_names{
    "Content-Security-Policy",
    "Content-Security-Policy-Report-Only",
    "Cross-Origin-Embedder-Policy",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Resource-Policy",
    "Origin-Agent-Cluster",
    "Referrer-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-DNS-Prefetch-Control",
    "X-Download-Options",
    "X-Frame-Options",
    "X-Permitted-Cross-Domain-Policies",
    "X-XSS-Protection",
    "Permissions-Policy",
    "Cache-Control",
};

constexpr std::size_t max_additional_headers = 32;
constexpr std::size_t max_remove_name_size = 128;

// A simple string header: empty (not sent) or a value `accept` admits.
struct string_rule {
    const std::string* value;
    std::string_view field;
    std::string_view reason;
    bool (*accept)(std::string_view);
};

} // namespace

std::string hsts_policy::to_string() const {
    std::string out = "max-age=" + std::to_string(max_age.count());
    if (include_subdomains) {
        out += "; includeSubDomains";
    }
    if (preload) {
        out += "; preload";
    }
    return out;
}

std::size_t compiled_security_header::write_with_nonce(std::string_view nonce,
                                                       char* out) const noexcept {
    char* p = out;
    std::size_t from = 0;
    for (const std::size_t at : nonce_offsets) {
        p = std::copy(value.data() + from, value.data() + at, p);
        p = std::copy_n(" 'nonce-", 8, p);
        p = std::copy(nonce.begin(), nonce.end(), p);
        *p++ = '\'';
        from = at;
    }
    p = std::copy(value.data() + from, value.data() + value.size(), p);
    return static_cast<std::size_t>(p - out);
}

security_headers_config security_headers_config::html_app() {
    security_headers_config c;
    c.csp_nonce_directives = {"script-src"};
    return c;
}

security_headers_config security_headers_config::json_api() {
    security_headers_config c;
    c.content_security_policy = bulwark::content_security_policy{
        .directives = {{"default-src", {"'none'"}}, {"frame-ancestors", {"'none'"}}}};
    c.cross_origin_opener_policy.clear();
    c.origin_agent_cluster.clear();
    c.x_dns_prefetch_control.clear();
    c.x_download_options.clear();
    c.x_frame_options = "DENY";
    c.x_xss_protection.clear();
    c.cache_control = "no-store";
    c.all_routes_sensitive = true;
    return c;
}

security_headers_config security_headers_config::strict() {
    security_headers_config c;
    c.content_security_policy =
        bulwark::content_security_policy{.directives = {
                                             {"default-src", {"'self'"}},
                                             {"form-action", {"'self'"}},
                                             {"object-src", {"'none'"}},
                                             {"frame-ancestors", {"'none'"}},
                                             {"upgrade-insecure-requests", {}},
                                             {"block-all-mixed-content", {}},
                                         }};
    c.cross_origin_embedder_policy = "require-corp";
    c.origin_agent_cluster.clear();
    c.x_dns_prefetch_control.clear();
    c.x_download_options.clear();
    c.x_frame_options = "deny";
    c.x_xss_protection.clear();
    c.permissions_policy =
        "accelerometer=(), autoplay=(), camera=(), cross-origin-isolated=(), display-capture=(), "
        "encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), keyboard-map=(), "
        "magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), "
        "publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(self), usb=(), "
        "web-share=(), xr-spatial-tracking=(), clipboard-read=(), clipboard-write=(), "
        "gamepad=(), hid=(), idle-detection=(), interest-cohort=(), serial=(), unload=()";
    c.cache_control = "no-store, max-age=0";
    c.all_routes_sensitive = true;
    // OWASP's headers_remove.json (2024-07); its X-B3-* and X-Envoy-* entries are covered by
    // the default prefixes.
    c.remove_headers = {
        "$wsep",
        "Host-Header",
        "K-Proxy-Request",
        "Liferay-Portal",
        "OracleCommerceCloud-Version",
        "Pega-Host",
        "Powered-By",
        "Product",
        "Server",
        "SourceMap",
        "X-AspNet-Version",
        "X-AspNetMvc-Version",
        "X-Atmosphere-error",
        "X-Atmosphere-first-request",
        "X-Atmosphere-tracking-id",
        "X-BEServer",
        "X-CF-Powered-By",
        "X-CMS",
        "X-CalculatedBETarget",
        "X-Cocoon-Version",
        "X-Content-Encoded-By",
        "X-DiagInfo",
        "X-FEServer",
        "X-Framework",
        "X-Generated-By",
        "X-Generator",
        "X-Jitsi-Release",
        "X-Kubernetes-PF-FlowSchema-UI",
        "X-Kubernetes-PF-PriorityLevel-UID",
        "X-LiteSpeed-Cache",
        "X-LiteSpeed-Purge",
        "X-LiteSpeed-Tag",
        "X-LiteSpeed-Vary",
        "X-Litespeed-Cache-Control",
        "X-Mod-Pagespeed",
        "X-Nextjs-Cache",
        "X-Nextjs-Matched-Path",
        "X-Nextjs-Page",
        "X-Nextjs-Redirect",
        "X-OWA-Version",
        "X-Old-Content-Length",
        "X-OneAgent-JS-Injection",
        "X-Page-Speed",
        "X-Php-Version",
        "X-Powered-By",
        "X-Powered-By-Plesk",
        "X-Powered-CMS",
        "X-Redirect-By",
        "X-Server-Powered-By",
        "X-SourceFiles",
        "X-SourceMap",
        "X-Turbo-Charged-By",
        "X-Umbraco-Version",
        "X-Varnish-Backend",
        "X-Varnish-Server",
        "X-dtAgentId",
        "X-dtHealthCheck",
        "X-dtInjectedServlet",
        "X-ruxit-JS-Agent",
    };
    return c;
}

std::error_code validate(const security_headers_config& c, config_issue* issue) noexcept {
    if (c.content_security_policy) {
        if (const auto ec = detail::validate_csp(*c.content_security_policy, false, issue)) {
            return ec;
        }
    }
    if (c.content_security_policy_report_only) {
        if (const auto ec =
                detail::validate_csp(*c.content_security_policy_report_only, true, issue)) {
            return ec;
        }
    }
    for (std::size_t i = 0; i < c.csp_nonce_directives.size(); ++i) {
        const auto& name = c.csp_nonce_directives[i];
        constexpr std::string_view field = "security_headers_config.csp_nonce_directives";
        if (!detail::csp_accepts_nonce(name)) {
            return invalid_config(issue, field,
                                  "each must be default-src, script-src, script-src-elem, "
                                  "style-src or style-src-elem");
        }
        if (std::find(c.csp_nonce_directives.begin(),
                      c.csp_nonce_directives.begin() + static_cast<std::ptrdiff_t>(i),
                      name) != c.csp_nonce_directives.begin() + static_cast<std::ptrdiff_t>(i)) {
            return invalid_config(issue, field, "lists a directive twice");
        }
        bool found = false;
        for (const auto* policy :
             {c.content_security_policy ? &*c.content_security_policy : nullptr,
              c.content_security_policy_report_only ? &*c.content_security_policy_report_only
                                                    : nullptr}) {
            const csp_directive* d = policy != nullptr ? policy->find(name) : nullptr;
            if (d == nullptr) {
                continue;
            }
            found = true;
            if (std::any_of(d->values.begin(), d->values.end(),
                            [](const std::string& v) { return iequals(v, "'none'"); })) {
                return invalid_config(issue, field,
                                      "names a directive that is 'none' (a nonce would allow "
                                      "what 'none' forbids)");
            }
        }
        if (!found) {
            return invalid_config(issue, field,
                                  "names a directive neither policy has (adding it would "
                                  "override the default-src fallback)");
        }
    }

    const string_rule rules[] = {
        {&c.cross_origin_embedder_policy, "security_headers_config.cross_origin_embedder_policy",
         "must be require-corp, credentialless or unsafe-none (parameters may follow ';')",
         [](std::string_view v) {
             return one_of(main_token(v), {"require-corp", "credentialless", "unsafe-none"});
         }},
        {&c.cross_origin_opener_policy, "security_headers_config.cross_origin_opener_policy",
         "must be same-origin, same-origin-allow-popups, noopener-allow-popups or unsafe-none "
         "(parameters may follow ';')",
         [](std::string_view v) {
             return one_of(main_token(v), {"same-origin", "same-origin-allow-popups",
                                           "noopener-allow-popups", "unsafe-none"});
         }},
        {&c.cross_origin_resource_policy, "security_headers_config.cross_origin_resource_policy",
         "must be same-origin, same-site or cross-origin",
         [](std::string_view v) {
             return one_of(v, {"same-origin", "same-site", "cross-origin"});
         }},
        {&c.origin_agent_cluster, "security_headers_config.origin_agent_cluster",
         "must be ?1 or ?0",
         [](std::string_view v) {
             return one_of(v, {"?1", "?0"});
         }},
        {&c.referrer_policy, "security_headers_config.referrer_policy",
         "must be comma-separated Referrer-Policy tokens (no-referrer, same-origin, "
         "strict-origin-when-cross-origin, ...)",
         &is_referrer_policy},
        {&c.x_content_type_options, "security_headers_config.x_content_type_options",
         "must be nosniff", [](std::string_view v) { return one_of(v, {"nosniff"}, true); }},
        {&c.x_dns_prefetch_control, "security_headers_config.x_dns_prefetch_control",
         "must be on or off",
         [](std::string_view v) {
             return one_of(v, {"on", "off"}, true);
         }},
        {&c.x_download_options, "security_headers_config.x_download_options", "must be noopen",
         [](std::string_view v) { return one_of(v, {"noopen"}, true); }},
        {&c.x_frame_options, "security_headers_config.x_frame_options",
         "must be DENY or SAMEORIGIN (ALLOW-FROM is obsolete: use CSP frame-ancestors)",
         [](std::string_view v) {
             return one_of(v, {"deny", "sameorigin"}, true);
         }},
        {&c.x_permitted_cross_domain_policies,
         "security_headers_config.x_permitted_cross_domain_policies",
         "must be none, master-only, by-content-type, by-ftp-filename or all",
         [](std::string_view v) {
             return one_of(v, {"none", "master-only", "by-content-type", "by-ftp-filename", "all"});
         }},
        {&c.x_xss_protection, "security_headers_config.x_xss_protection",
         "must be 0, 1 or 1; mode=block (0 recommended)",
         [](std::string_view v) {
             return one_of(v, {"0", "1", "1; mode=block"});
         }},
        {&c.permissions_policy, "security_headers_config.permissions_policy",
         "must be a list of feature=allowlist, e.g. camera=(), geolocation=(self)",
         &is_permissions_policy},
        {&c.cache_control, "security_headers_config.cache_control",
         "must be printable ASCII without leading or trailing space",
         [](std::string_view) { return true; }},
    };
    for (const auto& rule : rules) {
        if (rule.value->empty()) {
            continue;
        }
        if (!is_header_value(*rule.value) || !rule.accept(*rule.value)) {
            return invalid_config(issue, rule.field, rule.reason);
        }
    }

    if (c.strict_transport_security) {
        const auto& h = *c.strict_transport_security;
        if (h.max_age.count() < 0) {
            return invalid_config(issue,
                                  "security_headers_config.strict_transport_security.max_age",
                                  "must not be negative (0 clears the browser's HSTS entry)");
        }
        if (h.preload && (!h.include_subdomains || h.max_age < std::chrono::seconds{31'536'000})) {
            return invalid_config(issue,
                                  "security_headers_config.strict_transport_security.preload",
                                  "requires include_subdomains and a max_age of at least "
                                  "31536000 s (the preload list's conditions)");
        }
    }

    if ((c.all_routes_sensitive || !c.sensitive_routes.empty()) && c.cache_control.empty()) {
        return invalid_config(issue, "security_headers_config.cache_control",
                              "must be set when some routes are sensitive");
    }
    for (const auto& route : c.sensitive_routes) {
        if (!is_header_value(route)) {
            return invalid_config(issue, "security_headers_config.sensitive_routes",
                                  "each must be a non-empty route template");
        }
    }

    if (c.additional_headers.size() > max_additional_headers) {
        return invalid_config(issue, "security_headers_config.additional_headers",
                              "at most 32 headers");
    }
    for (std::size_t i = 0; i < c.additional_headers.size(); ++i) {
        const auto& h = c.additional_headers[i];
        constexpr std::string_view field = "security_headers_config.additional_headers";
        if (!is_token(h.name)) {
            return invalid_config(issue, field, "each name must be an HTTP token");
        }
        if (!is_header_value(h.value)) {
            return invalid_config(issue, field,
                                  "each value must be non-empty printable ASCII without leading "
                                  "or trailing space");
        }
        if (std::any_of(managed_names.begin(), managed_names.end(),
                        [&](std::string_view m) { return iequals(m, h.name); })) {
            return invalid_config(issue, field,
                                  "names a header the config has a field for: use the field");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (iequals(c.additional_headers[j].name, h.name)) {
                return invalid_config(issue, field, "names a header twice");
            }
        }
    }

    for (const auto& name : c.remove_headers) {
        if (!is_token(name) || name.size() > max_remove_name_size) {
            return invalid_config(issue, "security_headers_config.remove_headers",
                                  "each must be an HTTP token of at most 128 characters");
        }
    }
    for (const auto& prefix : c.remove_header_prefixes) {
        if (!is_token(prefix)) {
            return invalid_config(issue, "security_headers_config.remove_header_prefixes",
                                  "each must be a non-empty HTTP token");
        }
    }
    return {};
}

compiled_security_headers::compiled_security_headers(const security_headers_config& c) {
    config_issue issue;
    if (validate(c, &issue)) {
        throw_invalid_config(issue);
    }

    const auto add = [&](std::string_view name, std::string value,
                         header_scope scope = header_scope::always) {
        if (!value.empty()) {
            headers_.push_back({std::string{name}, std::move(value), {}, scope});
        }
    };
    const auto add_policy = [&](std::string_view name, const bulwark::content_security_policy& p) {
        compiled_security_header h{std::string{name}, {}, {}, header_scope::always};
        h.value = detail::serialize_csp(p, c.csp_nonce_directives, &h.nonce_offsets);
        needs_nonce_ = needs_nonce_ || !h.nonce_offsets.empty();
        headers_.push_back(std::move(h));
    };

    // helmet's order, so that a response from bulwark and one from helmet read alike.
    if (c.content_security_policy) {
        add_policy("Content-Security-Policy", *c.content_security_policy);
    }
    if (c.content_security_policy_report_only) {
        add_policy("Content-Security-Policy-Report-Only", *c.content_security_policy_report_only);
    }
    add("Cross-Origin-Embedder-Policy", c.cross_origin_embedder_policy);
    add("Cross-Origin-Opener-Policy", c.cross_origin_opener_policy);
    add("Cross-Origin-Resource-Policy", c.cross_origin_resource_policy);
    add("Origin-Agent-Cluster", c.origin_agent_cluster);
    add("Referrer-Policy", c.referrer_policy);
    if (c.strict_transport_security) {
        add("Strict-Transport-Security", c.strict_transport_security->to_string(),
            c.hsts_tls_only ? header_scope::secure_only : header_scope::always);
    }
    add("X-Content-Type-Options", c.x_content_type_options);
    add("X-DNS-Prefetch-Control", c.x_dns_prefetch_control);
    add("X-Download-Options", c.x_download_options);
    add("X-Frame-Options", c.x_frame_options);
    add("X-Permitted-Cross-Domain-Policies", c.x_permitted_cross_domain_policies);
    add("X-XSS-Protection", c.x_xss_protection);
    add("Permissions-Policy", c.permissions_policy);
    if (c.all_routes_sensitive || !c.sensitive_routes.empty()) {
        add("Cache-Control", c.cache_control,
            c.all_routes_sensitive ? header_scope::always : header_scope::sensitive);
    }
    for (const auto& h : c.additional_headers) {
        add(h.name, h.value);
    }

    for (const auto& name : c.remove_headers) {
        remove_exact_.push_back(to_lower(name));
    }
    std::sort(remove_exact_.begin(), remove_exact_.end());
    remove_exact_.erase(std::unique(remove_exact_.begin(), remove_exact_.end()),
                        remove_exact_.end());
    for (const auto& prefix : c.remove_header_prefixes) {
        remove_prefixes_.push_back(to_lower(prefix));
    }
    sensitive_routes_ = c.sensitive_routes;
    std::sort(sensitive_routes_.begin(), sensitive_routes_.end());
    all_sensitive_ = c.all_routes_sensitive;
}

bool compiled_security_headers::is_sensitive(std::string_view route) const noexcept {
    return all_sensitive_ ||
           std::binary_search(sensitive_routes_.begin(), sensitive_routes_.end(), route,
                              [](std::string_view a, std::string_view b) { return a < b; });
}

bool compiled_security_headers::removes(std::string_view name) const noexcept {
    if (std::binary_search(remove_exact_.begin(), remove_exact_.end(), name,
                           [](std::string_view a, std::string_view b) { return iless(a, b); })) {
        return true;
    }
    return std::any_of(remove_prefixes_.begin(), remove_prefixes_.end(),
                       [&](const std::string& p) { return istarts_with(name, p); });
}

} // namespace bulwark
