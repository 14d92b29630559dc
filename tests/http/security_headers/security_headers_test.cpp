#include <bulwark/http/pipeline.hpp>
#include <bulwark/http/request_id/request_id.hpp>
#include <bulwark/http/security_headers/security_headers.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <regex>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#if defined(__unix__)
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace bh = boost::beast::http;
using bulwark::security_headers_config;
using bulwark::http::action;
using bulwark::http::request_context;
using bulwark::http::request_header;
using bulwark::http::response;
using bulwark::http::security_headers;

namespace {

request_header make_request() {
    request_header h;
    h.method(bh::verb::get);
    h.target("/");
    h.version(11);
    h.set(bh::field::host, "app.example.com");
    return h;
}

void start_request(request_context& ctx, bool secure = false) {
    request_context::identity id;
    id.secure = secure;
    id.body_limit = 1024;
    ctx.reset(id);
}

response make_response() {
    response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "text/html; charset=utf-8");
    res.body() = "<p>hello</p>";
    res.prepare_payload();
    return res;
}

// What a session does with one request: header phase, the handler's response (shaped by
// `handler`), the response phase.
template <class Handler>
response run(security_headers& m, request_context& ctx, Handler handler) {
    auto h = make_request();
    CHECK(m.on_header(ctx, h) == action::proceed);
    auto res = make_response();
    handler(ctx, res);
    m.on_response(ctx, res);
    return res;
}

response run(security_headers& m, request_context& ctx) {
    return run(m, ctx, [](request_context&, response&) {});
}

std::string value(const response& res, std::string_view name) {
    const auto it = res.find(name);
    return it == res.end() ? std::string{"<absent>"} : std::string{it->value()};
}

std::size_t count(const response& res, std::string_view name) {
    return res.count(name);
}

constexpr std::string_view helmet_policy =
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
    "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
    "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests";

// The nonce a CSP header carries in its script-src, or "".
std::string script_nonce(const std::string& policy) {
    static const std::regex pattern{"script-src [^;]*'nonce-([^']*)'"};
    std::smatch m;
    return std::regex_search(policy, m, pattern) ? m[1].str() : std::string{};
}

bool is_nonce(std::string_view nonce) {
    static const std::regex base64_128{"[A-Za-z0-9+/]{21}[AQgw]=="};
    return std::regex_match(nonce.begin(), nonce.end(), base64_128);
}

} // namespace

