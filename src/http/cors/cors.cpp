#include <bulwark/http/cors/cors.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <utility>

namespace bulwark::http {
namespace {

namespace bh = boost::beast::http;

constexpr std::size_t max_host_size = 253;
constexpr std::size_t max_label_size = 63;
constexpr std::chrono::seconds max_max_age{86'400};

std::string_view to_view(boost::beast::string_view v) noexcept {
    return {v.data(), v.size()};
}

constexpr char to_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

/// RFC 9110 tchar: what a method or a header field name is made of.
constexpr bool is_tchar(char c) noexcept {
    if (is_alpha(c) || is_digit(c)) {
        return true;
    }
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return extra.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

constexpr std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// Host labels as browsers serialise them (lower-case ASCII; IDNs in their xn-- form):
/// 1-63 letters, digits, '-' or '_' each, joined by single dots. Underscores are not valid in
/// DNS host names but browsers accept them, and refusing them here would only break such sites.
bool valid_labels(std::string_view host, std::size_t* label_count = nullptr) noexcept {
    if (host.empty() || host.size() > max_host_size) {
        return false;
    }
    std::size_t labels = 0;
    std::size_t size = 0;
    for (const char c : host) {
        if (c == '.') {
            if (size == 0) {
                return false;
            }
            ++labels;
            size = 0;
        } else if ((c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_') {
            if (++size > max_label_size) {
                return false;
            }
        } else {
            return false;
        }
    }
    if (size == 0) {
        return false; // trailing dot: a different origin from the dotless one
    }
    if (label_count != nullptr) {
        *label_count = labels + 1;
    }
    return true;
}

bool valid_ipv6_literal(std::string_view host) noexcept {
    // "[...]" with hex digits, ':' and '.' (an embedded IPv4): the URL parser serialises IPv6
    // hosts compressed and lower-case, so a listed literal is compared as text.
    if (host.size() < 4 || host.front() != '[' || host.back() != ']') {
        return false;
    }
    return std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
        return is_digit(c) || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
    });
}

constexpr std::string_view default_port(std::string_view scheme) noexcept {
    if (scheme == "http" || scheme == "ws") {
        return "80";
    }
    if (scheme == "https" || scheme == "wss") {
        return "443";
    }
    return {};
}

/// A parsed allowed_origins entry.
struct parsed_origin {
    std::string normalized; ///< exact: the origin to compare with
    bool is_pattern = false;
    std::string scheme;
    std::string host_suffix; ///< pattern: ".example.com"
    std::string port;        ///< ":8443" or ""
};

/// Parses one allowed_origins entry (not "*"); returns the reason it is invalid, or null.
const char* parse_origin(std::string_view entry, parsed_origin& out) {
    const std::string s = lower(entry);
    if (s == "null") {
        return "\"null\" cannot be allowed: sandboxed frames, file: pages and redirected "
               "requests all send it, so allowing it allows any of them";
    }
    const auto sep = s.find("://");
    if (sep == std::string::npos || sep == 0) {
        return "must be an origin, scheme://host[:port]";
    }
    const std::string_view scheme{s.data(), sep};
    if (!is_alpha(scheme.front()) || !std::all_of(scheme.begin(), scheme.end(), [](char c) {
            return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
        })) {
        return "must be an origin, scheme://host[:port]; the scheme is not valid";
    }
    const std::string_view authority = std::string_view{s}.substr(sep + 3);
    if (authority.find_first_of("/?#") != std::string_view::npos) {
        return "must be an origin, scheme://host[:port], without a path or trailing slash";
    }
    if (authority.find('@') != std::string_view::npos) {
        return "must be an origin, scheme://host[:port], without user information";
    }

    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return "must be an origin, scheme://host[:port]; the IPv6 literal is not closed";
        }
        host = authority.substr(0, close + 1);
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return "must be an origin, scheme://host[:port]";
            }
            port = rest.substr(1);
        }
        if (!valid_ipv6_literal(host)) {
            return "must be an origin, scheme://host[:port]; the IPv6 literal is not valid";
        }
    } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }

    if (port.data() != nullptr) { // a ':' was present
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || port.front() == '0' || ec != std::errc{} ||
            end != port.data() + port.size() || value > 65'535) {
            return "must be an origin, scheme://host[:port]; the port must be a number from 1 "
                   "to 65535 without leading zeros";
        }
        if (port == default_port(scheme)) {
            port = {}; // browsers never send a default port
        }
    }

    out = {};
    out.scheme = scheme;
    out.port.clear();
    if (!port.empty()) {
        // Appended piecewise: GCC 12 -O2 warns (-Wrestrict, a false positive) on ":" + string.
        out.port.reserve(port.size() + 1);
        out.port.push_back(':');
        out.port.append(port);
    }
    if (host.starts_with("*.")) {
        std::size_t labels = 0;
        if (!valid_labels(host.substr(2), &labels)) {
            return "must be an origin pattern, scheme://*.domain[:port]; the domain is not a "
                   "valid host name (lower-case-able ASCII labels; IDNs in xn-- form)";
        }
        if (labels < 2) {
            return "a pattern must name a domain of at least two labels (\"*.example.com\", "
                   "not \"*.com\"): it would allow every site under a public suffix";
        }
        out.is_pattern = true;
        out.host_suffix = host.substr(1);
        return nullptr;
    }
    if (host.find('*') != std::string_view::npos) {
        return "'*' is allowed only as a whole leftmost label (\"https://*.example.com\") or "
               "as the whole entry";
    }
    if (host.front() != '[' && !valid_labels(host)) {
        return "must be an origin, scheme://host[:port]; the host is not valid (lower-case-able "
               "ASCII labels; IDNs in xn-- form)";
    }
    out.normalized.append(scheme).append("://").append(host).append(out.port);
    return nullptr;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += ", ";
        }
        out += item;
    }
    return out;
}

