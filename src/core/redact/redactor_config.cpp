#include <bulwark/core/redact/detector.hpp>
#include <bulwark/core/redact/keyed_hash.hpp>
#include <bulwark/core/redact/redactor_config.hpp>

#include <algorithm>
#include <array>

namespace bulwark {

keyed_hash::~keyed_hash() = default;

namespace {

constexpr std::array<std::string_view, builtin_detector_count> detector_names = {
    "email", "card",   "iban",  "phone",   "ipv4",   "ipv6",
    "jwt",   "bearer", "basic", "aws_key", "secret", "ssn",
};

constexpr std::array<std::string_view, 4> mode_names = {"off", "mask", "partial", "pseudonymize"};

bool key_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

bool valid_key_name(std::string_view k) noexcept {
    if (k.empty() || k.size() > 64 || !std::all_of(k.begin(), k.end(), key_name_char)) {
        return false;
    }
    // Something must remain once the separators are dropped.
    return std::any_of(k.begin(), k.end(), [](char c) { return c != '_' && c != '-' && c != '.'; });
}

bool valid_custom_name(std::string_view n) noexcept {
    return !n.empty() && n.size() <= 32 && std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

} // namespace

std::string_view to_string(detector d) noexcept {
    const auto i = static_cast<std::size_t>(d);
    return i < detector_names.size() ? detector_names[i] : std::string_view{};
}

std::optional<detector> detector_from_string(std::string_view name) noexcept {
    for (std::size_t i = 0; i < detector_names.size(); ++i) {
        if (detector_names[i] == name) {
            return static_cast<detector>(i);
        }
    }
    return std::nullopt;
}

std::string_view to_string(redact_mode m) noexcept {
    const auto i = static_cast<std::size_t>(m);
    return i < mode_names.size() ? mode_names[i] : std::string_view{};
}

std::optional<redact_mode> redact_mode_from_string(std::string_view name) noexcept {
    for (std::size_t i = 0; i < mode_names.size(); ++i) {
        if (mode_names[i] == name) {
            return static_cast<redact_mode>(i);
        }
    }
    return std::nullopt;
}

redact_mode& detector_modes::operator[](detector d) noexcept {
    switch (d) {
    case detector::email: return email;
    case detector::card: return card;
    case detector::iban: return iban;
    case detector::phone: return phone;
    case detector::ipv4: return ipv4;
    case detector::ipv6: return ipv6;
    case detector::jwt: return jwt;
    case detector::bearer: return bearer;
    case detector::basic: return basic;
    case detector::aws_key: return aws_key;
    case detector::secret: return secret;
    case detector::ssn: break;
    }
    return ssn;
}

redact_mode detector_modes::operator[](detector d) const noexcept {
    return const_cast<detector_modes&>(*this)[d];
}

detector_modes detector_modes::all(redact_mode m) noexcept {
    detector_modes out;
    for (std::size_t i = 0; i < builtin_detector_count; ++i) {
        out[static_cast<detector>(i)] = m;
    }
    return out;
}

std::error_code validate(const redactor_config& c, config_issue* issue) noexcept {
    for (const auto& k : c.extra_secret_keys) {
        if (!valid_key_name(k)) {
            return invalid_config(
                issue, "redactor_config.extra_secret_keys",
                "each name must be 1-64 of [A-Za-z0-9_.-] with a letter or digit");
        }
    }
    for (const auto& a : c.allowlist) {
        if (a.empty() || a == "@") {
            return invalid_config(issue, "redactor_config.allowlist",
                                  "entries must not be empty (or a bare '@')");
        }
    }
    if (c.custom.size() > max_custom_detectors) {
        return invalid_config(issue, "redactor_config.custom", "at most 16 custom detectors");
    }
    bool needs_key = false;
    for (std::size_t i = 0; i < builtin_detector_count; ++i) {
        needs_key = needs_key || c.modes[static_cast<detector>(i)] == redact_mode::pseudonymize;
    }
    for (std::size_t i = 0; i < c.custom.size(); ++i) {
        const auto& d = c.custom[i];
        if (!valid_custom_name(d.name) || detector_from_string(d.name).has_value()) {
            return invalid_config(issue, "redactor_config.custom.name",
                                  "must be 1-32 of [a-z0-9_] and not a built-in detector's name");
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (c.custom[j].name == d.name) {
                return invalid_config(issue, "redactor_config.custom.name",
                                      "custom detector names must be unique");
            }
        }
        if (d.prefix.empty() || d.prefix.size() > 32) {
            return invalid_config(issue, "redactor_config.custom.prefix", "must be 1-32 bytes");
        }
        if (d.body_chars.empty()) {
            return invalid_config(issue, "redactor_config.custom.body_chars", "must not be empty");
        }
        if (d.max_length > 4096 || d.min_length > d.max_length || d.max_length == 0) {
            return invalid_config(issue, "redactor_config.custom.max_length",
                                  "must be 1-4096 and at least min_length");
        }
        needs_key = needs_key || d.mode == redact_mode::pseudonymize;
    }
    if (c.pseudonym_hex_chars < 8 || c.pseudonym_hex_chars > 64 || c.pseudonym_hex_chars % 2 != 0) {
        return invalid_config(issue, "redactor_config.pseudonym_hex_chars",
                              "must be an even number from 8 to 64");
    }
    if (c.ipv4_prefix_bits != 8 && c.ipv4_prefix_bits != 16 && c.ipv4_prefix_bits != 24) {
        return invalid_config(issue, "redactor_config.ipv4_prefix_bits", "must be 8, 16 or 24");
    }
    if (c.ipv6_prefix_bits < 16 || c.ipv6_prefix_bits > 112 || c.ipv6_prefix_bits % 16 != 0) {
        return invalid_config(issue, "redactor_config.ipv6_prefix_bits",
                              "must be a multiple of 16 from 16 to 112");
    }
    if (needs_key && !c.pseudonymizer) {
        return invalid_config(issue, "redactor_config.pseudonymizer",
                              "is required when a detector uses redact_mode::pseudonymize");
    }
    return {};
}

} // namespace bulwark
