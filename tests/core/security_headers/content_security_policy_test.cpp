#include <bulwark/core/security_headers/content_security_policy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

using bulwark::config_issue;
using bulwark::content_security_policy;
using bulwark::csp_directive;

namespace {

// The policy helmet 8 sends by default, as helmet serializes it.
constexpr std::string_view helmet_policy =
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
    "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
    "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests";

// A policy with default-src plus one directive under test.
content_security_policy with(std::string name, std::vector<std::string> values) {
    return {.directives = {{"default-src", {"'self'"}}, {std::move(name), std::move(values)}}};
}

// The field validate() names for `policy`, or "" when it is valid.
std::string rejected_field(const content_security_policy& policy) {
    config_issue issue;
    const auto ec = bulwark::validate(policy, &issue);
    if (!ec) {
        return {};
    }
    CHECK(ec == bulwark::error::invalid_config);
    CHECK_FALSE(issue.reason.empty());
    return std::string{issue.field};
}

} // namespace

TEST_CASE("csp: helmet's defaults serialize exactly as helmet sends them", "[csp]") {
    const auto policy = content_security_policy::helmet_defaults();
    CHECK(policy.to_string() == helmet_policy);
    CHECK_FALSE(bulwark::validate(policy));
}

TEST_CASE("csp: serialization joins directives with ';' and values with one space", "[csp]") {
    const content_security_policy policy{.directives = {{"default-src", {"'none'"}},
                                                        {"img-src", {"'self'", "https:"}},
                                                        {"upgrade-insecure-requests", {}},
                                                        {"report-to", {"csp"}}}};
    CHECK(policy.to_string() ==
          "default-src 'none';img-src 'self' https:;upgrade-insecure-requests;report-to csp");
}

TEST_CASE("csp: valid policies are accepted", "[csp]") {
    CHECK(rejected_field(with("script-src", {"'self'", "'nonce-r4nd0m+/_-=='",
                                             "'sha256-abcDEF0123+/='", "'strict-dynamic'",
                                             "https://cdn.example.com", "*.example.org:443"})) ==
          "");
    CHECK(rejected_field(with("script-src", {"'SELF'", "'Nonce-abc'"})) ==
          ""); // keywords: any case
    CHECK(rejected_field(with("img-src", {"*", "data:", "blob:", "https://x.example/a/b"})) == "");
    CHECK(rejected_field(with("object-src", {"'none'"})) == "");
    CHECK(rejected_field(with("style-src", {"'self'", "'unsafe-inline'", "'report-sample'"})) ==
          "");
    CHECK(rejected_field(with("script-src", {"'wasm-unsafe-eval'", "'unsafe-hashes'",
                                             "'inline-speculation-rules'", "'unsafe-eval'"})) ==
          "");
    CHECK(rejected_field(with("sandbox", {})) == "");
    CHECK(rejected_field(with("sandbox", {"allow-scripts", "allow-forms"})) == "");
    CHECK(rejected_field(with("report-uri", {"/csp-reports", "https://r.example/csp"})) == "");
    CHECK(rejected_field(with("report-to", {"csp-endpoint"})) == "");
    CHECK(rejected_field(with("require-trusted-types-for", {"'script'"})) == "");
    CHECK(rejected_field(with("trusted-types", {"my-policy", "'allow-duplicates'"})) == "");
    CHECK(rejected_field(with("webrtc", {"'block'"})) == "");
    CHECK(rejected_field(with("block-all-mixed-content", {})) == "");
    CHECK(rejected_field(with("frame-ancestors", {"'self'", "https://partner.example"})) == "");
}

TEST_CASE("csp: keywords must be single-quoted; the error names the directive", "[csp]") {
    CHECK(rejected_field(with("script-src", {"self"})) == "content_security_policy.script-src");
    CHECK(rejected_field(with("object-src", {"none"})) == "content_security_policy.object-src");
    CHECK(rejected_field(with("style-src", {"unsafe-inline"})) ==
          "content_security_policy.style-src");
    CHECK(rejected_field(with("script-src", {"'self'", "strict-dynamic"})) ==
          "content_security_policy.script-src");
    CHECK(rejected_field(with("script-src", {"SELF"})) == "content_security_policy.script-src");
    // helmet's rule too: an unquoted nonce or hash is a host name to the browser.
    CHECK(rejected_field(with("script-src", {"nonce-abc"})) ==
          "content_security_policy.script-src");
    CHECK(rejected_field(with("script-src", {"sha256-abc="})) ==
          "content_security_policy.script-src");
    // default-src itself is checked like the others.
    CHECK(rejected_field({.directives = {{"default-src", {"self"}}}}) ==
          "content_security_policy.default-src");
}