/// Appends `token` to the response's Vary unless it (or "*") is already there.
void add_vary(response& res, std::string_view token) {
    auto [first, last] = res.equal_range(bh::field::vary);
    std::size_t fields = 0;
    std::string_view only;
    for (auto it = first; it != last; ++it) {
        ++fields;
        std::string_view value = to_view(it->value());
        only = value;
        while (!value.empty()) {
            const auto comma = value.find(',');
            const auto element = trim(value.substr(0, comma));
            if (element == "*" || iequals(element, token)) {
                return;
            }
            value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        }
    }
    if (fields == 0 || (fields == 1 && trim(only).empty())) {
        res.set(bh::field::vary, token);
    } else if (fields == 1) {
        std::string merged{trim(only)};
        merged.append(", ").append(token);
        res.set(bh::field::vary, merged);
    } else {
        // Several Vary lines already: one more is equivalent to appending (a list header).
        res.insert(bh::field::vary, token);
    }
}

constexpr std::string_view preflight_vary_with_origin =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
constexpr std::string_view preflight_vary_without_origin =
    "Access-Control-Request-Method, Access-Control-Request-Headers";

constexpr std::string_view detail_origin =
    "This origin is not allowed to make cross-origin requests to this resource.";
constexpr std::string_view detail_method =
    "The method in Access-Control-Request-Method is not allowed for cross-origin requests.";
constexpr std::string_view detail_header =
    "A header in Access-Control-Request-Headers is not allowed for cross-origin requests.";

} // namespace

cors::counters& cors::counters::operator=(counters&& other) noexcept {
    // Relaxed: a move happens before the middleware serves requests (or after), never while.
    preflights_allowed.store(other.preflights_allowed.load(std::memory_order_relaxed),
                             std::memory_order_relaxed);
    preflights_denied.store(other.preflights_denied.load(std::memory_order_relaxed),
                            std::memory_order_relaxed);
    disallowed_origins.store(other.disallowed_origins.load(std::memory_order_relaxed),
                             std::memory_order_relaxed);
    shadow_rejections.store(other.shadow_rejections.load(std::memory_order_relaxed),
                            std::memory_order_relaxed);
    return *this;
}

std::error_code cors::validate(const cors_config& config, config_issue* issue,
                               std::size_t* index) noexcept {
    const auto fail = [&](std::string_view field, std::size_t i, std::string_view reason) {
        if (index != nullptr) {
            *index = i;
        }
        return invalid_config(issue, field, reason);
    };
    constexpr std::string_view origins_field = "cors_config.allowed_origins";
    const auto& origins = config.allowed_origins;
    for (std::size_t i = 0; i < origins.size(); ++i) {
        if (origins[i] == "*") {
            if (config.allow_credentials) {
                return fail(origins_field, i,
                            "\"*\" cannot be combined with allow_credentials = true: it would "
                            "let every site read credentialed responses; list the origins");
            }
            if (origins.size() != 1) {
                return fail(origins_field, i, "\"*\" must be the only entry when present");
            }
            continue;
        }
        try {
            parsed_origin parsed;
            if (const char* reason = parse_origin(origins[i], parsed)) {
                return fail(origins_field, i, reason);
            }
        } catch (...) { // std::bad_alloc from a copy: report it as unusable rather than throw
            return fail(origins_field, i, "could not be parsed (out of memory)");
        }
    }
    const auto tokens = [&](const std::vector<std::string>& list,
                            std::string_view field) -> std::error_code {
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (list[i] == "*") {
                return fail(field, i, "wildcards are not supported; list the names");
            }
            if (!is_token(list[i])) {
                return fail(field, i,
                            "must be a non-empty HTTP token (letters, digits and !#$%&'*+-.^_`|~)");
            }
        }
        return {};
    };
    if (auto ec = tokens(config.allowed_methods, "cors_config.allowed_methods")) {
        return ec;
    }
    if (auto ec = tokens(config.allowed_headers, "cors_config.allowed_headers")) {
        return ec;
    }
    if (auto ec = tokens(config.exposed_headers, "cors_config.exposed_headers")) {
        return ec;
    }
    if (config.max_age < std::chrono::seconds::zero() || config.max_age > max_max_age) {
        return invalid_config(issue, "cors_config.max_age",
                              "must be from 0 to 86400 s (browsers cap it at 2 h to 24 h)");
    }
    return {};
}

