#include <bulwark/core/security_headers/content_security_policy.hpp>

#include <algorithm>
#include <array>

namespace bulwark {
namespace {

// What a directive's values are, which decides how they are checked.
enum class value_kind : unsigned char {
    source_list,   // fetch directives, base-uri, form-action, frame-ancestors
    no_value,      // upgrade-insecure-requests, block-all-mixed-content
    sandbox,       // zero or more allow-* flags
    uri_list,      // report-uri: one or more URI references
    single_token,  // report-to: one endpoint name
    trusted_types, // policy names, '*', 'none', 'allow-duplicates'
    script_only,   // require-trusted-types-for: exactly 'script'
    allow_block,   // webrtc: exactly 'allow' or 'block'
    unknown,       // a name outside the list, admitted by allow_unknown_directives
};

struct directive_info {
    std::string_view name;
    value_kind kind;
    // The issue fields, spelled out so they are static strings.
    std::string_view field;
    std::string_view report_only_field;
};

#define BULWARK_CSP_DIRECTIVE(name, kind)                                                          \
    directive_info {                                                                               \
        name, value_kind::kind, "content_security_policy." name,                                   \
            "content_security_policy_report_only." name                                            \
    }

// CSP Level 3 (W3C Working Draft) directives, plus the two that browsers still honour outside
// it (block-all-mixed-content, deprecated but in OWASP's recommended policy) and the Trusted
// Types and Fenced Frames ones. Removed ones (plugin-types, navigate-to, prefetch-src) are
// left out: browsers ignore them, so sending one is a mistake worth reporting.
constexpr std::array known_directives{
    BULWARK_CSP_DIRECTIVE("base-uri", source_list),
    BULWARK_CSP_DIRECTIVE("block-all-mixed-content", no_value),
    BULWARK_CSP_DIRECTIVE("child-src", source_list),
    BULWARK_CSP_DIRECTIVE("connect-src", source_list),
    BULWARK_CSP_DIRECTIVE("default-src", source_list),
    BULWARK_CSP_DIRECTIVE("fenced-frame-src", source_list),
    BULWARK_CSP_DIRECTIVE("font-src", source_list),
    BULWARK_CSP_DIRECTIVE("form-action", source_list),
    BULWARK_CSP_DIRECTIVE("frame-ancestors", source_list),
    BULWARK_CSP_DIRECTIVE("frame-src", source_list),
    BULWARK_CSP_DIRECTIVE("img-src", source_list),
    BULWARK_CSP_DIRECTIVE("manifest-src", source_list),
    BULWARK_CSP_DIRECTIVE("media-src", source_list),
    BULWARK_CSP_DIRECTIVE("object-src", source_list),
    BULWARK_CSP_DIRECTIVE("report-to", single_token),
    BULWARK_CSP_DIRECTIVE("report-uri", uri_list),
    BULWARK_CSP_DIRECTIVE("require-trusted-types-for", script_only),
    BULWARK_CSP_DIRECTIVE("sandbox", sandbox),
    BULWARK_CSP_DIRECTIVE("script-src", source_list),
    BULWARK_CSP_DIRECTIVE("script-src-attr", source_list),
    BULWARK_CSP_DIRECTIVE("script-src-elem", source_list),
    BULWARK_CSP_DIRECTIVE("style-src", source_list),
    BULWARK_CSP_DIRECTIVE("style-src-attr", source_list),
    BULWARK_CSP_DIRECTIVE("style-src-elem", source_list),
    BULWARK_CSP_DIRECTIVE("trusted-types", trusted_types),
    BULWARK_CSP_DIRECTIVE("upgrade-insecure-requests", no_value),
    BULWARK_CSP_DIRECTIVE("webrtc", allow_block),
    BULWARK_CSP_DIRECTIVE("worker-src", source_list),
};

#undef BULWARK_CSP_DIRECTIVE

const directive_info* lookup(std::string_view name) noexcept {
    for (const auto& d : known_directives) {
        if (d.name == name) {
            return &d;
        }
    }
    return nullptr;
}

// Sorted; csp_keywords() exposes it.
constexpr std::array<std::string_view, 9> keyword_list{
    "inline-speculation-rules", "none",        "report-sample", "self",
    "strict-dynamic",           "unsafe-eval", "unsafe-hashes", "unsafe-inline",
    "wasm-unsafe-eval",
};

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

bool is_keyword_ci(std::string_view word) noexcept {
    return std::any_of(keyword_list.begin(), keyword_list.end(),
                       [&](std::string_view k) { return iequals_ascii(k, word); });
}

bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// directive-name = 1*( ALPHA / DIGIT / "-" ); bulwark asks for lower case (names are
// case-insensitive, and one spelling keeps duplicate detection exact), a letter first and no
// '-' last, as helmet does.
bool is_directive_name(std::string_view name) noexcept {
    if (name.empty() || !(name.front() >= 'a' && name.front() <= 'z') || name.back() == '-') {
        return false;
    }
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; });
}

