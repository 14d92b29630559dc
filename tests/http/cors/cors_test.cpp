#include <bulwark/http/cors/cors.hpp>
#include <bulwark/http/pipeline.hpp>
#include <bulwark/http/request_id/request_id.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <random>
#include <string>
#include <system_error>

namespace bh = boost::beast::http;
namespace json = boost::json;
using bulwark::http::action;
using bulwark::http::cors;
using bulwark::http::cors_config;
using bulwark::http::request_context;
using bulwark::http::request_header;
using bulwark::http::response;

namespace {

request_header make_request(bh::verb method, std::string_view origin = {}) {
    request_header h;
    h.method(method);
    h.target("/orders");
    h.version(11);
    h.set(bh::field::host, "api.example.com");
    if (!origin.empty()) {
        h.set(bh::field::origin, origin);
    }
    return h;
}

request_header make_preflight(std::string_view origin, std::string_view method,
                              std::string_view headers = {}) {
    auto h = make_request(bh::verb::options, origin);
    h.set(bh::field::access_control_request_method, method);
    if (!headers.empty()) {
        h.set(bh::field::access_control_request_headers, headers);
    }
    return h;
}

void start_request(request_context& ctx) {
    request_context::identity id;
    id.body_limit = 1024;
    ctx.reset(id);
}

/// What a session would do with one request: header phase, then the handler's response (200,
/// or `handler_status`) unless a hook answered, then the response phase.
struct exchange {
    action header_action = action::proceed;
    response res;
};

template <class Middleware>
exchange run(Middleware& m, request_context& ctx, request_header& h,
             unsigned handler_status = 200) {
    start_request(ctx);
    exchange out;
    out.header_action = m.on_header(ctx, h);
    if (out.header_action == action::respond) {
        out.res = ctx.take_response();
    } else {
        out.res = response{static_cast<bh::status>(handler_status), 11};
        out.res.body() = "handler";
        out.res.prepare_payload();
    }
    m.on_response(ctx, out.res);
    return out;
}

bool has(const response& res, bh::field f) {
    return res.find(f) != res.end();
}

std::string value(const response& res, bh::field f) {
    const auto v = res[f];
    return {v.data(), v.size()};
}

json::object parse_object(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    INFO(text);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    return v.as_object();
}

/// The field named by the exception a config throws, e.g. "cors_config.allowed_origins[1]".
std::string thrown_message(const cors_config& config) {
    try {
        const cors c{config};
    } catch (const std::system_error& e) {
        CHECK(e.code() == bulwark::error::invalid_config);
        return e.what();
    }
    return "(no exception)";
}

} // namespace

TEST_CASE("cors: an exactly listed origin is echoed, with Vary: Origin", "[cors]") {
    cors c{{.allowed_origins = {"https://app.example.com"}}};
    request_context ctx;
    auto h = make_request(bh::verb::get, "https://app.example.com");
    const auto out = run(c, ctx, h);
    CHECK(out.header_action == action::proceed);
    CHECK(out.res.result_int() == 200);
    CHECK(value(out.res, bh::field::access_control_allow_origin) == "https://app.example.com");
    CHECK(value(out.res, bh::field::vary) == "Origin");
    CHECK_FALSE(has(out.res, bh::field::access_control_allow_credentials));
    CHECK_FALSE(has(out.res, bh::field::access_control_expose_headers));
    CHECK(ctx.cors_origin() == "https://app.example.com");
    CHECK(c.snapshot().disallowed_origins == 0);
}

