#include <bulwark/core/security_headers/security_headers.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

using bulwark::compiled_security_headers;
using bulwark::config_issue;
using bulwark::header_scope;
using bulwark::security_headers_config;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

header_list names_and_values(const compiled_security_headers& compiled) {
    header_list out;
    for (const auto& h : compiled.headers()) {
        out.emplace_back(h.name, h.value);
    }
    return out;
}

const bulwark::compiled_security_header* find(const compiled_security_headers& compiled,
                                              std::string_view name) {
    for (const auto& h : compiled.headers()) {
        if (h.name == name) {
            return &h;
        }
    }
    return nullptr;
}

// The field validate() names for `config`, or "" when it is valid.
std::string rejected_field(const security_headers_config& config) {
    config_issue issue;
    const auto ec = bulwark::validate(config, &issue);
    if (!ec) {
        return {};
    }
    CHECK(ec == bulwark::error::invalid_config);
    CHECK_FALSE(issue.reason.empty());
    return std::string{issue.field};
}

template <class Mutate>
std::string rejected_field_after(Mutate mutate) {
    security_headers_config config;
    mutate(config);
    return rejected_field(config);
}

constexpr std::string_view helmet_policy =
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
    "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
    "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests";

constexpr std::string_view owasp_permissions_policy =
    "accelerometer=(), autoplay=(), camera=(), cross-origin-isolated=(), display-capture=(), "
    "encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), keyboard-map=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), "
    "publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(self), usb=(), web-share=(), "
    "xr-spatial-tracking=(), clipboard-read=(), clipboard-write=(), gamepad=(), hid=(), "
    "idle-detection=(), interest-cohort=(), serial=(), unload=()";

} // namespace