// base64-value = 1*( ALPHA / DIGIT / "+" / "/" / "-" / "_" ) *2( "=" )
bool is_base64_value(std::string_view v) noexcept {
    std::size_t end = v.size();
    std::size_t padding = 0;
    while (end > 0 && v[end - 1] == '=' && padding < 2) {
        --end;
        ++padding;
    }
    if (end == 0) {
        return false;
    }
    return std::all_of(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(end), [](char c) {
        return is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '-' || c == '_';
    });
}

bool starts_with_nonce_or_hash(std::string_view v) noexcept {
    const auto prefixed = [&](std::string_view p) {
        return v.size() >= p.size() && iequals_ascii(v.substr(0, p.size()), p);
    };
    return prefixed("nonce-") || prefixed("sha256-") || prefixed("sha384-") || prefixed("sha512-");
}

// What every value must satisfy, whatever the directive: visible ASCII without ';' (which would
// end the directive) or ',' (which would start a second policy), so one value can never change
// the structure of the header.
bool is_clean_value(std::string_view v) noexcept {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
        return c > 0x20 && c < 0x7f && c != ';' && c != ',';
    });
}

// The inside of a quoted source expression: a keyword, a nonce or a hash.
// Keywords and the nonce- / sha*- prefixes are ASCII case-insensitive in CSP.
bool is_quoted_source(std::string_view inner) noexcept {
    if (is_keyword_ci(inner)) {
        return true;
    }
    for (const std::string_view prefix : {"nonce-", "sha256-", "sha384-", "sha512-"}) {
        if (inner.size() > prefix.size() && iequals_ascii(inner.substr(0, prefix.size()), prefix)) {
            return is_base64_value(inner.substr(prefix.size()));
        }
    }
    return false;
}

struct checker {
    const directive_info* info; // null for an unknown directive
    bool report_only;
    config_issue* issue;

    std::error_code fail(std::string_view reason) const noexcept {
        const std::string_view field =
            info == nullptr ? (report_only ? "content_security_policy_report_only.directives"
                                           : "content_security_policy.directives")
                            : (report_only ? info->report_only_field : info->field);
        return invalid_config(issue, field, reason);
    }

    std::error_code source_list(const std::vector<std::string>& values) const noexcept {
        if (values.empty()) {
            return fail("needs at least one source expression ('none' to allow nothing)");
        }
        bool has_none = false;
        for (const auto& v : values) {
            if (v.front() == '\'') {
                if (v.size() < 3 || v.back() != '\'' ||
                    !is_quoted_source(std::string_view{v}.substr(1, v.size() - 2))) {
                    return fail("a quoted source must be a keyword ('self', 'none', "
                                "'unsafe-inline', 'unsafe-eval', 'strict-dynamic', "
                                "'unsafe-hashes', 'report-sample', 'wasm-unsafe-eval', "
                                "'inline-speculation-rules'), 'nonce-<base64>' or "
                                "'sha256|384|512-<base64>'");
                }
                has_none = has_none || iequals_ascii(v, "'none'");
                continue;
            }
            if (is_keyword_ci(v)) {
                return fail("keywords must be single-quoted: 'self', not self (unquoted, it is "
                            "a host name)");
            }
            if (starts_with_nonce_or_hash(v)) {
                return fail("nonce and hash sources must be single-quoted: 'nonce-...', "
                            "'sha256-...'");
            }
            if (v.find('\'') != std::string::npos) {
                return fail("a quote may only enclose a whole keyword, nonce or hash");
            }
        }
        if (has_none && values.size() > 1) {
            return fail("'none' cannot be combined with other sources");
        }
        return {};
    }

    std::error_code operator()(const std::vector<std::string>& values) const noexcept {
        for (const auto& v : values) {
            if (!is_clean_value(v)) {
                return fail("values must be non-empty and must not contain ';', ',', "
                            "whitespace, control or non-ASCII characters");
            }
        }
        if (info == nullptr) {
            return {};
        }
        switch (info->kind) {
        case value_kind::source_list: return source_list(values);
        case value_kind::no_value:
            return values.empty() ? std::error_code{} : fail("takes no value");
        case value_kind::sandbox:
            for (const auto& v : values) {
                if (!v.starts_with("allow-") || !is_directive_name(v)) {
                    return fail("values are sandbox flags such as allow-scripts, allow-forms");
                }
            }
            return {};
        case value_kind::uri_list:
            if (values.empty()) {
                return fail("needs at least one URI");
            }
            for (const auto& v : values) {
                if (v.find('\'') != std::string::npos) {
                    return fail("values are URIs, not quoted expressions");
                }
            }
            return {};
        case value_kind::single_token:
            if (values.size() != 1 || values.front().find('\'') != std::string::npos) {
                return fail("takes exactly one endpoint name (a Reporting-Endpoints key)");
            }
            return {};
        case value_kind::trusted_types:
            for (const auto& v : values) {
                const bool quoted_ok = v == "'none'" || v == "'allow-duplicates'";
                if (!quoted_ok && v.find('\'') != std::string::npos) {
                    return fail("values are policy names, '*', 'none' or 'allow-duplicates'");
                }
            }
            return {};
        case value_kind::script_only:
            return values.size() == 1 && values.front() == "'script'"
                       ? std::error_code{}
                       : fail("takes exactly 'script'");
        case value_kind::allow_block:
            return values.size() == 1 &&
                           (values.front() == "'allow'" || values.front() == "'block'")
                       ? std::error_code{}
                       : fail("takes exactly 'allow' or 'block'");
        case value_kind::unknown: return {};
        }
        return {};
    }
};

} // namespace

