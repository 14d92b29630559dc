#include <bulwark/core/detail/hex.hpp>
#include <bulwark/core/trace/baggage.hpp>

#include <algorithm>
#include <utility>

namespace bulwark {

namespace {

constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// RFC 7230 3.2.6 tchar.
constexpr bool is_tchar(char ch) noexcept {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return std::string_view{"!#$%&'*+-.^_`|~"}.find(ch) != std::string_view::npos;
}

constexpr bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E: printable US-ASCII without
// space, DQUOTE, ',', ';' and '\'.
constexpr bool is_baggage_octet(char ch) noexcept {
    const auto c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

constexpr bool is_value(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), is_baggage_octet);
}

// '%' is the escape character and '=' is escaped too: the grammar allows a bare '=' in a value,
// but some parsers split a member at its last '=' and would misread it.
constexpr bool needs_escape(char c) noexcept {
    return !is_baggage_octet(c) || c == '%' || c == '=';
}

std::size_t encoded_size(std::string_view value) noexcept {
    std::size_t n = value.size();
    for (const char c : value) {
        if (needs_escape(c)) {
            n += 2;
        }
    }
    return n;
}

void append_encoded(std::string& out, std::string_view value) {
    constexpr char digits[] = "0123456789ABCDEF";
    for (const char c : value) {
        if (needs_escape(c)) {
            const auto b = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(digits[b >> 4]);
            out.push_back(digits[b & 0x0f]);
        } else {
            out.push_back(c);
        }
    }
}

// Decodes a trimmed value; false on a byte outside baggage-octet or a malformed escape.
bool decode_value(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (!is_baggage_octet(c)) {
            return false;
        }
        if (c != '%') {
            out.push_back(c);
            continue;
        }
        if (in.size() - i < 3) {
            return false;
        }
        // Escapes are decoded in either case (RFC 3986 2.1 treats them as equivalent).
        const int hi = detail::hex_value(in[i + 1]);
        const int lo = detail::hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
    }
    return true;
}

// Validates a ';'-separated property list (without the leading ';') and writes it with the
// optional whitespace removed. Every property must be `key` or `key = value`; an empty one
// (as in "a=1;" or "a=1;;b") breaks the grammar.
bool normalize_properties(std::string_view list, std::string& out) {
    out.clear();
    for (;;) {
        const std::size_t semi = list.find(';');
        const std::string_view prop = trim_ows(list.substr(0, semi));
        const std::size_t eq = prop.find('=');
        if (eq == std::string_view::npos) {
            if (!is_token(prop)) {
                return false;
            }
            out.append(prop);
        } else {
            const std::string_view key = trim_ows(prop.substr(0, eq));
            const std::string_view value = trim_ows(prop.substr(eq + 1));
            if (!is_token(key) || !is_value(value)) {
                return false;
            }
            out.append(key);
            out.push_back('=');
            out.append(value);
        }
        if (semi == std::string_view::npos) {
            return true;
        }
        out.push_back(';');
        list.remove_prefix(semi + 1);
    }
}

// Parses one trimmed, non-empty list-member; false when it breaks the grammar.
bool parse_member(std::string_view m, baggage_member& out) {
    const std::size_t semi = m.find(';');
    const std::string_view head = m.substr(0, semi);
    // A token cannot contain '=', so the first '=' ends the key; the value may hold more.
    const std::size_t eq = head.find('=');
    if (eq == std::string_view::npos) {
        return false;
    }
    const std::string_view key = trim_ows(head.substr(0, eq));
    if (!is_token(key) || !decode_value(trim_ows(head.substr(eq + 1)), out.value)) {
        return false;
    }
    if (semi == std::string_view::npos) {
        out.properties.clear();
    } else if (!normalize_properties(m.substr(semi + 1), out.properties)) {
        return false;
    }
    out.key.assign(key);
    return true;
}

// Bytes to_header() writes for the member, without the separating ','.
std::size_t serialized_size(const baggage_member& m) noexcept {
    return m.key.size() + 1 + encoded_size(m.value) +
           (m.properties.empty() ? 0 : 1 + m.properties.size());
}

} // namespace

baggage baggage::parse(std::span<const std::string_view> headers, baggage_limits limits) {
    baggage result;
    auto& members = result.members_;
    std::size_t total = 0; // serialized size of `members`, separators included
    baggage_member m;
    for (std::string_view header : headers) {
        for (;;) {
            const std::size_t comma = header.find(',');
            const std::string_view element = trim_ows(header.substr(0, comma));
            if (!element.empty() && parse_member(element, m)) {
                const std::size_t size = serialized_size(m);
                // Linear search: at most max_members keys are ever held.
                const auto it =
                    std::find_if(members.begin(), members.end(),
                                 [&](const baggage_member& x) { return x.key == m.key; });
                if (it != members.end()) {
                    const std::size_t replaced = total - serialized_size(*it) + size;
                    if (replaced <= limits.max_bytes) {
                        it->value.swap(m.value);
                        it->properties.swap(m.properties);
                        total = replaced;
                    }
                } else {
                    const std::size_t added = size + (members.empty() ? 0 : 1);
                    if (members.size() < limits.max_members && total + added <= limits.max_bytes) {
                        members.push_back(std::move(m));
                        m = {};
                        total += added;
                    }
                }
            }
            if (comma == std::string_view::npos) {
                break;
            }
            header.remove_prefix(comma + 1);
        }
    }
    return result;
}

const baggage_member* baggage::find(std::string_view key) const noexcept {
    for (const auto& m : members_) {
        if (m.key == key) {
            return &m;
        }
    }
    return nullptr;
}

bool baggage::set(std::string key, std::string value, std::string properties) {
    if (!is_token(key)) {
        return false;
    }
    std::string normalized;
    if (!properties.empty() && !normalize_properties(properties, normalized)) {
        return false;
    }
    for (auto& m : members_) {
        if (m.key == key) {
            m.value = std::move(value);
            m.properties = std::move(normalized);
            return true;
        }
    }
    members_.push_back({std::move(key), std::move(value), std::move(normalized)});
    return true;
}

bool baggage::erase(std::string_view key) {
    const auto it = std::find_if(members_.begin(), members_.end(),
                                 [&](const baggage_member& m) { return m.key == key; });
    if (it == members_.end()) {
        return false;
    }
    members_.erase(it);
    return true;
}

std::string baggage::to_header(baggage_limits limits) const {
    // Decide first which members fit, so the string is allocated once.
    std::vector<bool> keep(members_.size(), false);
    std::size_t total = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < members_.size() && count < limits.max_members; ++i) {
        const std::size_t added = serialized_size(members_[i]) + (count == 0 ? 0 : 1);
        if (total + added <= limits.max_bytes) {
            keep[i] = true;
            total += added;
            ++count;
        }
    }
    std::string out;
    out.reserve(total);
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (!keep[i]) {
            continue;
        }
        const auto& m = members_[i];
        if (!out.empty()) {
            out.push_back(',');
        }
        out.append(m.key);
        out.push_back('=');
        append_encoded(out, m.value);
        if (!m.properties.empty()) {
            out.push_back(';');
            out.append(m.properties);
        }
    }
    return out;
}

} // namespace bulwark