TEST_CASE("security headers: the default config compiles to helmet 8's headers exactly",
          "[security_headers]") {
    const compiled_security_headers compiled{security_headers_config{}};
    const header_list helmet{
        {"Content-Security-Policy", std::string{helmet_policy}},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Origin-Agent-Cluster", "?1"},
        {"Referrer-Policy", "no-referrer"},
        {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-DNS-Prefetch-Control", "off"},
        {"X-Download-Options", "noopen"},
        {"X-Frame-Options", "SAMEORIGIN"},
        {"X-Permitted-Cross-Domain-Policies", "none"},
        {"X-XSS-Protection", "0"},
    };
    CHECK(names_and_values(compiled) == helmet);
    CHECK_FALSE(compiled.needs_nonce());
    for (const auto& h : compiled.headers()) {
        CHECK(h.scope == header_scope::always);
        CHECK(h.nonce_offsets.empty());
    }
    CHECK(compiled.removes("X-Powered-By"));
    CHECK(compiled.removes("Server"));
}

TEST_CASE("security headers: removal matches exact names and prefixes in any case",
          "[security_headers]") {
    const compiled_security_headers compiled{security_headers_config{}};
    for (const char* name : {"Server", "server", "SERVER", "X-Powered-By", "x-powered-by",
                             "X-AspNet-Version", "X-AspNetMvc-Version", "X-B3-TraceId",
                             "x-b3-spanid", "X-Envoy-Upstream-Service-Time", "x-envoy-internal"}) {
        INFO(name);
        CHECK(compiled.removes(name));
    }
    for (const char* name : {"Content-Type", "X-Request-Id", "Servers", "Serve", "X-B3", "X-Envoy",
                             "X-Powered-By-Plesk", "Set-Cookie", ""}) {
        INFO(name);
        CHECK_FALSE(compiled.removes(name));
    }

    const compiled_security_headers none{
        security_headers_config{.remove_headers = {}, .remove_header_prefixes = {}}};
    CHECK_FALSE(none.removes("Server"));
    CHECK_FALSE(none.removes("X-B3-TraceId"));

    const compiled_security_headers custom{security_headers_config{
        .remove_headers = {"X-Internal-Host"}, .remove_header_prefixes = {"X-Debug-"}}};
    CHECK(custom.removes("x-internal-host"));
    CHECK(custom.removes("X-DEBUG-Timing"));
    CHECK_FALSE(custom.removes("Server"));
}

TEST_CASE("security headers: html_app is helmet plus a script nonce", "[security_headers]") {
    const compiled_security_headers compiled{security_headers_config::html_app()};
    const compiled_security_headers helmet{security_headers_config{}};
    CHECK(names_and_values(compiled) == names_and_values(helmet));
    CHECK(compiled.needs_nonce());
    const auto* csp = find(compiled, "Content-Security-Policy");
    REQUIRE(csp != nullptr);
    REQUIRE(csp->nonce_offsets.size() == 1);
    CHECK(csp->value.substr(0, csp->nonce_offsets[0]).ends_with(";script-src 'self'"));
}

TEST_CASE("security headers: json_api's values", "[security_headers]") {
    const compiled_security_headers compiled{security_headers_config::json_api()};
    const header_list expected{
        {"Content-Security-Policy", "default-src 'none';frame-ancestors 'none'"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Referrer-Policy", "no-referrer"},
        {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"X-Permitted-Cross-Domain-Policies", "none"},
        {"Cache-Control", "no-store"},
    };
    CHECK(names_and_values(compiled) == expected);
    CHECK(find(compiled, "Cache-Control")->scope == header_scope::always);
    CHECK(compiled.is_sensitive("/anything"));
    CHECK(compiled.removes("Server"));
}

TEST_CASE("security headers: strict follows the OWASP Secure Headers Project",
          "[security_headers]") {
    const auto config = security_headers_config::strict();
    const compiled_security_headers compiled{config};
    const header_list expected{
        {"Content-Security-Policy",
         "default-src 'self';form-action 'self';object-src 'none';frame-ancestors 'none';"
         "upgrade-insecure-requests;block-all-mixed-content"},
        {"Cross-Origin-Embedder-Policy", "require-corp"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Referrer-Policy", "no-referrer"},
        {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "deny"},
        {"X-Permitted-Cross-Domain-Policies", "none"},
        {"Permissions-Policy", std::string{owasp_permissions_policy}},
        {"Cache-Control", "no-store, max-age=0"},
    };
    CHECK(names_and_values(compiled) == expected);
    CHECK(config.remove_headers.size() == 59);
    for (const char* name : {"Server", "X-Powered-By", "X-Generator", "X-Php-Version", "SourceMap",
                             "X-SourceMap", "x-varnish-backend", "X-Nextjs-Page", "X-B3-Sampled",
                             "X-Envoy-Attempt-Count", "X-dtAgentId"}) {
        INFO(name);
        CHECK(compiled.removes(name));
    }
}

TEST_CASE("security headers: HSTS serialization", "[security_headers]") {
    CHECK(bulwark::hsts_policy{}.to_string() == "max-age=31536000; includeSubDomains");
    CHECK(bulwark::hsts_policy{.max_age = std::chrono::seconds{63'072'000}, .preload = true}
              .to_string() == "max-age=63072000; includeSubDomains; preload");
    CHECK(bulwark::hsts_policy{.max_age = std::chrono::seconds{0}, .include_subdomains = false}
              .to_string() == "max-age=0");
}

TEST_CASE("security headers: scopes for HSTS over TLS and sensitive routes", "[security_headers]") {
    const compiled_security_headers compiled{security_headers_config{
        .hsts_tls_only = true, .sensitive_routes = {"/account/{id}", "/login"}}};
    CHECK(find(compiled, "Strict-Transport-Security")->scope == header_scope::secure_only);
    const auto* cache = find(compiled, "Cache-Control");
    REQUIRE(cache != nullptr);
    CHECK(cache->value == "no-store");
    CHECK(cache->scope == header_scope::sensitive);
    CHECK(compiled.is_sensitive("/login"));
    CHECK(compiled.is_sensitive("/account/{id}"));
    CHECK_FALSE(compiled.is_sensitive("/account"));
    CHECK_FALSE(compiled.is_sensitive(""));

    // Without sensitive routes, no Cache-Control at all.
    CHECK(find(compiled_security_headers{security_headers_config{}}, "Cache-Control") == nullptr);
}

TEST_CASE("security headers: nonces are inserted at the compiled offsets", "[security_headers]") {
    auto config = security_headers_config::html_app();
    config.csp_nonce_directives = {"script-src", "style-src"};
    config.content_security_policy_report_only = bulwark::content_security_policy{
        .directives = {{"default-src", {"'self'"}}, {"script-src", {"'strict-dynamic'"}}}};
    const compiled_security_headers compiled{config};
    const auto* csp = find(compiled, "Content-Security-Policy");
    const auto* report_only = find(compiled, "Content-Security-Policy-Report-Only");
    REQUIRE(csp != nullptr);
    REQUIRE(report_only != nullptr);
    CHECK(csp->nonce_offsets.size() == 2);

    const std::string nonce = "AAAAAAAAAAAAAAAAAAAAAA==";
    std::string out(csp->size_with_nonce(nonce.size()), '?');
    CHECK(csp->write_with_nonce(nonce, out.data()) == out.size());
    CHECK(out == "default-src 'self';base-uri 'self';font-src 'self' https: data:;"
                 "form-action 'self';frame-ancestors 'self';img-src 'self' data:;"
                 "object-src 'none';script-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA==';"
                 "script-src-attr 'none';style-src 'self' https: 'unsafe-inline' "
                 "'nonce-AAAAAAAAAAAAAAAAAAAAAA==';upgrade-insecure-requests");

    std::string ro(report_only->size_with_nonce(3), '?');
    CHECK(report_only->write_with_nonce("xyz", ro.data()) == ro.size());
    CHECK(ro == "default-src 'self';script-src 'strict-dynamic' 'nonce-xyz'");
}

TEST_CASE("security headers: validation names the field", "[security_headers]") {
    CHECK(rejected_field(security_headers_config{}) == "");
    CHECK(rejected_field(security_headers_config::html_app()) == "");
    CHECK(rejected_field(security_headers_config::json_api()) == "");
    CHECK(rejected_field(security_headers_config::strict()) == "");

    // Everything off is a valid (if pointless) config.
    const security_headers_config all_off{.content_security_policy = std::nullopt,
                                          .cross_origin_opener_policy = "",
                                          .cross_origin_resource_policy = "",
                                          .origin_agent_cluster = "",
                                          .referrer_policy = "",
                                          .strict_transport_security = std::nullopt,
                                          .x_content_type_options = "",
                                          .x_dns_prefetch_control = "",
                                          .x_download_options = "",
                                          .x_frame_options = "",
                                          .x_permitted_cross_domain_policies = "",
                                          .x_xss_protection = ""};
    CHECK(rejected_field(all_off) == "");
    CHECK(compiled_security_headers{all_off}.headers().empty());

    CHECK(rejected_field_after([](auto& c) {
              c.content_security_policy->set("script-src", {"self"});
          }) == "content_security_policy.script-src");
    CHECK(rejected_field_after([](auto& c) {
              c.content_security_policy_report_only =
                  bulwark::content_security_policy{.directives = {{"script-src", {"'self'"}}}};
          }) == "content_security_policy_report_only.default-src");

    const std::string prefix = "security_headers_config.";
    CHECK(rejected_field_after([](auto& c) {
              c.x_frame_options = "ALLOW-FROM https://a.example";
          }) == prefix + "x_frame_options");
    CHECK(rejected_field_after([](auto& c) { c.x_frame_options = "deny"; }) == "");
    CHECK(rejected_field_after([](auto& c) { c.referrer_policy = "no-referer"; }) ==
          prefix + "referrer_policy");
    CHECK(rejected_field_after([](auto& c) {
              c.referrer_policy = "no-referrer, strict-origin-when-cross-origin";
          }) == "");
    CHECK(rejected_field_after([](auto& c) { c.cross_origin_embedder_policy = "require_corp"; }) ==
          prefix + "cross_origin_embedder_policy");
    CHECK(rejected_field_after([](auto& c) {
              c.cross_origin_embedder_policy = "credentialless; report-to=\"coep\"";
          }) == "");
    CHECK(rejected_field_after([](auto& c) { c.cross_origin_opener_policy = "same-site"; }) ==
          prefix + "cross_origin_opener_policy");
    CHECK(rejected_field_after([](auto& c) { c.cross_origin_resource_policy = "same-host"; }) ==
          prefix + "cross_origin_resource_policy");
    CHECK(rejected_field_after([](auto& c) { c.origin_agent_cluster = "1"; }) ==
          prefix + "origin_agent_cluster");
    CHECK(rejected_field_after([](auto& c) { c.x_content_type_options = "sniff"; }) ==
          prefix + "x_content_type_options");
    CHECK(rejected_field_after([](auto& c) { c.x_dns_prefetch_control = "no"; }) ==
          prefix + "x_dns_prefetch_control");
    CHECK(rejected_field_after([](auto& c) { c.x_download_options = "open"; }) ==
          prefix + "x_download_options");
    CHECK(rejected_field_after([](auto& c) { c.x_permitted_cross_domain_policies = "any"; }) ==
          prefix + "x_permitted_cross_domain_policies");
    CHECK(rejected_field_after([](auto& c) { c.x_xss_protection = "1; mode=allow"; }) ==
          prefix + "x_xss_protection");
    // A CR/LF in a value would inject a header.
    CHECK(rejected_field_after([](auto& c) { c.referrer_policy = "no-referrer\r\nX-Evil: 1"; }) ==
          prefix + "referrer_policy");
    CHECK(rejected_field_after([](auto& c) { c.cache_control = " no-store"; }) ==
          prefix + "cache_control");
    CHECK(rejected_field_after([](auto& c) {
              c.cache_control = "";
              c.sensitive_routes = {"/a"};
          }) == prefix + "cache_control");
    CHECK(rejected_field_after([](auto& c) { c.sensitive_routes = {""}; }) ==
          prefix + "sensitive_routes");
}

TEST_CASE("security headers: Permissions-Policy is validated lightly", "[security_headers]") {
    const auto check = [](std::string value) {
        return rejected_field_after([&](auto& c) { c.permissions_policy = value; });
    };
    CHECK(check(std::string{owasp_permissions_policy}) == "");
    CHECK(check("geolocation=(self \"https://maps.example.com\"), camera=*") == "");
    CHECK(check("fullscreen=self;report-to=pp") == "");
    const std::string field = "security_headers_config.permissions_policy";
    CHECK(check("camera") == field);
    CHECK(check("camera=()") == "");
    CHECK(check("camera=none") == field);
    CHECK(check("Camera=()") == field);
    CHECK(check("camera=(self") == field);
    CHECK(check("camera=(https://a.example)") == field);
    CHECK(check("camera=(), ") == field);
}

TEST_CASE("security headers: HSTS, nonce directives and lists are validated",
          "[security_headers]") {
    const std::string prefix = "security_headers_config.";
    CHECK(rejected_field_after([](auto& c) {
              c.strict_transport_security->max_age = std::chrono::seconds{-1};
          }) == prefix + "strict_transport_security.max_age");
    CHECK(rejected_field_after([](auto& c) {
              c.strict_transport_security->preload = true;
              c.strict_transport_security->include_subdomains = false;
          }) == prefix + "strict_transport_security.preload");
    CHECK(rejected_field_after([](auto& c) {
              c.strict_transport_security->preload = true;
              c.strict_transport_security->max_age = std::chrono::seconds{86400};
          }) == prefix + "strict_transport_security.preload");
    CHECK(rejected_field_after([](auto& c) { c.strict_transport_security->preload = true; }) == "");

    const std::string nonces = prefix + "csp_nonce_directives";
    CHECK(rejected_field_after([](auto& c) { c.csp_nonce_directives = {"img-src"}; }) == nonces);
    CHECK(rejected_field_after([](auto& c) { c.csp_nonce_directives = {"script-src-elem"}; }) ==
          nonces); // not in the policy: adding it would drop the default-src fallback
    CHECK(rejected_field_after([](auto& c) {
              c.csp_nonce_directives = {"script-src", "script-src"};
          }) == nonces);
    CHECK(rejected_field_after([](auto& c) {
              c.content_security_policy->set("script-src", {"'none'"});
              c.csp_nonce_directives = {"script-src"};
          }) == nonces);
    CHECK(rejected_field_after([](auto& c) {
              c.content_security_policy = std::nullopt;
              c.csp_nonce_directives = {"script-src"};
          }) == nonces);
    CHECK(rejected_field_after([](auto& c) {
              c.content_security_policy->remove("script-src");
              c.content_security_policy_report_only = bulwark::content_security_policy{
                  .directives = {{"default-src", {"'self'"}}, {"script-src", {"'self'"}}}};
              c.csp_nonce_directives = {"script-src"};
          }) == ""); // present in the report-only policy is enough

    const std::string extra = prefix + "additional_headers";
    CHECK(rejected_field_after([](auto& c) {
              c.additional_headers = {{"Reporting-Endpoints", "csp=\"https://r.example/csp\""}};
          }) == "");
    CHECK(rejected_field_after([](auto& c) {
              c.additional_headers = {{"x-frame-options", "DENY"}};
          }) == extra);
    CHECK(rejected_field_after([](auto& c) {
              c.additional_headers = {{"Bad Name", "1"}};
          }) == extra);
    CHECK(rejected_field_after([](auto& c) { c.additional_headers = {{"X-A", ""}}; }) == extra);
    CHECK(rejected_field_after([](auto& c) { c.additional_headers = {{"X-A", "1\n"}}; }) == extra);
    CHECK(rejected_field_after([](auto& c) {
              c.additional_headers = {{"X-A", "1"}, {"x-a", "2"}};
          }) == extra);
    CHECK(rejected_field_after([](auto& c) {
              c.additional_headers.assign(33, {"X-A", "1"});
          }) == extra);

    CHECK(rejected_field_after([](auto& c) { c.remove_headers = {"X Powered By"}; }) ==
          prefix + "remove_headers");
    CHECK(rejected_field_after([](auto& c) { c.remove_headers = {""}; }) ==
          prefix + "remove_headers");
    CHECK(rejected_field_after([](auto& c) { c.remove_headers = {std::string(129, 'x')}; }) ==
          prefix + "remove_headers");
    CHECK(rejected_field_after([](auto& c) { c.remove_header_prefixes = {""}; }) ==
          prefix + "remove_header_prefixes");
}

TEST_CASE("security headers: compiling an invalid config throws naming the field",
          "[security_headers]") {
    security_headers_config config;
    config.x_frame_options = "ALLOWALL";
    try {
        const compiled_security_headers compiled{config};
        FAIL("no exception");
    } catch (const std::system_error& e) {
        CHECK(e.code() == bulwark::error::invalid_config);
        CHECK(std::string{e.what()}.find("security_headers_config.x_frame_options") !=
              std::string::npos);
    }

    config = {};
    config.content_security_policy->append("script-src", "unsafe-inline");
    CHECK_THROWS_WITH(compiled_security_headers{config},
                      Catch::Contains("content_security_policy.script-src"));
}