TEST_CASE("cors: subdomain patterns match subdomains only, same scheme and port", "[cors]") {
    cors c{{.allowed_origins = {"https://*.example.com", "http://*.dev.example.org:8080"}}};

    for (const char* origin :
         {"https://a.example.com", "https://a.b.c.example.com", "https://A.Example.COM",
          "HTTPS://api.example.com", "https://xn--bcher-kva.example.com",
          "https://my_app.example.com", "http://x.dev.example.org:8080"}) {
        INFO(origin);
        CHECK(c.allows_origin(origin));
    }
    for (const char* origin : {
             "https://example.com",                // the apex is not a subdomain
             "https://evilexample.com",            // look-alike without the dot
             "https://a.evilexample.com",          // ends in "example.com", not ".example.com"
             "https://a.example.com.evil.com",     // the suffix in the middle
             "http://a.example.com",               // another scheme
             "wss://a.example.com",                // another scheme
             "https://a.example.com:8443",         // another port
             "https://a.example.com:443",          // browsers never send the default port
             "https://a.example.com/",             // not an origin
             "https://a.example.com.",             // a different host
             "https://.example.com",               // an empty label
             "https://a..example.com",             // an empty label
             "https://a b.example.com",            // not a host
             "https://evil.com/.example.com",      // a path, not a subdomain
             "https://evil.com?.example.com",      // a query, not a subdomain
             "https://user@a.example.com",         // userinfo
             "https://*.example.com",              // the pattern itself
             "http://x.dev.example.org",           // pattern with a port: port required
             "http://x.dev.example.org:80",        // pattern with a port: wrong one
             "http://x.dev.example.org:8080:8080", // garbage port
             "null",
             "",
             "*",
             "https",
             "https://",
         }) {
        INFO(origin);
        CHECK_FALSE(c.allows_origin(origin));
    }
    CHECK_FALSE(c.allows_origin("https://" + std::string(600, 'a') + ".example.com"));

    request_context ctx;
    auto allowed = make_request(bh::verb::get, "https://shop.example.com");
    CHECK(value(run(c, ctx, allowed).res, bh::field::access_control_allow_origin) ==
          "https://shop.example.com");
    auto apex = make_request(bh::verb::get, "https://example.com");
    CHECK_FALSE(has(run(c, ctx, apex).res, bh::field::access_control_allow_origin));
}

TEST_CASE("cors: scheme and host are case-insensitive, a default port is ignored", "[cors]") {
    const cors c{{.allowed_origins = {"HTTPS://App.Example.com:443", "http://localhost:8080"}}};
    CHECK(c.allows_origin("https://app.example.com"));
    CHECK(c.allows_origin("https://APP.example.com"));
    CHECK(c.allows_origin("http://localhost:8080"));
    CHECK_FALSE(c.allows_origin("http://localhost"));
    CHECK_FALSE(c.allows_origin("http://localhost:80800"));
    CHECK_FALSE(c.allows_origin("https://localhost:8080"));
    CHECK_FALSE(c.allows_origin("https://app.example.co"));

    const cors ipv6{{.allowed_origins = {"http://[::1]:3000"}}};
    CHECK(ipv6.allows_origin("http://[::1]:3000"));
    CHECK_FALSE(ipv6.allows_origin("http://[::1]"));
}

TEST_CASE("cors: a request without Origin gets no CORS headers but Vary: Origin", "[cors]") {
    cors c{{.allowed_origins = {"https://app.example.com"},
            .allow_credentials = true,
            .exposed_headers = {"X-Request-Id"}}};
    request_context ctx;
    auto h = make_request(bh::verb::get);
    const auto out = run(c, ctx, h);
    CHECK(out.res.result_int() == 200);
    CHECK_FALSE(has(out.res, bh::field::access_control_allow_origin));
    CHECK_FALSE(has(out.res, bh::field::access_control_allow_credentials));
    CHECK_FALSE(has(out.res, bh::field::access_control_expose_headers));
    // A cache must not hand this response to a cross-origin request.
    CHECK(value(out.res, bh::field::vary) == "Origin");
    CHECK(c.snapshot().disallowed_origins == 0);
}

