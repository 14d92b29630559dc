#include <bulwark/core/trace/tracestate.hpp>

#include <algorithm>

namespace bulwark {

namespace {

bool lcalpha(char c) noexcept {
    return c >= 'a' && c <= 'z';
}
bool digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool key_char(char c) noexcept {
    return lcalpha(c) || digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}
// Printable ASCII except ',' and '='.
bool nblk_chr(char c) noexcept {
    return c >= 0x21 && c <= 0x7e && c != ',' && c != '=';
}

bool ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

bool all_key_chars(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), key_char);
}

// Length of "key=value" as it appears in the header.
std::size_t entry_length(const tracestate_member& m) noexcept {
    return m.key.size() + 1 + m.value.size();
}

} // namespace

bool tracestate::valid_key(std::string_view key) noexcept {
    const auto at = key.find('@');
    if (at == std::string_view::npos) {
        return !key.empty() && key.size() <= 256 && lcalpha(key.front()) && all_key_chars(key);
    }
    const auto tenant = key.substr(0, at);
    const auto system = key.substr(at + 1);
    return !tenant.empty() && tenant.size() <= 241 &&
           (lcalpha(tenant.front()) || digit(tenant.front())) && all_key_chars(tenant) &&
           !system.empty() && system.size() <= 14 && lcalpha(system.front()) &&
           all_key_chars(system);
}

bool tracestate::valid_value(std::string_view value) noexcept {
    if (value.empty() || value.size() > 256 || !nblk_chr(value.back())) {
        return false;
    }
    return std::all_of(value.begin(), value.end(), [](char c) { return c == ' ' || nblk_chr(c); });
}

void tracestate::append_line(std::string_view header) {
    while (!header.empty() && members_.size() < max_members) {
        const auto comma = header.find(',');
        const auto entry = trim(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        if (entry.empty()) {
            continue;
        }
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const auto key = entry.substr(0, eq);
        const auto value = entry.substr(eq + 1);
        if (!valid_key(key) || !valid_value(value) || find(key) != nullptr) {
            continue;
        }
        members_.push_back({std::string{key}, std::string{value}});
    }
}

tracestate tracestate::parse(std::string_view header) {
    tracestate ts;
    ts.append_line(header);
    return ts;
}

tracestate tracestate::parse(std::initializer_list<std::string_view> headers) {
    tracestate ts;
    for (const auto h : headers) {
        ts.append_line(h);
    }
    return ts;
}

const std::string* tracestate::find(std::string_view key) const noexcept {
    for (const auto& m : members_) {
        if (m.key == key) {
            return &m.value;
        }
    }
    return nullptr;
}

bool tracestate::put(std::string_view key, std::string_view value) {
    if (!valid_key(key) || !valid_value(value)) {
        return false;
    }
    erase(key);
    if (members_.size() == max_members) {
        members_.pop_back();
    }
    members_.insert(members_.begin(), {std::string{key}, std::string{value}});
    return true;
}

bool tracestate::erase(std::string_view key) {
    const auto it = std::find_if(members_.begin(), members_.end(),
                                 [&](const tracestate_member& m) { return m.key == key; });
    if (it == members_.end()) {
        return false;
    }
    members_.erase(it);
    return true;
}

std::string tracestate::to_header(std::size_t max_length) const {
    std::vector<bool> keep(members_.size(), true);
    // At most 32 entries: recounting is cheaper than getting the commas wrong.
    const auto length = [&] {
        std::size_t n = 0;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < members_.size(); ++i) {
            if (keep[i]) {
                n += entry_length(members_[i]);
                ++kept;
            }
        }
        return kept == 0 ? 0 : n + kept - 1;
    };
    // Entries over 128 characters go first, then entries from the right.
    for (std::size_t i = 0; i < members_.size() && length() > max_length; ++i) {
        if (entry_length(members_[i]) > 128) {
            keep[i] = false;
        }
    }
    for (std::size_t i = members_.size(); i-- > 0 && length() > max_length;) {
        keep[i] = false;
    }
    std::string out;
    out.reserve(length());
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (!keep[i]) {
            continue;
        }
        if (!out.empty()) {
            out += ',';
        }
        out += members_[i].key;
        out += '=';
        out += members_[i].value;
    }
    return out;
}

} // namespace bulwark