content_security_policy content_security_policy::helmet_defaults() {
    return {.directives = {
                {"default-src", {"'self'"}},
                {"base-uri", {"'self'"}},
                {"font-src", {"'self'", "https:", "data:"}},
                {"form-action", {"'self'"}},
                {"frame-ancestors", {"'self'"}},
                {"img-src", {"'self'", "data:"}},
                {"object-src", {"'none'"}},
                {"script-src", {"'self'"}},
                {"script-src-attr", {"'none'"}},
                {"style-src", {"'self'", "https:", "'unsafe-inline'"}},
                {"upgrade-insecure-requests", {}},
            }};
}

content_security_policy& content_security_policy::set(std::string_view name,
                                                      std::vector<std::string> values) {
    for (auto& d : directives) {
        if (d.name == name) {
            d.values = std::move(values);
            return *this;
        }
    }
    directives.push_back({std::string{name}, std::move(values)});
    return *this;
}

content_security_policy& content_security_policy::append(std::string_view name,
                                                         std::string_view value) {
    for (auto& d : directives) {
        if (d.name == name) {
            if (d.values.size() == 1 && d.values.front() == "'none'") {
                d.values.clear();
            }
            d.values.emplace_back(value);
            return *this;
        }
    }
    directives.push_back({std::string{name}, {std::string{value}}});
    return *this;
}

content_security_policy& content_security_policy::remove(std::string_view name) noexcept {
    std::erase_if(directives, [&](const csp_directive& d) { return d.name == name; });
    return *this;
}

const csp_directive* content_security_policy::find(std::string_view name) const noexcept {
    for (const auto& d : directives) {
        if (d.name == name) {
            return &d;
        }
    }
    return nullptr;
}

std::string content_security_policy::to_string() const {
    return detail::serialize_csp(*this, {}, nullptr);
}

std::error_code validate(const content_security_policy& policy, config_issue* issue) noexcept {
    return detail::validate_csp(policy, false, issue);
}

const std::vector<std::string_view>& csp_keywords() {
    static const std::vector<std::string_view> keywords{keyword_list.begin(), keyword_list.end()};
    return keywords;
}

namespace detail {

std::error_code validate_csp(const content_security_policy& policy, bool report_only,
                             config_issue* issue) noexcept {
    const checker whole{nullptr, report_only, issue};
    if (policy.directives.empty()) {
        return whole.fail("a policy needs at least one directive");
    }
    for (std::size_t i = 0; i < policy.directives.size(); ++i) {
        const auto& d = policy.directives[i];
        if (!is_directive_name(d.name)) {
            return whole.fail("directive names are lower-case letters, digits and '-'");
        }
        const directive_info* info = lookup(d.name);
        if (info == nullptr && !policy.allow_unknown_directives) {
            return whole.fail("unknown directive name (browsers ignore it; set "
                              "allow_unknown_directives to send it anyway)");
        }
        const checker check{info, report_only, issue};
        for (std::size_t j = 0; j < i; ++j) {
            if (policy.directives[j].name == d.name) {
                return check.fail("duplicate directive (browsers use the first and ignore the "
                                  "rest)");
            }
        }
        if (const auto ec = check(d.values)) {
            return ec;
        }
    }
    if (!policy.allow_missing_default_src && policy.find("default-src") == nullptr) {
        return invalid_config(issue,
                              report_only ? "content_security_policy_report_only.default-src"
                                          : "content_security_policy.default-src",
                              "is required (set allow_missing_default_src to omit it)");
    }
    return {};
}

std::string serialize_csp(const content_security_policy& policy,
                          const std::vector<std::string>& slot_directives,
                          std::vector<std::size_t>* slot_offsets) {
    std::string out;
    for (const auto& d : policy.directives) {
        if (!out.empty()) {
            out += ';';
        }
        out += d.name;
        for (const auto& v : d.values) {
            out += ' ';
            out += v;
        }
        if (slot_offsets != nullptr && std::find(slot_directives.begin(), slot_directives.end(),
                                                 d.name) != slot_directives.end()) {
            slot_offsets->push_back(out.size());
        }
    }
    return out;
}

bool csp_accepts_nonce(std::string_view name) noexcept {
    return name == "default-src" || name == "script-src" || name == "script-src-elem" ||
           name == "style-src" || name == "style-src-elem";
}

} // namespace detail

} // namespace bulwark