TEST_CASE("cors: a disallowed origin is served without CORS headers and counted", "[cors]") {
    cors c{{.allowed_origins = {"https://app.example.com"}, .allow_credentials = true}};
    request_context ctx;
    auto h = make_request(bh::verb::post, "https://evil.example.net");
    const auto out = run(c, ctx, h);
    // Not rejected: CORS governs what the browser lets the page read, not access.
    CHECK(out.header_action == action::proceed);
    CHECK(out.res.result_int() == 200);
    CHECK_FALSE(has(out.res, bh::field::access_control_allow_origin));
    CHECK_FALSE(has(out.res, bh::field::access_control_allow_credentials));
    CHECK(value(out.res, bh::field::vary) == "Origin");
    CHECK(ctx.cors_origin().empty());
    CHECK(ctx.shadow_rejections() == 0);
    CHECK(c.snapshot().disallowed_origins == 1);

    // Two Origin lines: neither is trusted.
    auto twice = make_request(bh::verb::get, "https://app.example.com");
    twice.insert(bh::field::origin, "https://app.example.com");
    CHECK_FALSE(has(run(c, ctx, twice).res, bh::field::access_control_allow_origin));
    CHECK(c.snapshot().disallowed_origins == 2);
}

TEST_CASE("cors: with credentials the echoed origin is the request's, never *", "[cors]") {
    cors c{{.allowed_origins = {"https://*.example.com"},
            .allow_credentials = true,
            .exposed_headers = {"X-Request-Id", "RateLimit"}}};
    request_context ctx;
    auto h = make_request(bh::verb::get, "https://eu.app.example.com");
    const auto out = run(c, ctx, h);
    CHECK(value(out.res, bh::field::access_control_allow_origin) == "https://eu.app.example.com");
    CHECK(value(out.res, bh::field::access_control_allow_credentials) == "true");
    CHECK(value(out.res, bh::field::access_control_expose_headers) == "X-Request-Id, RateLimit");
    CHECK(value(out.res, bh::field::vary) == "Origin");
}

TEST_CASE("cors: * answers every response with * and no Vary", "[cors]") {
    cors c{{.allowed_origins = {"*"}, .exposed_headers = {"X-Request-Id"}}};
    request_context ctx;
    for (const char* origin : {"https://anyone.example", "null", ""}) {
        INFO(origin);
        auto h = make_request(bh::verb::get, origin);
        const auto out = run(c, ctx, h);
        CHECK(value(out.res, bh::field::access_control_allow_origin) == "*");
        CHECK(value(out.res, bh::field::access_control_expose_headers) == "X-Request-Id");
        CHECK_FALSE(has(out.res, bh::field::access_control_allow_credentials));
        CHECK_FALSE(has(out.res, bh::field::vary));
    }
}