cors::cors(cors_config config) : config_{std::move(config)} {
    config_issue issue;
    std::size_t index = std::string::npos;
    if (validate(config_, &issue, &index)) {
        if (index == std::string::npos) {
            throw_invalid_config(issue);
        }
        std::string field{issue.field};
        field.append("[").append(std::to_string(index)).append("]");
        throw_invalid_config(field, issue.reason);
    }

    for (const auto& entry : config_.allowed_origins) {
        if (entry == "*") {
            any_origin_ = true;
            continue;
        }
        parsed_origin parsed;
        parse_origin(entry, parsed); // validated above
        if (parsed.is_pattern) {
            patterns_.push_back({parsed.scheme + "://", parsed.host_suffix, parsed.port});
        } else {
            exact_origins_.push_back(std::move(parsed.normalized));
        }
    }
    std::sort(exact_origins_.begin(), exact_origins_.end());
    exact_origins_.erase(std::unique(exact_origins_.begin(), exact_origins_.end()),
                         exact_origins_.end());

    for (const auto& h : config_.allowed_headers) {
        header_names_.push_back(lower(h));
    }
    allow_methods_value_ = join(config_.allowed_methods);
    expose_headers_value_ = join(config_.exposed_headers);
    max_age_value_ = std::to_string(config_.max_age.count());
}

bool cors::allows_origin(std::string_view origin) const noexcept {
    if (any_origin_) {
        return true;
    }
    if (origin.empty() || origin.size() > max_origin_size) {
        return false;
    }
    // Browsers send scheme and host in lower case; other clients may not, and the comparison is
    // case-insensitive for both, so compare a lower-cased copy.
    std::array<char, max_origin_size> buffer; // NOLINT: filled below up to origin.size()
    std::transform(origin.begin(), origin.end(), buffer.begin(), to_lower);
    const std::string_view o{buffer.data(), origin.size()};

    if (std::binary_search(exact_origins_.begin(), exact_origins_.end(), o, std::less<>{})) {
        return true;
    }
    for (const auto& p : patterns_) {
        if (!o.starts_with(p.scheme_prefix)) {
            continue;
        }
        std::string_view host = o.substr(p.scheme_prefix.size());
        std::string_view port;
        if (const auto colon = host.find(':'); colon != std::string_view::npos) {
            port = host.substr(colon);
            host = host.substr(0, colon);
        }
        // The port is compared as text: "" (default) or ":8443" exactly as configured.
        if (port != p.port || host.size() <= p.host_suffix.size() ||
            !host.ends_with(p.host_suffix)) {
            continue;
        }
        // What precedes ".example.com" must itself be whole labels, so "evil.com/.example.com"
        // or "a..example.com" cannot pass for a subdomain.
        if (valid_labels(host.substr(0, host.size() - p.host_suffix.size())) &&
            host.size() <= max_host_size) {
            return true;
        }
    }
    return false;
}

bool cors::method_allowed(std::string_view method) const noexcept {
    return std::any_of(config_.allowed_methods.begin(), config_.allowed_methods.end(),
                       [&](const std::string& m) { return m == method; });
}

const std::string* cors::header_allowed(std::string_view name) const noexcept {
    for (const auto& h : header_names_) {
        if (iequals(h, name)) {
            return &h;
        }
    }
    return nullptr;
}

action cors::on_header(request_context& ctx, request_header& h) {
    const auto origin_it = h.find(bh::field::origin);
    if (origin_it == h.end()) {
        return action::proceed; // not a CORS request (same-origin, or not from a browser)
    }
    const std::string_view origin = to_view(origin_it->value());
    // Two Origin lines are not something a browser sends; honouring either could be wrong.
    const bool allowed = h.count(bh::field::origin) == 1 && allows_origin(origin);
    if (allowed) {
        ctx.set_cors_origin(origin);
    }

    const bool preflight = h.method() == bh::verb::options &&
                           h.find(bh::field::access_control_request_method) != h.end();
    if (preflight) {
        return answer_preflight(ctx, h, allowed, origin);
    }
    if (!allowed) {
        counters_.disallowed_origins.fetch_add(1, std::memory_order_relaxed);
    }
    return action::proceed;
}