TEST_CASE("csp: malformed quoted sources are rejected", "[csp]") {
    CHECK(rejected_field(with("script-src", {"'selff'"})) == "content_security_policy.script-src");
    CHECK(rejected_field(with("script-src", {"'self"})) == "content_security_policy.script-src");
    CHECK(rejected_field(with("script-src", {"''"})) == "content_security_policy.script-src");
    CHECK(rejected_field(with("script-src", {"'nonce-'"})) == "content_security_policy.script-src");
    CHECK(rejected_field(with("script-src", {"'nonce-a*b'"})) ==
          "content_security_policy.script-src");
    CHECK(rejected_field(with("script-src", {"'sha1-abc'"})) ==
          "content_security_policy.script-src");
    CHECK(rejected_field(with("script-src", {"cdn.example.com'"})) ==
          "content_security_policy.script-src");
}

TEST_CASE("csp: 'none' cannot be combined with other sources", "[csp]") {
    CHECK(rejected_field(with("object-src", {"'none'", "'self'"})) ==
          "content_security_policy.object-src");
    CHECK(rejected_field(with("img-src", {"https:", "'none'"})) ==
          "content_security_policy.img-src");
    CHECK(rejected_field({.directives = {{"default-src", {"'none'", "'self'"}}}}) ==
          "content_security_policy.default-src");
}

TEST_CASE("csp: values cannot change the header's structure", "[csp]") {
    // ';' would end the directive, ',' would start a second policy.
    CHECK(rejected_field(with("img-src", {"'self'; script-src *"})) ==
          "content_security_policy.img-src");
    CHECK(rejected_field(with("img-src", {"a.example,b.example"})) ==
          "content_security_policy.img-src");
    CHECK(rejected_field(with("img-src", {"a.example b.example"})) ==
          "content_security_policy.img-src");
    CHECK(rejected_field(with("img-src", {"a.example\r\nSet-Cookie: x=1"})) ==
          "content_security_policy.img-src");
    CHECK(rejected_field(with("img-src", {"a.example\t"})) == "content_security_policy.img-src");
    CHECK(rejected_field(with("img-src", {std::string{"a\0b", 3}})) ==
          "content_security_policy.img-src");
    CHECK(rejected_field(with("img-src", {"b\xC3\xBC"
                                          "cher.example"})) == "content_security_policy.img-src");
    CHECK(rejected_field(with("img-src", {""})) == "content_security_policy.img-src");
    CHECK(rejected_field(with("report-uri", {"/r;x"})) == "content_security_policy.report-uri");
}

TEST_CASE("csp: each directive's value shape is checked", "[csp]") {
    CHECK(rejected_field(with("img-src", {})) == "content_security_policy.img-src");
    CHECK(rejected_field(with("upgrade-insecure-requests", {"yes"})) ==
          "content_security_policy.upgrade-insecure-requests");
    CHECK(rejected_field(with("report-to", {})) == "content_security_policy.report-to");
    CHECK(rejected_field(with("report-to", {"a", "b"})) == "content_security_policy.report-to");
    CHECK(rejected_field(with("report-uri", {})) == "content_security_policy.report-uri");
    CHECK(rejected_field(with("sandbox", {"scripts"})) == "content_security_policy.sandbox");
    CHECK(rejected_field(with("require-trusted-types-for", {"script"})) ==
          "content_security_policy.require-trusted-types-for");
    CHECK(rejected_field(with("webrtc", {"'maybe'"})) == "content_security_policy.webrtc");
    CHECK(rejected_field(with("trusted-types", {"'self'"})) ==
          "content_security_policy.trusted-types");
}

TEST_CASE("csp: directive names are checked against CSP Level 3", "[csp]") {
    CHECK(rejected_field(with("scirpt-src", {"'self'"})) == "content_security_policy.directives");
    CHECK(rejected_field(with("script_src", {"'self'"})) == "content_security_policy.directives");
    CHECK(rejected_field(with("Script-Src", {"'self'"})) == "content_security_policy.directives");
    CHECK(rejected_field(with("", {"'self'"})) == "content_security_policy.directives");
    CHECK(rejected_field(with("script-src-", {"'self'"})) == "content_security_policy.directives");
    CHECK(rejected_field(with("plugin-types", {"application/pdf"})) ==
          "content_security_policy.directives");

    // A directive newer than the list: admitted on request, its values still checked for
    // structure-breaking characters.
    auto newer = with("future-src", {"'self'"});
    newer.allow_unknown_directives = true;
    CHECK(rejected_field(newer) == "");
    newer.directives.back().values = {"a;b"};
    CHECK(rejected_field(newer) == "content_security_policy.directives");
    newer.directives.back().name = "Future-src";
    newer.directives.back().values = {"'self'"};
    CHECK(rejected_field(newer) == "content_security_policy.directives");
}