TEST_CASE("cors: config is validated and the bad entry is named", "[cors][config]") {
    CHECK_FALSE(cors::validate({}));
    CHECK_FALSE(cors::validate({.allowed_origins = {"*"}}));

    bulwark::config_issue issue;
    std::size_t index = 99;
    const cors_config star_with_credentials{.allowed_origins = {"https://app.example.com", "*"},
                                            .allow_credentials = true};
    CHECK(cors::validate(star_with_credentials, &issue, &index) == bulwark::error::invalid_config);
    CHECK(issue.field == "cors_config.allowed_origins");
    CHECK(index == 1);
    CHECK_THAT(thrown_message(star_with_credentials),
               Catch::StartsWith("cors_config.allowed_origins[1]: ") &&
                   Catch::Contains("allow_credentials"));
    CHECK_THAT(thrown_message({.allowed_origins = {"*", "https://app.example.com"}}),
               Catch::StartsWith("cors_config.allowed_origins[0]: "));

    for (const char* bad : {
             "https://app.example.com/",      // trailing slash
             "https://app.example.com/path",  // a path
             "app.example.com",               // no scheme
             "https://",                      // no host
             "://app.example.com",            // empty scheme
             "1https://app.example.com",      // scheme starts with a digit
             "https://app.example.com:0",     // port 0
             "https://app.example.com:65536", // port too large
             "https://app.example.com:080",   // leading zero
             "https://app.example.com:",      // empty port
             "https://app.example.com:https", // not a number
             "https://user@app.example.com",  // userinfo
             "https://app..example.com",      // empty label
             "https://app.example.com.",      // trailing dot
             "https://exa mple.com",          // space
             "https://b\xc3\xbc"
             "cher.de",                 // not in xn-- form
             "https://*.com",           // pattern over a public suffix
             "https://*",               // pattern without a domain
             "https://a.*.example.com", // wildcard not leftmost
             "https://*example.com",    // wildcard not a whole label
             "https://*.[::1]",         // pattern over an IPv6 literal
             "http://[::1",             // unclosed literal
             "null",                    // shared by every sandboxed document
             "",
         }) {
        INFO(bad);
        CHECK_THAT(thrown_message({.allowed_origins = {"https://ok.example.com", bad}}),
                   Catch::StartsWith("cors_config.allowed_origins[1]: "));
    }

    CHECK_THAT(thrown_message({.allowed_methods = {"GET", ""}}),
               Catch::StartsWith("cors_config.allowed_methods[1]: "));
    CHECK_THAT(thrown_message({.allowed_methods = {"GET PUT"}}),
               Catch::StartsWith("cors_config.allowed_methods[0]: "));
    CHECK_THAT(thrown_message({.allowed_methods = {"*"}}),
               Catch::StartsWith("cors_config.allowed_methods[0]: "));
    CHECK_THAT(thrown_message({.allowed_headers = {"x-ok", "x bad"}}),
               Catch::StartsWith("cors_config.allowed_headers[1]: "));
    CHECK_THAT(thrown_message({.allowed_headers = {"x:y"}}),
               Catch::StartsWith("cors_config.allowed_headers[0]: "));
    CHECK_THAT(thrown_message({.exposed_headers = {"X-Request-Id", ""}}),
               Catch::StartsWith("cors_config.exposed_headers[1]: "));
    CHECK_THAT(thrown_message({.max_age = std::chrono::seconds{-1}}),
               Catch::StartsWith("cors_config.max_age: "));
    CHECK_THAT(thrown_message({.max_age = std::chrono::hours{25}}),
               Catch::StartsWith("cors_config.max_age: "));
    CHECK_NOTHROW(cors{{.max_age = std::chrono::seconds{0}}});
    CHECK_NOTHROW(cors{{.max_age = std::chrono::hours{24}}});
}