action cors::answer_preflight(request_context& ctx, request_header& h, bool origin_allowed,
                              std::string_view origin) {
    if (!origin_allowed) {
        return deny_preflight(ctx, detail_origin);
    }
    const auto method_it = h.find(bh::field::access_control_request_method);
    const std::string_view method = trim(to_view(method_it->value()));
    if (h.count(bh::field::access_control_request_method) != 1 || !is_token(method) ||
        !method_allowed(method)) {
        return deny_preflight(ctx, detail_method);
    }

    // Access-Control-Request-Headers is a comma-separated list (browsers send it lower-case,
    // sorted, without spaces), possibly over several lines. Every name must be allowed; the
    // answer lists the configured spelling, so no request byte is reflected.
    std::string allow_headers;
    auto [first, last] = h.equal_range(bh::field::access_control_request_headers);
    for (auto it = first; it != last; ++it) {
        std::string_view list = to_view(it->value());
        while (!list.empty()) {
            const auto comma = list.find(',');
            const auto name = trim(list.substr(0, comma));
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            if (name.empty()) {
                continue; // empty list elements are allowed and ignored (RFC 9110 5.6.1)
            }
            const std::string* configured = is_token(name) ? header_allowed(name) : nullptr;
            if (configured == nullptr) {
                return deny_preflight(ctx, detail_header);
            }
            if (!allow_headers.empty()) {
                allow_headers += ", ";
            }
            allow_headers += *configured;
        }
    }

    response res{bh::status::no_content, ctx.http_version()};
    res.keep_alive(ctx.keep_alive());
    res.set(bh::field::access_control_allow_origin, any_origin_ ? std::string_view{"*"} : origin);
    if (config_.allow_credentials) {
        res.set(bh::field::access_control_allow_credentials, "true");
    }
    res.set(bh::field::access_control_allow_methods, allow_methods_value_);
    if (!allow_headers.empty()) {
        res.set(bh::field::access_control_allow_headers, allow_headers);
    }
    res.set(bh::field::access_control_max_age, max_age_value_);
    res.set(bh::field::vary,
            any_origin_ ? preflight_vary_without_origin : preflight_vary_with_origin);
    // No Content-Length: RFC 9110 section 8.6 forbids it on a 204, which has no body anyway.
    counters_.preflights_allowed.fetch_add(1, std::memory_order_relaxed);
    return ctx.respond(std::move(res), middleware_name);
}

action cors::deny_preflight(request_context& ctx, std::string_view detail) {
    counters_.preflights_denied.fetch_add(1, std::memory_order_relaxed);
    if (!config_.enforce) {
        ctx.record_shadow_rejection();
        counters_.shadow_rejections.fetch_add(1, std::memory_order_relaxed);
        return action::proceed;
    }
    const auto a = ctx.reject({.status = 403, .detail = detail}, middleware_name);
    ctx.pending_response().set(bh::field::vary, any_origin_ ? preflight_vary_without_origin
                                                            : preflight_vary_with_origin);
    return a;
}

void cors::on_response(request_context& ctx, response& res) {
    if (ctx.rejected_by() == middleware_name) {
        return; // a preflight answer or denial made in the header phase: already complete
    }
    if (any_origin_) {
        // The same answer for everyone, with or without Origin: no Vary needed (Fetch standard,
        // "CORS protocol and HTTP caches").
        res.set(bh::field::access_control_allow_origin, "*");
    } else {
        add_vary(res, "Origin");
        const std::string_view origin = ctx.cors_origin();
        if (origin.empty()) {
            return;
        }
        res.set(bh::field::access_control_allow_origin, origin);
        if (config_.allow_credentials) {
            res.set(bh::field::access_control_allow_credentials, "true");
        }
    }
    if (!expose_headers_value_.empty()) {
        res.set(bh::field::access_control_expose_headers, expose_headers_value_);
    }
}

cors_snapshot cors::snapshot() const noexcept {
    return {
        .preflights_allowed = counters_.preflights_allowed.load(std::memory_order_relaxed),
        .preflights_denied = counters_.preflights_denied.load(std::memory_order_relaxed),
        .disallowed_origins = counters_.disallowed_origins.load(std::memory_order_relaxed),
        .shadow_rejections = counters_.shadow_rejections.load(std::memory_order_relaxed),
    };
}

} // namespace bulwark::http