TEST_CASE("csp: duplicates, an empty policy and a missing default-src are rejected", "[csp]") {
    content_security_policy twice{.directives = {{"default-src", {"'self'"}},
                                                 {"script-src", {"'self'"}},
                                                 {"script-src", {"https:"}}}};
    CHECK(rejected_field(twice) == "content_security_policy.script-src");

    CHECK(rejected_field({}) == "content_security_policy.directives");

    content_security_policy no_default{.directives = {{"script-src", {"'self'"}}}};
    CHECK(rejected_field(no_default) == "content_security_policy.default-src");
    no_default.allow_missing_default_src = true;
    CHECK(rejected_field(no_default) == "");
}

TEST_CASE("csp: the report-only policy's issues carry its own prefix", "[csp]") {
    config_issue issue;
    CHECK(bulwark::detail::validate_csp(with("script-src", {"self"}), true, &issue));
    CHECK(issue.field == "content_security_policy_report_only.script-src");
    CHECK(bulwark::detail::validate_csp({.directives = {{"img-src", {"*"}}}}, true, &issue));
    CHECK(issue.field == "content_security_policy_report_only.default-src");
    CHECK(bulwark::detail::validate_csp(with("nope-src", {"*"}), true, &issue));
    CHECK(issue.field == "content_security_policy_report_only.directives");
}

TEST_CASE("csp: set replaces in place, append extends, remove drops", "[csp]") {
    auto policy = content_security_policy::helmet_defaults();
    policy.set("script-src", {"'self'", "https://cdn.example.com"});
    CHECK(policy.directives[7].name == "script-src");
    CHECK(policy.directives[7].values ==
          std::vector<std::string>{"'self'", "https://cdn.example.com"});

    policy.append("img-src", "https://img.example.com");
    CHECK(policy.find("img-src")->values ==
          std::vector<std::string>{"'self'", "data:", "https://img.example.com"});

    // Allowing a source where there was 'none' means allowing just that source.
    policy.append("object-src", "https://plugins.example.com");
    CHECK(policy.find("object-src")->values ==
          std::vector<std::string>{"https://plugins.example.com"});

    policy.append("report-to", "csp");
    CHECK(policy.directives.back().name == "report-to");
    policy.set("worker-src", {"'self'"});
    CHECK(policy.directives.back().name == "worker-src");

    policy.remove("upgrade-insecure-requests").remove("not-there");
    CHECK(policy.find("upgrade-insecure-requests") == nullptr);
    CHECK(policy.find("base-uri") != nullptr);
    CHECK_FALSE(bulwark::validate(policy));
    CHECK(policy.to_string().find(";report-to csp;worker-src 'self'") != std::string::npos);
}

TEST_CASE("csp: nonce slots sit at the end of the named directives", "[csp]") {
    const auto policy = content_security_policy::helmet_defaults();
    std::vector<std::size_t> offsets;
    const auto text =
        bulwark::detail::serialize_csp(policy, {"style-src", "script-src", "worker-src"}, &offsets);
    CHECK(text == helmet_policy);
    REQUIRE(offsets.size() == 2); // worker-src is not in the policy
    CHECK(text.substr(0, offsets[0]).ends_with(";script-src 'self'"));
    CHECK(text.substr(0, offsets[1]).ends_with(";style-src 'self' https: 'unsafe-inline'"));
    CHECK(offsets[0] < offsets[1]);
}

TEST_CASE("csp: the keyword list", "[csp]") {
    const auto& keywords = bulwark::csp_keywords();
    CHECK(keywords.size() == 9);
    CHECK(std::is_sorted(keywords.begin(), keywords.end()));
    CHECK(std::find(keywords.begin(), keywords.end(), "strict-dynamic") != keywords.end());
    CHECK(bulwark::detail::csp_accepts_nonce("script-src"));
    CHECK(bulwark::detail::csp_accepts_nonce("style-src-elem"));
    CHECK_FALSE(bulwark::detail::csp_accepts_nonce("script-src-attr"));
    CHECK_FALSE(bulwark::detail::csp_accepts_nonce("img-src"));
}

TEST_CASE("csp: a mistake is reported with the directive it is in", "[csp]") {
    //! [validation]
    auto policy = bulwark::content_security_policy::helmet_defaults();
    policy.set("script-src", {"self", "https://cdn.example.com"}); // unquoted: a host "self"

    bulwark::config_issue issue;
    const std::error_code ec = bulwark::validate(policy, &issue);
    // ec == bulwark::error::invalid_config
    // issue.field == "content_security_policy.script-src"
    // issue.reason == "keywords must be single-quoted: 'self', not self (...)"
    //! [validation]
    CHECK(ec == bulwark::error::invalid_config);
    CHECK(issue.field == "content_security_policy.script-src");
    CHECK(issue.reason ==
          "keywords must be single-quoted: 'self', not self (unquoted, it is a host name)");
}