TEST_CASE("cors: an allowed preflight is answered with 204 and the allow headers", "[cors]") {
    cors c{{.allowed_origins = {"https://app.example.com"},
            .allow_credentials = true,
            .allowed_methods = {"GET", "POST", "PUT"},
            .allowed_headers = {"Content-Type", "X-Trace"},
            .exposed_headers = {"X-Request-Id"},
            .max_age = std::chrono::seconds{120}}};
    request_context ctx;
    auto h = make_preflight("https://app.example.com", "PUT", "content-type,X-TRACE");
    const auto out = run(c, ctx, h);
    CHECK(out.header_action == action::respond);
    CHECK(ctx.rejected_by() == "cors");
    CHECK(out.res.result_int() == 204);
    CHECK(out.res.body().empty());
    CHECK_FALSE(has(out.res, bh::field::content_length)); // RFC 9110 8.6: none on a 204
    CHECK(value(out.res, bh::field::access_control_allow_origin) == "https://app.example.com");
    CHECK(value(out.res, bh::field::access_control_allow_credentials) == "true");
    CHECK(value(out.res, bh::field::access_control_allow_methods) == "GET, POST, PUT");
    CHECK(value(out.res, bh::field::access_control_allow_headers) == "content-type, x-trace");
    CHECK(value(out.res, bh::field::access_control_max_age) == "120");
    CHECK(value(out.res, bh::field::vary) ==
          "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    CHECK_FALSE(has(out.res, bh::field::access_control_expose_headers));
    CHECK(c.snapshot().preflights_allowed == 1);
    CHECK(c.snapshot().preflights_denied == 0);

    // Without Access-Control-Request-Headers there is nothing to allow.
    auto plain = make_preflight("https://app.example.com", "POST");
    const auto second = run(c, ctx, plain);
    CHECK(second.res.result_int() == 204);
    CHECK_FALSE(has(second.res, bh::field::access_control_allow_headers));
    CHECK(c.snapshot().preflights_allowed == 2);

    // An OPTIONS request without Access-Control-Request-Method is not a preflight.
    auto options = make_request(bh::verb::options, "https://app.example.com");
    const auto third = run(c, ctx, options);
    CHECK(third.header_action == action::proceed);
    CHECK(third.res.result_int() == 200);
    CHECK(value(third.res, bh::field::access_control_allow_origin) == "https://app.example.com");
    CHECK(c.snapshot().preflights_allowed == 2);
}

TEST_CASE("cors: a preflight asking for a disallowed method, header or origin gets a 403",
          "[cors]") {
    cors c{{.allowed_origins = {"https://app.example.com"},
            .allowed_methods = {"GET", "POST"},
            .allowed_headers = {"content-type"}}};
    struct denial {
        const char* origin;
        const char* method;
        const char* headers;
        const char* detail_word;
    };
    const std::array<denial, 6> cases{{
        {"https://app.example.com", "DELETE", "", "method"},
        {"https://app.example.com", "post", "", "method"}, // methods are case-sensitive
        {"https://app.example.com", "GET POST", "", "method"},
        {"https://app.example.com", "POST", "content-type, x-admin", "header"},
        {"https://app.example.com", "POST", "content-type, x y", "header"},
        {"https://other.example.com", "GET", "", "origin"},
    }};
    request_context ctx;
    std::uint64_t denied = 0;
    for (const auto& d : cases) {
        INFO(d.origin << " " << d.method << " " << d.headers);
        auto h = make_preflight(d.origin, d.method, d.headers);
        const auto out = run(c, ctx, h);
        CHECK(out.header_action == action::respond);
        CHECK(ctx.rejected_by() == "cors");
        CHECK(out.res.result_int() == 403);
        CHECK(value(out.res, bh::field::content_type) == "application/problem+json");
        for (const auto f :
             {bh::field::access_control_allow_origin, bh::field::access_control_allow_credentials,
              bh::field::access_control_allow_methods, bh::field::access_control_allow_headers,
              bh::field::access_control_max_age}) {
            CHECK_FALSE(has(out.res, f));
        }
        const auto body = parse_object(out.res.body());
        CHECK(body.at("status") == 403);
        CHECK(body.at("title") == "Forbidden");
        CHECK(std::string{body.at("detail").as_string()}.find(d.detail_word) != std::string::npos);
        CHECK(body.at("requestId").as_string() == ctx.request_id());
        CHECK(c.snapshot().preflights_denied == ++denied);
    }
    CHECK(c.snapshot().preflights_allowed == 0);
    CHECK(c.snapshot().shadow_rejections == 0);
    CHECK(ctx.shadow_rejections() == 0);
}

TEST_CASE("cors: in shadow mode a denied preflight proceeds and is counted", "[cors]") {
    cors c{{.allowed_origins = {"https://app.example.com"},
            .allowed_methods = {"GET"},
            .enforce = false}};
    request_context ctx;
    auto h = make_preflight("https://app.example.com", "DELETE");
    const auto out = run(c, ctx, h, 405); // the route has no OPTIONS handler
    CHECK(out.header_action == action::proceed);
    CHECK(out.res.result_int() == 405);
    CHECK(ctx.rejected_by().empty());
    CHECK(ctx.shadow_rejections() == 1);
    CHECK_FALSE(has(out.res, bh::field::access_control_allow_methods));
    const auto s = c.snapshot();
    CHECK(s.preflights_denied == 1);
    CHECK(s.shadow_rejections == 1);
    CHECK(s.preflights_allowed == 0);

    // Shadow mode changes nothing for an allowed preflight.
    auto ok = make_preflight("https://app.example.com", "GET");
    CHECK(run(c, ctx, ok).res.result_int() == 204);
    CHECK(ctx.shadow_rejections() == 0);
    CHECK(c.snapshot().preflights_allowed == 1);
}

TEST_CASE("cors: Vary: Origin is appended to an existing Vary, never duplicated", "[cors]") {
    cors c{{.allowed_origins = {"https://app.example.com"}}};
    request_context ctx;
    const auto respond_with_vary = [&](std::initializer_list<const char*> vary_lines) {
        auto h = make_request(bh::verb::get, "https://app.example.com");
        start_request(ctx);
        REQUIRE(c.on_header(ctx, h) == action::proceed);
        response res{bh::status::ok, 11};
        for (const char* line : vary_lines) {
            res.insert(bh::field::vary, line);
        }
        c.on_response(ctx, res);
        std::string all;
        for (auto [it, end] = res.equal_range(bh::field::vary); it != end; ++it) {
            all += all.empty() ? "" : " | ";
            all += std::string{it->value().data(), it->value().size()};
        }
        return all;
    };
    CHECK(respond_with_vary({"Accept-Encoding"}) == "Accept-Encoding, Origin");
    CHECK(respond_with_vary({"accept-encoding, origin"}) == "accept-encoding, origin");
    CHECK(respond_with_vary({"Accept-Encoding,ORIGIN"}) == "Accept-Encoding,ORIGIN");
    CHECK(respond_with_vary({"*"}) == "*");
    CHECK(respond_with_vary({"Accept", "Accept-Language"}) == "Accept | Accept-Language | Origin");
    CHECK(respond_with_vary({"Accept", "Origin"}) == "Accept | Origin");
    CHECK(respond_with_vary({"Originator"}) == "Originator, Origin");
}

TEST_CASE("cors: a credentialed config never reflects an unlisted origin", "[cors]") {
    cors c{{.allowed_origins = {"https://app.example.com", "https://*.example.com",
                                "http://localhost:8080"},
            .allow_credentials = true}};
    // An independent statement of the rules, to compare the matcher with: the listed origins,
    // or "https://" + one or more labels of [a-z0-9_-]{1,63} + ".example.com".
    const auto is_label = [](std::string_view label) {
        return !label.empty() && label.size() <= 63 &&
               label.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") ==
                   std::string_view::npos;
    };
    const auto expected = [&](const std::string& origin) {
        std::string o = origin;
        std::transform(o.begin(), o.end(), o.begin(), [](char ch) {
            return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
        });
        if (o == "https://app.example.com" || o == "http://localhost:8080") {
            return true;
        }
        const std::string_view prefix = "https://";
        const std::string_view suffix = ".example.com";
        if (o.size() <= prefix.size() + suffix.size() || !o.starts_with(prefix) ||
            !o.ends_with(suffix)) {
            return false;
        }
        std::string_view labels_part{o.data() + prefix.size(),
                                     o.size() - prefix.size() - suffix.size()};
        for (;;) {
            const auto dot = labels_part.find('.');
            if (!is_label(labels_part.substr(0, dot))) {
                return false;
            }
            if (dot == std::string_view::npos) {
                return true;
            }
            labels_part.remove_prefix(dot + 1);
        }
    };

    // Pieces of origins, near misses included; repeated entries weight the draw towards
    // well-formed origins so that both answers are common.
    const std::array<const char*, 12> schemes{"https", "https", "https", "https", "http",   "HTTPS",
                                              "hTtPs", "wss",   "ftp",   "",      "https:", "null"};
    const std::array<const char*, 8> separators{"://", "://", "://", "://",
                                                "://", "://", ":/",  "//"};
    const std::array<const char*, 15> labels{
        "app", "a", "x-y", "EXAMPLE",       "example", "com",      "evil",     "evilexample",
        "",    "*", "a_b", "xn--bcher-kva", "%2e",     "\xc3\xa9", "localhost"};
    const std::array<const char*, 10> suffixes{".example.com",
                                               ".example.com",
                                               ".example.com",
                                               "example.com",
                                               ".example.com.evil.com",
                                               ".example.com.",
                                               "",
                                               ".com",
                                               ".Example.Com",
                                               ".example.org"};
    const std::array<const char*, 12> ports{"",     "",      "",    "",   "",  "",
                                            ":443", ":8080", ":80", ":0", ":", ":08080"};
    const std::array<const char*, 14> tails{"", "",  "",   "",  "",   "",   "",
                                            "", "/", "/x", " ", "?q", "#f", "\r\n"};

    std::mt19937 rng{20240601}; // seeded: a failure reproduces
    const auto pick = [&](const auto& options) {
        return std::string{
            options[std::uniform_int_distribution<std::size_t>{0, options.size() - 1}(rng)]};
    };
    request_context ctx;
    std::size_t allowed = 0;
    std::size_t refused = 0;
    for (int i = 0; i < 20'000; ++i) {
        std::string origin = pick(schemes) + pick(separators);
        const auto count = std::uniform_int_distribution<int>{0, 3}(rng);
        for (int l = 0; l < count; ++l) {
            origin += (l == 0 ? "" : ".") + pick(labels);
        }
        origin += pick(suffixes) + pick(ports) + pick(tails);

        const bool should = expected(origin);
        INFO("origin: " << origin);
        REQUIRE(c.allows_origin(origin) == should);
        if (i % 8 == 0) { // through the hooks too, for a share of them
            auto h = make_request(bh::verb::get);
            h.set(bh::field::origin, origin);
            // Beast stores the value without surrounding whitespace: judge what the hook sees.
            const auto sent = std::string{h[bh::field::origin].data(), h[bh::field::origin].size()};
            const bool should_echo = expected(sent);
            const auto out = run(c, ctx, h);
            const auto acao = value(out.res, bh::field::access_control_allow_origin);
            REQUIRE(acao != "*");
            REQUIRE(has(out.res, bh::field::access_control_allow_origin) == should_echo);
            if (should_echo) {
                REQUIRE(acao == sent);
                REQUIRE(value(out.res, bh::field::access_control_allow_credentials) == "true");
            }
        }
        (should ? allowed : refused) += 1;
    }
    // The generator reaches both sides of the rule.
    CHECK(allowed > 200);
    CHECK(refused > 10'000);
}

TEST_CASE("cors: the documented example in a pipeline", "[cors]") {
    //! [cors_config]
    bulwark::http::cors cross_origin{{
        .allowed_origins = {"https://app.example.com", "https://*.app.example.com"},
        .allow_credentials = true, // cookies: never with "*"
        .allowed_methods = {"GET", "HEAD", "POST", "PUT", "DELETE"},
        .allowed_headers = {"content-type", "authorization"},
        .exposed_headers = {"x-request-id", "retry-after"},
        .max_age = std::chrono::minutes{10},
    }};
    // Early in the pipeline, so other middlewares' rejections (429, 413) carry CORS headers
    // and the page can read them.
    bulwark::http::pipeline stack{std::move(cross_origin), bulwark::http::request_id{}};
    //! [cors_config]

    request_context ctx;
    auto preflight = make_preflight("https://eu.app.example.com", "PUT", "content-type");
    const auto out = run(stack, ctx, preflight);
    CHECK(out.res.result_int() == 204);
    CHECK(value(out.res, bh::field::access_control_allow_origin) == "https://eu.app.example.com");
    CHECK(value(out.res, bh::field::access_control_max_age) == "600");

    auto get = make_request(bh::verb::get, "https://app.example.com");
    const auto actual = run(stack, ctx, get);
    CHECK(value(actual.res, bh::field::access_control_allow_origin) == "https://app.example.com");
    CHECK(value(actual.res, bh::field::access_control_expose_headers) ==
          "x-request-id, retry-after");

    //! [cors_snapshot]
    const bulwark::http::cors_snapshot s = stack.get<bulwark::http::cors>().snapshot();
    //! [cors_snapshot]
    CHECK(s.preflights_allowed == 1);
    CHECK(s.preflights_denied == 0);
}