TEST_CASE("security headers: the default sends exactly helmet 8's headers", "[security_headers]") {
    security_headers m;
    request_context ctx;
    start_request(ctx);
    const auto res = run(m, ctx, [](request_context&, response& r) {
        r.set(bh::field::server, "bulwark-example/1.0");
        r.set("X-Powered-By", "Express");
    });

    CHECK(value(res, "Content-Security-Policy") == helmet_policy);
    CHECK(value(res, "Cross-Origin-Opener-Policy") == "same-origin");
    CHECK(value(res, "Cross-Origin-Resource-Policy") == "same-origin");
    CHECK(value(res, "Origin-Agent-Cluster") == "?1");
    CHECK(value(res, "Referrer-Policy") == "no-referrer");
    CHECK(value(res, "Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
    CHECK(value(res, "X-Content-Type-Options") == "nosniff");
    CHECK(value(res, "X-DNS-Prefetch-Control") == "off");
    CHECK(value(res, "X-Download-Options") == "noopen");
    CHECK(value(res, "X-Frame-Options") == "SAMEORIGIN");
    CHECK(value(res, "X-Permitted-Cross-Domain-Policies") == "none");
    CHECK(value(res, "X-XSS-Protection") == "0");

    CHECK(count(res, "X-Powered-By") == 0);
    CHECK(count(res, "Server") == 0);
    CHECK(count(res, "Cross-Origin-Embedder-Policy") == 0);
    CHECK(count(res, "Permissions-Policy") == 0);
    CHECK(count(res, "Cache-Control") == 0);
    CHECK(count(res, "Content-Security-Policy-Report-Only") == 0);
    // The 12 headers, plus the handler's Content-Type and Content-Length: nothing else.
    CHECK(std::distance(res.begin(), res.end()) == 14);
    CHECK(ctx.csp_nonce().empty());
}

TEST_CASE("security headers: fingerprinting and internal headers are stripped in any case",
          "[security_headers]") {
    security_headers m;
    request_context ctx;
    start_request(ctx);
    const auto res = run(m, ctx, [](request_context&, response& r) {
        r.set(bh::field::server, "nginx/1.25");
        r.set("x-powered-by", "PHP/8.3");
        r.set("X-AspNet-Version", "4.0.30319");
        r.set("X-B3-TraceId", "80f198ee56343ba864fe8b2a57d3eff7");
        r.set("X-B3-SpanId", "e457b5a2e4d86bd1");
        r.set("X-Envoy-Upstream-Service-Time", "12");
        r.set("x-envoy-attempt-count", "1");
        r.set("X-Request-Id", "kept");
    });
    for (const char* name :
         {"Server", "X-Powered-By", "X-AspNet-Version", "X-B3-TraceId", "X-B3-SpanId",
          "X-Envoy-Upstream-Service-Time", "X-Envoy-Attempt-Count"}) {
        INFO(name);
        CHECK(count(res, name) == 0);
    }
    CHECK(value(res, "X-Request-Id") == "kept");
    CHECK(value(res, "Content-Type") == "text/html; charset=utf-8");
}

TEST_CASE("security headers: a header the handler set is kept", "[security_headers]") {
    security_headers m;
    request_context ctx;
    start_request(ctx);
    const auto res = run(m, ctx, [](request_context&, response& r) {
        r.set(bh::field::x_frame_options, "DENY");              // Beast knows this one
        r.set("content-security-policy", "default-src 'none'"); // any case
        r.set("Cross-Origin-Resource-Policy", "cross-origin");  // a public asset
        r.set(bh::field::strict_transport_security, "max-age=0");
    });
    CHECK(value(res, "X-Frame-Options") == "DENY");
    CHECK(count(res, "X-Frame-Options") == 1);
    CHECK(value(res, "Content-Security-Policy") == "default-src 'none'");
    CHECK(count(res, "Content-Security-Policy") == 1);
    CHECK(value(res, "Cross-Origin-Resource-Policy") == "cross-origin");
    CHECK(count(res, "Cross-Origin-Resource-Policy") == 1);
    CHECK(value(res, "Strict-Transport-Security") == "max-age=0");
    // The others are still added.
    CHECK(value(res, "X-Content-Type-Options") == "nosniff");
    CHECK(value(res, "Referrer-Policy") == "no-referrer");
}

TEST_CASE("security headers: removal wins even over the handler", "[security_headers]") {
    security_headers m{security_headers_config{.remove_headers = {"Server", "X-Debug-Sql"}}};
    request_context ctx;
    start_request(ctx);
    const auto res = run(m, ctx, [](request_context&, response& r) {
        r.set(bh::field::server, "mine");
        r.set("X-Debug-Sql", "SELECT *");
        r.set("X-Powered-By", "kept: not in this remove list");
    });
    CHECK(count(res, "Server") == 0);
    CHECK(count(res, "X-Debug-Sql") == 0);
    CHECK(count(res, "X-Powered-By") == 1);
}

TEST_CASE("security headers: a fresh 128-bit nonce per request, in the policy and the context",
          "[security_headers]") {
    security_headers m{security_headers_config::html_app()};
    request_context ctx;

    start_request(ctx);
    std::string seen_by_handler;
    const auto first = run(m, ctx, [&](request_context& c, response&) {
        seen_by_handler = std::string{c.csp_nonce()};
    });
    const std::string nonce1{ctx.csp_nonce()};
    CHECK(nonce1.size() == 24);
    CHECK(is_nonce(nonce1));
    CHECK(seen_by_handler == nonce1);
    const auto policy1 = value(first, "Content-Security-Policy");
    CHECK(script_nonce(policy1) == nonce1);
    CHECK(policy1.find("script-src 'self' 'nonce-" + nonce1 + "';script-src-attr") !=
          std::string::npos);
    // Everything but the nonce is helmet's policy.
    std::string without = policy1;
    without.erase(without.find(" 'nonce-"), 9 + nonce1.size());
    CHECK(without == helmet_policy);

    start_request(ctx);
    const auto second = run(m, ctx);
    const std::string nonce2{ctx.csp_nonce()};
    CHECK(is_nonce(nonce2));
    CHECK(nonce2 != nonce1);
    CHECK(script_nonce(value(second, "Content-Security-Policy")) == nonce2);
}

TEST_CASE("security headers: a response without a nonce gets the policy without one",
          "[security_headers]") {
    // E.g. a request rejected by a middleware that ran before this one's header phase.
    security_headers m{security_headers_config::html_app()};
    request_context ctx;
    start_request(ctx);
    auto res = make_response();
    m.on_response(ctx, res);
    CHECK(value(res, "Content-Security-Policy") == helmet_policy);
}

TEST_CASE("security headers: problem+json rejections get the headers too", "[security_headers]") {
    security_headers m{security_headers_config::json_api()};
    request_context ctx;
    start_request(ctx);
    auto h = make_request();
    CHECK(m.on_header(ctx, h) == action::proceed);
    CHECK(ctx.reject({.status = 429, .detail = "slow down"}, "rate_limit") == action::respond);
    auto res = ctx.take_response();
    res.set(bh::field::server, "leaky");
    m.on_response(ctx, res);
    CHECK(res.result_int() == 429);
    CHECK(value(res, "Content-Type") == "application/problem+json");
    CHECK(value(res, "Content-Security-Policy") == "default-src 'none';frame-ancestors 'none'");
    CHECK(value(res, "X-Frame-Options") == "DENY");
    CHECK(value(res, "Cache-Control") == "no-store");
    CHECK(value(res, "X-Content-Type-Options") == "nosniff");
    CHECK(count(res, "Server") == 0);
}

TEST_CASE("security headers: report-only alongside the enforced policy", "[security_headers]") {
    auto config = security_headers_config::html_app();
    config.content_security_policy_report_only =
        bulwark::content_security_policy{.directives = {{"default-src", {"'self'"}},
                                                        {"script-src", {"'strict-dynamic'"}},
                                                        {"style-src", {"'self'"}},
                                                        {"report-to", {"csp"}}}};
    security_headers m{config};
    request_context ctx;
    start_request(ctx);
    const auto res = run(m, ctx);
    const std::string nonce{ctx.csp_nonce()};
    const auto enforced = value(res, "Content-Security-Policy");
    const auto report_only = value(res, "Content-Security-Policy-Report-Only");
    CHECK(script_nonce(enforced) == nonce);
    CHECK(report_only == "default-src 'self';script-src 'strict-dynamic' 'nonce-" + nonce +
                             "';style-src 'self';report-to csp");
    CHECK(count(res, "Content-Security-Policy") == 1);
    CHECK(count(res, "Content-Security-Policy-Report-Only") == 1);

    // Without a nonce, report-only alone.
    security_headers trial{
        security_headers_config{.content_security_policy = std::nullopt,
                                .content_security_policy_report_only =
                                    bulwark::content_security_policy::helmet_defaults()}};
    start_request(ctx);
    const auto res2 = run(trial, ctx);
    CHECK(count(res2, "Content-Security-Policy") == 0);
    CHECK(value(res2, "Content-Security-Policy-Report-Only") == helmet_policy);
}

TEST_CASE("security headers: HSTS over TLS only, when asked", "[security_headers]") {
    request_context ctx;
    security_headers always;
    start_request(ctx, false);
    CHECK(value(run(always, ctx), "Strict-Transport-Security") ==
          "max-age=31536000; includeSubDomains");
    start_request(ctx, true);
    CHECK(value(run(always, ctx), "Strict-Transport-Security") ==
          "max-age=31536000; includeSubDomains");

    security_headers tls_only{security_headers_config{.hsts_tls_only = true}};
    start_request(ctx, false);
    REQUIRE_FALSE(ctx.secure());
    CHECK(count(run(tls_only, ctx), "Strict-Transport-Security") == 0);
    start_request(ctx, true);
    REQUIRE(ctx.secure());
    CHECK(value(run(tls_only, ctx), "Strict-Transport-Security") ==
          "max-age=31536000; includeSubDomains");
}

TEST_CASE("security headers: Cache-Control on sensitive routes only", "[security_headers]") {
    security_headers m{security_headers_config{.sensitive_routes = {"/account/{id}", "/login"}}};
    request_context ctx;
    const auto on_route = [&](std::string_view route) {
        start_request(ctx);
        ctx.set_route(route);
        return run(m, ctx);
    };
    CHECK(value(on_route("/account/{id}"), "Cache-Control") == "no-store");
    CHECK(value(on_route("/login"), "Cache-Control") == "no-store");
    CHECK(count(on_route("/products/{id}"), "Cache-Control") == 0);
    CHECK(count(on_route("unmatched"), "Cache-Control") == 0);
    CHECK(count(on_route(""), "Cache-Control") == 0);

    // The handler's own Cache-Control wins on a sensitive route too.
    start_request(ctx);
    ctx.set_route("/login");
    const auto res = run(m, ctx, [](request_context&, response& r) {
        r.set(bh::field::cache_control, "private, max-age=60");
    });
    CHECK(value(res, "Cache-Control") == "private, max-age=60");
    CHECK(count(res, "Cache-Control") == 1);
}

TEST_CASE("security headers: strict sends OWASP's set", "[security_headers]") {
    security_headers m{security_headers_config::strict()};
    request_context ctx;
    start_request(ctx);
    const auto res = run(m, ctx, [](request_context&, response& r) {
        r.set("X-Generator", "Drupal 10");
        r.set("X-AspNetMvc-Version", "5.2");
    });
    CHECK(value(res, "Content-Security-Policy") ==
          "default-src 'self';form-action 'self';object-src 'none';frame-ancestors 'none';"
          "upgrade-insecure-requests;block-all-mixed-content");
    CHECK(value(res, "Cross-Origin-Embedder-Policy") == "require-corp");
    CHECK(value(res, "Cross-Origin-Opener-Policy") == "same-origin");
    CHECK(value(res, "Cross-Origin-Resource-Policy") == "same-origin");
    CHECK(value(res, "Permissions-Policy").starts_with("accelerometer=(), autoplay=(), camera=()"));
    CHECK(value(res, "Permissions-Policy").ends_with("serial=(), unload=()"));
    CHECK(value(res, "Referrer-Policy") == "no-referrer");
    CHECK(value(res, "Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
    CHECK(value(res, "X-Content-Type-Options") == "nosniff");
    CHECK(value(res, "X-Frame-Options") == "deny");
    CHECK(value(res, "X-Permitted-Cross-Domain-Policies") == "none");
    CHECK(value(res, "Cache-Control") == "no-store, max-age=0");
    for (const char* absent :
         {"Origin-Agent-Cluster", "X-DNS-Prefetch-Control", "X-Download-Options",
          "X-XSS-Protection", "X-Generator", "X-AspNetMvc-Version"}) {
        INFO(absent);
        CHECK(count(res, absent) == 0);
    }
}

TEST_CASE("security headers: a policy longer than the stack buffer", "[security_headers]") {
    auto config = security_headers_config::html_app();
    for (int i = 0; i < 200; ++i) {
        config.content_security_policy->append("script-src",
                                               "https://cdn" + std::to_string(i) + ".example.com");
    }
    security_headers m{config};
    request_context ctx;
    start_request(ctx);
    const auto res = run(m, ctx);
    const auto policy = value(res, "Content-Security-Policy");
    CHECK(policy.size() > 4096);
    CHECK(policy.find("https://cdn199.example.com 'nonce-" + std::string{ctx.csp_nonce()} +
                      "';script-src-attr 'none'") != std::string::npos);
}

TEST_CASE("security headers: additional headers", "[security_headers]") {
    security_headers m{security_headers_config{
        .additional_headers = {{"Reporting-Endpoints", "csp=\"https://r.example/csp\""}}}};
    request_context ctx;
    start_request(ctx);
    CHECK(value(run(m, ctx), "Reporting-Endpoints") == "csp=\"https://r.example/csp\"");
}

TEST_CASE("security headers: an invalid config is refused at construction", "[security_headers]") {
    CHECK_THROWS_AS(security_headers{security_headers_config{.x_frame_options = "ALLOW-FROM x"}},
                    std::system_error);
    auto config = security_headers_config{};
    config.csp_nonce_directives = {"img-src"};
    CHECK_THROWS_WITH(security_headers{config},
                      Catch::Contains("security_headers_config.csp_nonce_directives"));
}

TEST_CASE("security headers: generated nonces are distinct 128-bit base64 values",
          "[security_headers]") {
    std::set<std::string> seen;
    // More than one pool's worth (64), so refills are exercised.
    for (int i = 0; i < 1000; ++i) {
        std::array<char, bulwark::http::csp_nonce_size> buffer{};
        REQUIRE(bulwark::http::generate_csp_nonce(buffer) == 24);
        const std::string nonce{buffer.data(), buffer.size()};
        REQUIRE(is_nonce(nonce));
        seen.insert(nonce);
    }
    CHECK(seen.size() == 1000);
}

#if defined(__unix__)
TEST_CASE("security headers: a forked child does not repeat the parent's nonces",
          "[security_headers]") {
    std::array<char, bulwark::http::csp_nonce_size> parent{};
    REQUIRE(bulwark::http::generate_csp_nonce(parent) == 24); // the pool is now filled
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::array<char, bulwark::http::csp_nonce_size> next{};
        const auto n = bulwark::http::generate_csp_nonce(next);
        const auto written = write(pipe_fds[1], next.data(), n);
        _exit(written == static_cast<ssize_t>(n) ? 0 : 1);
    }
    close(pipe_fds[1]);
    std::array<char, bulwark::http::csp_nonce_size> from_child{};
    const auto got = read(pipe_fds[0], from_child.data(), from_child.size());
    close(pipe_fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(got == static_cast<ssize_t>(from_child.size()));
    std::array<char, bulwark::http::csp_nonce_size> next_in_parent{};
    REQUIRE(bulwark::http::generate_csp_nonce(next_in_parent) == 24);
    CHECK(from_child != next_in_parent);
}
#endif

TEST_CASE("security headers: in a pipeline, with the nonce in the handler's HTML",
          "[security_headers]") {
    //! [example]
    // helmet's headers, a per-request script nonce, a stricter policy on trial, and no caching
    // of the account pages.
    auto config = bulwark::security_headers_config::html_app();
    config.content_security_policy->append("img-src", "https://images.example.com");
    config.content_security_policy_report_only =
        bulwark::content_security_policy{.directives = {{"default-src", {"'self'"}},
                                                        {"script-src", {"'strict-dynamic'"}},
                                                        {"style-src", {"'self'"}},
                                                        {"report-to", {"csp"}}}};
    config.additional_headers = {
        {"Reporting-Endpoints", "csp=\"https://app.example.com/csp-reports\""}};
    config.sensitive_routes = {"/account", "/account/{id}"};

    // First in the pipeline, so its response phase runs last and sees every header.
    bulwark::http::pipeline stack{bulwark::http::security_headers{config},
                                  bulwark::http::request_id{}};
    //! [example]

    request_context ctx;
    start_request(ctx, true);
    auto h = make_request();
    REQUIRE(stack.on_header(ctx, h) == action::proceed);
    ctx.set_route("/account");
    response res{bh::status::ok, 11};
    //! [handler]
    // In the handler: the nonce marks the page's own inline script as trusted.
    res.set(bh::field::content_type, "text/html; charset=utf-8");
    res.body() = "<script nonce=\"" + std::string{ctx.csp_nonce()} + "\">start()</script>";
    //! [handler]
    res.prepare_payload();
    stack.on_response(ctx, res);

    const std::string nonce{ctx.csp_nonce()};
    CHECK(is_nonce(nonce));
    CHECK(res.body().find("nonce=\"" + nonce + "\"") != std::string::npos);
    CHECK(script_nonce(value(res, "Content-Security-Policy")) == nonce);
    CHECK(value(res, "Content-Security-Policy")
              .find("img-src 'self' data: https://images.example.com;") != std::string::npos);
    CHECK(script_nonce(value(res, "Content-Security-Policy-Report-Only")) == nonce);
    CHECK(value(res, "Reporting-Endpoints") == "csp=\"https://app.example.com/csp-reports\"");
    CHECK(value(res, "Cache-Control") == "no-store");
    CHECK(value(res, "X-Request-Id") == std::string{ctx.request_id()});
}
