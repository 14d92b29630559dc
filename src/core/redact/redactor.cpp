#include <bulwark/core/redact/checksums.hpp>
#include <bulwark/core/redact/redactor.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#define BULWARK_REDACT_SSE2 1
#else
#define BULWARK_REDACT_SSE2 0
#endif

namespace bulwark {

namespace {

// ---------------------------------------------------------------------------------------------
// Byte classes. One table decides which bytes the scan stops at; everything else (lower-case
// letters, spaces, most punctuation, UTF-8 continuation bytes) is skipped without a branch
// per detector.
// ---------------------------------------------------------------------------------------------
enum : std::uint8_t {
    t_digit = 1,  // card, iban digits, phone, ipv4, ipv6, ssn
    t_upper = 2,  // 'A' (aws_key), 'B' (Bearer/Basic), the 'J' of "eyJ" (jwt); an IBAN is
                  // found from its check digits, so other capitals are no triggers
    t_at = 4,     // email
    t_keysep = 8, // ':' and '=': secret key names, ipv6
    t_plus = 16,  // E.164 phone
    t_paren = 32, // (415) 555-2671
    t_custom = 64 // the first byte of a custom detector's prefix
};

// How a replacement is wrapped: an unquoted JSON value becomes a string again.
constexpr std::uint8_t quote_none = 0;
constexpr std::uint8_t quote_plain = 1;   // "…"
constexpr std::uint8_t quote_escaped = 2; // \"…\" (JSON inside a JSON string)

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
constexpr bool is_upper(char c) noexcept {
    return c >= 'A' && c <= 'Z';
}
constexpr bool is_lower(char c) noexcept {
    return c >= 'a' && c <= 'z';
}
constexpr bool is_alpha(char c) noexcept {
    return is_upper(c) || is_lower(c);
}
constexpr bool is_alnum(char c) noexcept {
    return is_alpha(c) || is_digit(c);
}
// A word byte: a match never starts or ends next to one.
constexpr bool is_word(char c) noexcept {
    return is_alnum(c) || c == '_';
}
constexpr bool is_hex(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_email_local(char c) noexcept {
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
constexpr bool is_b64url(char c) noexcept {
    return is_alnum(c) || c == '-' || c == '_';
}
// RFC 7235 token68 without the trailing '='.
constexpr bool is_token68(char c) noexcept {
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}
constexpr bool is_value_delim(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '&' || c == ',' || c == ';' ||
           c == '}' || c == ']' || c == ')' || c == '"' || c == '\'';
}
constexpr char to_lower(char c) noexcept {
    return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

// ---------------------------------------------------------------------------------------------
// Secret key names: a trie of the reversed, normalized names, walked backwards from the byte
// before '=' or ':'. A key matches when the walk reaches the end of a name: the key ends with
// that name once lower-cased and stripped of '_', '-' and '.'.
// ---------------------------------------------------------------------------------------------
// The card verification codes are here because PCI DSS forbids keeping them at all. "ssn" is
// not: a dashed SSN is its own detector, and an unformatted one is rarely logged under that
// key alone (add it with extra_secret_keys).
constexpr std::array<std::string_view, 23> builtin_key_names = {
    "password",   "passwd",      "pwd",          "passphrase",    "secret",        "token",
    "api_key",    "apikey",      "access_token", "refresh_token", "client_secret", "authorization",
    "credential", "credentials", "private_key",  "secret_key",    "access_key",    "signature",
    "cookie",     "session_id",  "sessionid",    "cvv",           "cvc",
};

// -1: a byte that ends a key; -2: a separator skipped inside a key.
constexpr int key_index(char c) noexcept {
    if (is_lower(c)) {
        return c - 'a';
    }
    if (is_upper(c)) {
        return c - 'A';
    }
    if (is_digit(c)) {
        return 26 + (c - '0');
    }
    if (c == '_' || c == '-' || c == '.') {
        return -2;
    }
    return -1;
}

class key_trie {
public:
    enum : std::uint8_t { flag_key = 1, flag_to_line_end = 2 };

    key_trie() { nodes_.emplace_back(); }

    void add(std::string_view name, std::uint8_t flags) {
        std::size_t node = 0;
        for (auto it = name.rbegin(); it != name.rend(); ++it) {
            const int k = key_index(*it);
            if (k < 0) {
                continue;
            }
            auto next = nodes_[node].next[static_cast<std::size_t>(k)];
            if (next == 0) {
                next = static_cast<std::uint16_t>(nodes_.size());
                nodes_[node].next[static_cast<std::size_t>(k)] = next;
                nodes_.emplace_back();
            }
            node = next;
        }
        nodes_[node].flags |= flags;
    }

    // Walks [floor, end) backwards; returns the flags of the first name the key ends with, or 0.
    [[nodiscard]] std::uint8_t match_backward(const char* s, std::size_t end,
                                              std::size_t floor) const noexcept {
        std::size_t node = 0;
        for (std::size_t j = end; j > floor && end - j < 64; --j) {
            const int k = key_index(s[j - 1]);
            if (k == -2) {
                continue;
            }
            if (k == -1) {
                return 0;
            }
            node = nodes_[node].next[static_cast<std::size_t>(k)];
            if (node == 0) {
                return 0;
            }
            if (nodes_[node].flags != 0) {
                return nodes_[node].flags;
            }
        }
        return 0;
    }

private:
    struct trie_node {
        std::array<std::uint16_t, 36> next{};
        std::uint8_t flags = 0;
    };
    std::vector<trie_node> nodes_;
};

constexpr std::array<std::string_view, 11> aws_prefixes = {
    "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA", "ABIA", "ACCA",
};

constexpr std::array<std::string_view, 5> auth_schemes = {"bearer", "basic", "digest", "token",
                                                          "negotiate"};

// Card-network IIN ranges (ISO/IEC 7812 issuers of the major networks): Visa 4, Mastercard
// 51-55 and 2221-2720, Maestro/Discover/UnionPay 5x and 6x, Amex 34/37, JCB 35, Diners
// 30/36/38/39. A digit run starting 1, 7, 8, 9 (epoch timestamps, most internal ids) or 20xx
// (compact dates) is not a card even when Luhn happens to pass.
bool plausible_iin(std::string_view d) noexcept {
    switch (d[0]) {
    case '4':
    case '5':
    case '6': return true;
    case '3': return d[1] != '1' && d[1] != '2' && d[1] != '3';
    case '2': {
        const int p = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
        return p >= 2221 && p <= 2720;
    }
    default: return false;
    }
}

bool card_digits(std::string_view d) noexcept {
    return d.size() >= 13 && d.size() <= 19 && plausible_iin(d) && luhn_valid(d);
}

// The group shapes a card is printed in: one run, 4-4-...-(1..4), or Amex/Diners 4-6-5, 4-6-4.
bool card_shape(const std::uint8_t* g, std::size_t n) noexcept {
    if (n == 1) {
        return true;
    }
    if (n == 3 && g[0] == 4 && g[1] == 6 && (g[2] == 5 || g[2] == 4)) {
        return true;
    }
    for (std::size_t i = 0; i + 1 < n; ++i) {
        if (g[i] != 4) {
            return false;
        }
    }
    return g[n - 1] >= 1 && g[n - 1] <= 4;
}

// Parses a dotted quad at s[i..n); returns its end or 0.
std::size_t parse_ipv4(const char* s, std::size_t i, std::size_t n,
                       std::array<int, 4>* out = nullptr) noexcept {
    std::size_t j = i;
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (j >= n || s[j] != '.') {
                return 0;
            }
            ++j;
        }
        int v = 0;
        const std::size_t start = j;
        while (j < n && is_digit(s[j]) && j - start < 4) {
            v = v * 10 + (s[j] - '0');
            ++j;
        }
        if (j == start || j - start > 3 || v > 255) {
            return 0;
        }
        if (out != nullptr) {
            (*out)[static_cast<std::size_t>(octet)] = v;
        }
    }
    return j;
}

// Parses RFC 4291 text at s[i..n) into 8 groups; returns its end or 0. `has_digit` and
// `explicit_groups` feed the precision rule of the ipv6 detector.
std::size_t parse_ipv6(const char* s, std::size_t i, std::size_t n,
                       std::array<std::uint16_t, 8>* out, bool* has_digit,
                       int* explicit_groups) noexcept {
    std::array<std::uint16_t, 8> groups{};
    int count = 0;
    int gap = -1; // index in `groups` where "::" stands
    bool digit = false;
    std::size_t j = i;
    if (j + 1 < n && s[j] == ':' && s[j + 1] == ':') {
        gap = 0;
        j += 2;
    } else if (j < n && s[j] == ':') {
        return 0;
    }
    while (j < n) {
        const std::size_t g = j;
        while (j < n && is_hex(s[j]) && j - g < 5) {
            ++j;
        }
        const std::size_t len = j - g;
        if (len == 0) {
            break;
        }
        if (len > 4) {
            return 0;
        }
        if (j < n && s[j] == '.') {
            // An embedded IPv4 takes the last two groups.
            std::array<int, 4> v4{};
            const std::size_t e = parse_ipv4(s, g, n, &v4);
            if (e == 0 || count > 6) {
                return 0;
            }
            groups[static_cast<std::size_t>(count++)] =
                static_cast<std::uint16_t>(v4[0] << 8 | v4[1]);
            groups[static_cast<std::size_t>(count++)] =
                static_cast<std::uint16_t>(v4[2] << 8 | v4[3]);
            digit = true;
            j = e;
            break;
        }
        if (count == 8) {
            return 0;
        }
        unsigned v = 0;
        for (std::size_t k = g; k < j; ++k) {
            const char c = s[k];
            digit = digit || is_digit(c);
            v = v * 16 + static_cast<unsigned>(is_digit(c) ? c - '0' : to_lower(c) - 'a' + 10);
        }
        groups[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(v);
        if (j + 1 < n && s[j] == ':' && s[j + 1] == ':') {
            if (gap >= 0) {
                return 0;
            }
            gap = count;
            j += 2;
            continue;
        }
        if (j + 1 < n && s[j] == ':' && is_hex(s[j + 1])) {
            ++j;
            continue;
        }
        break;
    }
    if (gap < 0 ? count != 8 : count > 7) {
        return 0;
    }
    if (out != nullptr) {
        out->fill(0);
        const int tail = gap < 0 ? 0 : count - gap;
        const int head = count - tail;
        for (int k = 0; k < head; ++k) {
            (*out)[static_cast<std::size_t>(k)] = groups[static_cast<std::size_t>(k)];
        }
        for (int k = 0; k < tail; ++k) {
            (*out)[static_cast<std::size_t>(8 - tail + k)] =
                groups[static_cast<std::size_t>(head + k)];
        }
    }
    *has_digit = digit;
    *explicit_groups = count;
    return j;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The immutable state a redactor shares between threads.
// ---------------------------------------------------------------------------------------------
namespace detail {

struct redactor_state {
    struct custom_rt {
        std::string name;
        std::string prefix;
        std::array<bool, 256> body{};
        std::size_t min_length = 0;
        std::size_t max_length = 0;
        std::function<bool(std::string_view)> validator;
        redact_mode mode = redact_mode::mask;
    };

    redactor_config config;
    std::array<redact_mode, max_redaction_detectors> modes{};
    std::array<std::uint8_t, 256> trigger{};
    key_trie keys;
    std::vector<std::string> allow_exact;   // sorted
    std::vector<std::string> allow_domains; // lower-case, without '@'
    std::vector<custom_rt> custom;
    std::array<std::uint32_t, 256> custom_first{}; // bit i: custom detector i starts with byte
    std::string custom_bytes; // the distinct first bytes of custom prefixes that no built-in
                              // detector triggers on

    explicit redactor_state(redactor_config cfg) : config(std::move(cfg)) {
        config_issue issue;
        if (validate(config, &issue)) {
            throw_invalid_config(issue);
        }
        for (std::size_t i = 0; i < builtin_detector_count; ++i) {
            modes[i] = config.modes[static_cast<detector>(i)];
        }
        for (char c = '0'; c <= '9'; ++c) {
            trigger[static_cast<unsigned char>(c)] |= t_digit;
        }
        trigger['A'] |= t_upper;
        trigger['B'] |= t_upper;
        trigger['J'] |= t_upper;
        trigger['@'] |= t_at;
        trigger[':'] |= t_keysep;
        trigger['='] |= t_keysep;
        trigger['+'] |= t_plus;
        trigger['('] |= t_paren;
        if (config.builtin_secret_keys) {
            for (const auto name : builtin_key_names) {
                keys.add(name, name == "cookie" ? key_trie::flag_key | key_trie::flag_to_line_end
                                                : key_trie::flag_key);
            }
        }
        for (const auto& name : config.extra_secret_keys) {
            keys.add(name, key_trie::flag_key);
        }
        for (const auto& a : config.allowlist) {
            if (a.front() == '@') {
                std::string d = a.substr(1);
                std::transform(d.begin(), d.end(), d.begin(), to_lower);
                allow_domains.push_back(std::move(d));
            } else {
                allow_exact.push_back(a);
            }
        }
        std::sort(allow_exact.begin(), allow_exact.end());
        for (std::size_t i = 0; i < config.custom.size(); ++i) {
            const auto& d = config.custom[i];
            custom_rt rt;
            rt.name = d.name;
            rt.prefix = d.prefix;
            for (const char c : d.body_chars) {
                rt.body[static_cast<unsigned char>(c)] = true;
            }
            rt.min_length = d.min_length;
            rt.max_length = d.max_length;
            rt.validator = d.validator;
            rt.mode = d.mode;
            modes[builtin_detector_count + i] = d.mode;
            const auto first = static_cast<unsigned char>(d.prefix.front());
            custom_first[first] |= 1U << i;
            if (trigger[first] == 0) {
                custom_bytes += static_cast<char>(first);
            }
            trigger[first] |= t_custom;
            custom.push_back(std::move(rt));
        }
    }

    [[nodiscard]] bool on(detector d) const noexcept {
        return modes[static_cast<std::size_t>(d)] != redact_mode::off;
    }

    [[nodiscard]] std::string_view name(std::size_t index) const noexcept {
        if (index < builtin_detector_count) {
            return to_string(static_cast<detector>(index));
        }
        index -= builtin_detector_count;
        return index < custom.size() ? std::string_view{custom[index].name} : std::string_view{};
    }

    [[nodiscard]] bool allowed(std::string_view text, std::size_t det) const noexcept {
        if (!allow_exact.empty() &&
            std::binary_search(allow_exact.begin(), allow_exact.end(), text)) {
            return true;
        }
        if (det == static_cast<std::size_t>(detector::email) && !allow_domains.empty()) {
            const auto at = text.rfind('@');
            const auto domain = text.substr(at + 1);
            return std::any_of(allow_domains.begin(), allow_domains.end(),
                               [&](const std::string& d) { return iequals(d, domain); });
        }
        return false;
    }

    void append_replacement(std::string& out, std::size_t det, std::string_view text,
                            std::uint8_t quote) const;
};

} // namespace detail

namespace {

// ---------------------------------------------------------------------------------------------
// The scan. One left-to-right pass; each handler confirms or rejects a candidate and returns
// where the scan resumes, never before where it stood, so the work is linear in the input.
// ---------------------------------------------------------------------------------------------
template <class Sink>
class scanner {
public:
    scanner(const detail::redactor_state& m, std::string_view in, Sink& sink) noexcept
        : m_(m), s_(in.data()), n_(in.size()), sink_(sink) {}

    void run() {
        const auto* u = reinterpret_cast<const unsigned char*>(s_);
        const auto* trigger = m_.trigger.data();
        std::size_t i = 0;
        for (;;) {
            // The pre-filter: most bytes of a log line end here, 16 at a time where SSE2 is
            // available.
#if BULWARK_REDACT_SSE2
            while (i + 16 <= n_) {
                const unsigned mask = candidates16(u + i);
                if (mask != 0) {
                    i += static_cast<std::size_t>(__builtin_ctz(mask));
                    break;
                }
                i += 16;
            }
#endif
            while (i < n_ && trigger[u[i]] == 0) {
                ++i;
            }
            if (i >= n_) {
                return;
            }
            i = dispatch(i, trigger[u[i]]);
        }
    }

private:
    static constexpr std::size_t none = 0;

#if BULWARK_REDACT_SSE2
    // A bit per byte that may be a trigger: the built-in set exactly ('(', '+', '0'-':', '=',
    // '@'-'B', 'J'), plus the first bytes of custom prefixes.
    [[nodiscard]] unsigned candidates16(const unsigned char* p) const noexcept {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const auto in_range = [x](char lo, char hi) {
            return _mm_cmpeq_epi8(
                _mm_min_epu8(_mm_max_epu8(x, _mm_set1_epi8(lo)), _mm_set1_epi8(hi)), x);
        };
        __m128i hit = _mm_or_si128(in_range('0', ':'), in_range('@', 'B'));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8('J')));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8('=')));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8('+')));
        hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8('(')));
        for (const char c : m_.custom_bytes) {
            hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8(c)));
        }
        return static_cast<unsigned>(_mm_movemask_epi8(hit));
    }
#endif

    std::size_t dispatch(std::size_t i, std::uint8_t t) {
        if ((t & t_custom) != 0 && boundary(i)) {
            if (const auto e = try_custom(i); e != none) {
                return e;
            }
        }
        if ((t & t_digit) != 0) {
            return on_digit(i);
        }
        if ((t & t_upper) != 0) {
            return on_upper(i);
        }
        if ((t & t_at) != 0) {
            return on_at(i);
        }
        if ((t & t_keysep) != 0) {
            return on_keysep(i);
        }
        if ((t & t_plus) != 0) {
            return on_plus(i);
        }
        if ((t & t_paren) != 0) {
            return on_paren(i);
        }
        return i + 1;
    }

    [[nodiscard]] bool boundary(std::size_t i) const noexcept {
        return i == 0 || !is_word(s_[i - 1]);
    }
    [[nodiscard]] bool end_boundary(std::size_t j) const noexcept {
        return j >= n_ || !is_word(s_[j]);
    }
    [[nodiscard]] std::size_t skip_word(std::size_t i) const noexcept {
        while (i < n_ && is_word(s_[i])) {
            ++i;
        }
        return i;
    }

    std::size_t emit(std::size_t b, std::size_t e, detector d, std::uint8_t quote = quote_none) {
        return emit_index(b, e, static_cast<std::size_t>(d), quote);
    }
    std::size_t emit_index(std::size_t b, std::size_t e, std::size_t det, std::uint8_t quote) {
        if (!m_.allowed(std::string_view{s_ + b, e - b}, det)) {
            sink_(b, e, det, quote);
        }
        floor_ = e;
        return e;
    }

    // -- digits: cards, SSNs, phones, IPv4, and IPv6 that start with a digit ------------------
    // Built for every digit run of every line, so its arrays are left uninitialized (zeroing
    // them cost a quarter of a clean line's scan); only the first `groups` / `digits`
    // entries are ever read.
    struct digit_run {
        std::size_t end = 0;
        std::size_t groups = 0;
        std::size_t digits = 0;
        char sep = 0;
        bool cut = false; // the run ended at another separator or the group cap
        std::array<std::uint8_t, 8> len;
        std::array<std::size_t, 8> pos;
        std::array<char, 40> buf;
    };

    std::size_t on_digit(std::size_t i) {
        if (!boundary(i)) {
            // The check digits of an IBAN: two capitals at a word start, then two digits.
            if (i >= floor_ + 2 && is_upper(s_[i - 1]) && is_upper(s_[i - 2]) && boundary(i - 2) &&
                i + 1 < n_ && is_digit(s_[i + 1])) {
                if (const auto e = try_iban(i - 2); e != none) {
                    return e;
                }
            }
            return skip_word(i);
        }
        // Most numbers in a log line are short and stand alone (status=200, items=3): no
        // detector takes a single group of fewer than 13 digits, so they end here. IPv6 that
        // starts with digits is left to the ':' that follows.
        std::size_t j = i;
        while (j < n_ && is_digit(s_[j])) {
            ++j;
        }
        if (j >= n_) {
            return j - i >= 13 ? classify_run(i) : j;
        }
        const char next = s_[j];
        const bool separated =
            (next == ' ' || next == '-' || next == '.') && j + 1 < n_ && is_digit(s_[j + 1]);
        if (!separated) {
            if (is_word(next)) {
                return skip_word(j);
            }
            if (j - i < 13) {
                return j; // IPv6 that starts with digits is found from the ':' that follows
            }
        }
        return classify_run(i);
    }

    std::size_t classify_run(std::size_t i) {
        digit_run r;
        std::size_t j = i;
        for (;;) {
            const std::size_t g = j;
            while (j < n_ && is_digit(s_[j])) {
                ++j;
            }
            const std::size_t len = j - g;
            if (r.digits + len > r.buf.size()) {
                if (r.groups == 0) {
                    return end_boundary(j) ? j : skip_word(j); // too long for any detector
                }
                // The groups so far are a run of their own; this one starts the next.
                j = r.pos[r.groups - 1] + r.len[r.groups - 1];
                r.cut = true;
                break;
            }
            std::copy(s_ + g, s_ + j, r.buf.data() + r.digits);
            r.digits += len;
            r.pos[r.groups] = g;
            r.len[r.groups] = static_cast<std::uint8_t>(len);
            ++r.groups;
            if (j + 1 >= n_) {
                break;
            }
            const char c = s_[j];
            const bool more = (c == ' ' || c == '-' || c == '.') && is_digit(s_[j + 1]);
            if (more && (r.sep == 0 || r.sep == c) && r.groups < r.len.size()) {
                r.sep = c;
                ++j;
                continue;
            }
            // Another separator ("200 415-555-2671") or the group cap: the last group may
            // begin what follows, so a failed run resumes there (see resume()).
            r.cut = more;
            break;
        }
        r.end = j;
        if (j < n_ && is_word(s_[j])) {
            return skip_word(j);
        }
        return classify(i, r);
    }

    // Where the scan goes on after a run that matched nothing.
    [[nodiscard]] static std::size_t resume(const digit_run& r) noexcept {
        return r.cut && r.groups > 1 ? r.pos[r.groups - 1] : r.end;
    }

    [[nodiscard]] std::string_view digits(const digit_run& r, std::size_t from,
                                          std::size_t count) const noexcept {
        return {r.buf.data() + from, count};
    }

    std::size_t classify(std::size_t i, const digit_run& r) {
        const auto& g = r.len;
        const std::string_view all = digits(r, 0, r.digits);
        if (r.sep == '.') {
            if (r.groups == 4 && m_.on(detector::ipv4) && parse_ipv4(s_, i, n_) == r.end) {
                return emit(i, r.end, detector::ipv4);
            }
            if (r.groups == 3 && nanp(r) && m_.on(detector::phone)) {
                return emit(i, r.end, detector::phone);
            }
            return resume(r);
        }
        if (r.sep == '-' && r.groups == 3 && g[0] == 3 && g[1] == 2 && g[2] == 4 &&
            m_.on(detector::ssn) && ssn_valid(all)) {
            return emit(i, r.end, detector::ssn);
        }
        if (m_.on(detector::phone) &&
            ((r.sep == '-' && r.groups == 3 && nanp(r)) || (r.sep != 0 && trunk_national(r)))) {
            return emit(i, r.end, detector::phone);
        }
        if (!m_.on(detector::card)) {
            return resume(r);
        }
        if (card_shape(g.data(), r.groups) && card_digits(all)) {
            return emit(i, r.end, detector::card);
        }
        // A card inside a longer run of groups ("qty 2 4111 1111 1111 1111"): the leftmost,
        // then longest, window of whole groups in a card shape.
        if (r.groups > 1) {
            std::size_t skipped = 0;
            for (std::size_t a = 0; a < r.groups; ++a) {
                std::size_t count = r.digits - skipped;
                for (std::size_t b = r.groups; b > a; --b) {
                    if ((a != 0 || b != r.groups) && card_shape(g.data() + a, b - a) &&
                        card_digits(digits(r, skipped, count))) {
                        const std::size_t e = r.pos[b - 1] + g[b - 1];
                        emit(r.pos[a], e, detector::card);
                        return e;
                    }
                    count -= g[b - 1];
                }
                skipped += g[a];
            }
        }
        return resume(r);
    }

    // North American numbers: 3-3-4 with area and exchange codes starting 2-9.
    [[nodiscard]] static bool nanp(const digit_run& r) noexcept {
        return r.groups == 3 && r.len[0] == 3 && r.len[1] == 3 && r.len[2] == 4 &&
               r.buf[0] >= '2' && r.buf[3] >= '2';
    }
    // Trunk-prefixed national numbers (020 7946 0958, 06 12 34 56 78): 0 then a non-zero
    // digit, 10-11 digits in 2-5 separated groups.
    [[nodiscard]] static bool trunk_national(const digit_run& r) noexcept {
        if (r.sep == '.' || r.groups < 2 || r.groups > 5 || r.digits < 10 || r.digits > 11 ||
            r.buf[0] != '0' || r.buf[1] == '0' || r.len[0] < 2 || r.len[0] > 5) {
            return false;
        }
        for (std::size_t k = 1; k < r.groups; ++k) {
            if (r.len[k] < 2) {
                return false;
            }
        }
        return true;
    }

    // -- IPv6 ------------------------------------------------------------------------------
    std::size_t try_ipv6(std::size_t i) {
        if (!m_.on(detector::ipv6) || i < ipv6_tried_) {
            return none;
        }
        bool has_digit = false;
        int groups = 0;
        const std::size_t e = parse_ipv6(s_, i, n_, nullptr, &has_digit, &groups);
        const bool leading_gap = s_[i] == ':';
        if (e == 0 || !has_digit || (groups < 2 && !(leading_gap && groups >= 1)) ||
            !end_boundary(e) || (e < n_ && s_[e] == ':' && e + 1 < n_ && is_hex(s_[e + 1]))) {
            // Do not parse the same colon run again from each of its colons.
            std::size_t k = i;
            while (k < n_ && (is_hex(s_[k]) || s_[k] == ':' || s_[k] == '.')) {
                ++k;
            }
            ipv6_tried_ = k;
            return none;
        }
        return emit(i, e, detector::ipv6);
    }

    // -- 'A', 'B', 'J': AWS key ids, Bearer/Basic, and "eyJ" --------------------------------
    std::size_t on_upper(std::size_t i) {
        if (!boundary(i)) {
            if (s_[i] == 'J' && i >= floor_ + 2 && s_[i - 1] == 'y' && s_[i - 2] == 'e' &&
                boundary(i - 2)) {
                if (const auto e = try_jwt(i - 2); e != none) {
                    return e;
                }
            }
            return i + 1; // not skip_word: the digits of "GB82..." must still trigger
        }
        const char c = s_[i];
        if (c == 'A') {
            if (const auto e = try_aws(i); e != none) {
                return e;
            }
        } else if (c == 'B') {
            if (const auto e = try_auth(i); e != none) {
                return e;
            }
        }
        // Not skip_word: in "AT61..." (an IBAN) the check digits are the trigger.
        return i + 1;
    }

    std::size_t try_jwt(std::size_t b) {
        if (!m_.on(detector::jwt)) {
            return none;
        }
        std::size_t j = b;
        std::size_t segments = 0;
        std::array<std::size_t, 5> ends{};
        for (;;) {
            const std::size_t g = j;
            while (j < n_ && is_b64url(s_[j])) {
                ++j;
            }
            if (j - g < 10 && segments < 2) {
                return none;
            }
            ends[segments++] = j;
            if (segments < 5 && j < n_ && s_[j] == '.') {
                ++j;
                continue;
            }
            break;
        }
        if (segments < 3) {
            return none;
        }
        const std::size_t e = segments >= 5 ? ends[4] : ends[2];
        if (!end_boundary(e)) {
            return none;
        }
        return emit(b, e, detector::jwt);
    }

    std::size_t try_aws(std::size_t i) {
        if (!m_.on(detector::aws_key) || i + 20 > n_) {
            return none;
        }
        const std::string_view head{s_ + i, 4};
        if (std::find(aws_prefixes.begin(), aws_prefixes.end(), head) == aws_prefixes.end()) {
            return none;
        }
        for (std::size_t k = i + 4; k < i + 20; ++k) {
            if (!is_upper(s_[k]) && !is_digit(s_[k])) {
                return none;
            }
        }
        if (!end_boundary(i + 20)) {
            return none;
        }
        return emit(i, i + 20, detector::aws_key);
    }

    // A credential: token68, at least 8 bytes, with a digit, an upper-case letter or a symbol
    // (so "Basic authentication failed" is prose, not a credential). Returns its end or none.
    [[nodiscard]] std::size_t credential_end(std::size_t v) const noexcept {
        std::size_t j = v;
        bool mixed = false;
        while (j < n_ && is_token68(s_[j])) {
            mixed = mixed || !is_lower(s_[j]);
            ++j;
        }
        while (j < n_ && s_[j] == '=') {
            ++j;
        }
        if (j - v < 8 || !mixed || !end_boundary(j)) {
            return none;
        }
        return j;
    }

    std::size_t try_auth(std::size_t i) {
        for (const auto& [scheme, d] : {std::pair{std::string_view{"Bearer "}, detector::bearer},
                                        std::pair{std::string_view{"Basic "}, detector::basic}}) {
            if (n_ - i > scheme.size() && std::string_view{s_ + i, scheme.size()} == scheme &&
                m_.on(d)) {
                const std::size_t v = i + scheme.size();
                if (const auto e = credential_end(v); e != none) {
                    floor_ = v;
                    return emit(v, e, d);
                }
            }
        }
        return none;
    }

    std::size_t try_iban(std::size_t i) {
        if (!m_.on(detector::iban)) {
            return none;
        }
        const std::size_t len = iban_length({s_ + i, 2});
        if (len == 0) {
            return none;
        }
        std::array<char, 40> buf{};
        const bool grouped = i + 4 < n_ && s_[i + 4] == ' ';
        std::size_t j = i;
        std::size_t count = 0;
        while (count < len) {
            if (j >= n_ || !(is_upper(s_[j]) || is_digit(s_[j]))) {
                return none;
            }
            buf[count++] = s_[j++];
            if (grouped && count % 4 == 0 && count < len) {
                if (j + 1 < n_ && s_[j] == ' ' && is_alnum(s_[j + 1])) {
                    ++j;
                } else {
                    return none;
                }
            }
        }
        if (!end_boundary(j) || !iban_valid({buf.data(), len})) {
            return none;
        }
        return emit(i, j, detector::iban);
    }

    // -- '@': email ------------------------------------------------------------------------
    std::size_t on_at(std::size_t i) {
        if (!m_.on(detector::email)) {
            return i + 1;
        }
        std::size_t b = i;
        while (b > floor_ && i - b < 64 && is_email_local(s_[b - 1])) {
            --b;
        }
        while (b < i && s_[b] == '.') {
            ++b;
        }
        if (b == i || s_[i - 1] == '.') {
            return i + 1;
        }
        std::size_t j = i + 1;
        std::size_t labels = 0;
        std::size_t last = j;
        for (;;) {
            const std::size_t k = j;
            while (j < n_ && (is_alnum(s_[j]) || s_[j] == '-')) {
                ++j;
            }
            if (j == k || j - k > 63 || s_[k] == '-' || s_[j - 1] == '-') {
                return i + 1;
            }
            ++labels;
            last = k;
            if (j + 1 < n_ && s_[j] == '.' && is_alnum(s_[j + 1])) {
                ++j;
                continue;
            }
            break;
        }
        if (labels < 2 || j - last < 2 || j - i > 254) {
            return i + 1;
        }
        for (std::size_t k = last; k < j; ++k) {
            if (!is_alpha(s_[k])) {
                return i + 1;
            }
        }
        return emit(b, j, detector::email);
    }

    // -- ':' and '=': secrets by key name, and IPv6 ---------------------------------------
    std::size_t on_keysep(std::size_t i) {
        if (s_[i] == ':') {
            std::size_t k = i;
            while (k > floor_ && i - k < 4 && is_hex(s_[k - 1])) {
                --k;
            }
            const bool leading_gap = k == i && i + 1 < n_ && s_[i + 1] == ':';
            if ((k < i || leading_gap) && boundary(k) && (k == 0 || s_[k - 1] != ':')) {
                if (const auto e = try_ipv6(k); e != none) {
                    return e;
                }
            }
        }
        if (const auto e = try_secret(i); e != none) {
            return e;
        }
        return i + 1;
    }

    std::size_t try_secret(std::size_t i) {
        if (!m_.on(detector::secret)) {
            return none;
        }
        std::size_t key_end = i;
        bool quoted_key = false;
        bool escaped = false;
        if (key_end > floor_ && (s_[key_end - 1] == '"' || s_[key_end - 1] == '\'')) {
            quoted_key = s_[key_end - 1] == '"';
            --key_end;
            if (key_end > floor_ && s_[key_end - 1] == '\\') {
                --key_end;
                escaped = true;
            }
        }
        const std::uint8_t flags = m_.keys.match_backward(s_, key_end, floor_);
        if (flags == 0) {
            return none;
        }
        std::size_t v = i + 1;
        while (v < n_ && v - i <= 8 && (s_[v] == ' ' || s_[v] == '\t')) {
            ++v;
        }
        if (v >= n_) {
            return none;
        }
        // \"…\": a value quoted inside a JSON string (the key may or may not be quoted the
        // same way). It ends at a quote escaped once; "\\\"" (three backslashes) is a quote
        // inside the value.
        if (s_[v] == '\\' && v + 1 < n_ && s_[v + 1] == '"') {
            if (already_redacted(v + 2)) {
                return none;
            }
            std::size_t e = v + 2;
            while (e < n_) {
                if (s_[e] != '\\') {
                    ++e;
                    continue;
                }
                std::size_t k = 0;
                while (e + k < n_ && s_[e + k] == '\\') {
                    ++k;
                }
                if (e + k < n_ && s_[e + k] == '"') {
                    if (k == 1) {
                        break;
                    }
                    ++k; // an escaped quote inside the value
                }
                e += k;
            }
            e = std::min(e, n_);
            return e > v + 2 ? emit(v + 2, e, detector::secret) : none;
        }
        if ((s_[v] == '"' || s_[v] == '\'') && already_redacted(v + 1)) {
            return none;
        }
        if (s_[v] == '"' || s_[v] == '\'') {
            const char q = s_[v];
            std::size_t e = v + 1;
            while (e < n_ && s_[e] != q) {
                e += s_[e] == '\\' ? 2 : 1;
            }
            e = std::min(e, n_);
            return e > v + 1 ? emit(v + 1, e, detector::secret) : none;
        }
        // A value this redactor already replaced stays as it is: redacting twice changes nothing.
        if (already_redacted(v)) {
            return none;
        }
        std::size_t e = v;
        // A Cookie or Set-Cookie header holds several cookies: all of them, to the line end.
        if ((flags & key_trie::flag_to_line_end) != 0 && s_[i] == ':') {
            while (e < n_ && s_[e] != '\r' && s_[e] != '\n' && s_[e] != '"' && s_[e] != '\'') {
                ++e;
            }
            while (e > v && (s_[e - 1] == ' ' || s_[e - 1] == '\t')) {
                --e;
            }
            return e > v ? emit(v, e, detector::secret) : none;
        }
        while (e < n_ && !is_value_delim(s_[e])) {
            ++e;
        }
        // password=abc\" inside a JSON string: the backslash escapes the closing quote and
        // stays, or the JSON around the line breaks.
        if (e < n_ && s_[e] == '"' && e > v && s_[e - 1] == '\\') {
            --e;
        }
        if (e == v) {
            return none;
        }
        const std::string_view word{s_ + v, e - v};
        if (quoted_key && (word == "null" || word == "true" || word == "false")) {
            return none;
        }
        // "Authorization: Bearer abc": keep the scheme, redact the credential.
        if (e + 1 < n_ && s_[e] == ' ' && !is_value_delim(s_[e + 1]) &&
            std::any_of(auth_schemes.begin(), auth_schemes.end(),
                        [&](std::string_view scheme) { return iequals(scheme, word); })) {
            const std::size_t v2 = e + 1;
            if (already_redacted(v2)) {
                return none;
            }
            std::size_t e2 = v2;
            while (e2 < n_ && !is_value_delim(s_[e2])) {
                ++e2;
            }
            return emit(v2, e2, detector::secret);
        }
        // An unquoted JSON value is quoted again so the line stays JSON: with \" when the
        // JSON is itself inside a JSON string.
        const std::uint8_t quote =
            quoted_key && s_[i] == ':' ? (escaped ? quote_escaped : quote_plain) : quote_none;
        return emit(v, e, detector::secret, quote);
    }

    [[nodiscard]] bool already_redacted(std::size_t v) const noexcept {
        const std::string_view rest{s_ + v, n_ - v};
        return rest.starts_with("[REDACTED") || rest.starts_with("[HMAC:");
    }

    // -- '+': E.164 ------------------------------------------------------------------------
    std::size_t on_plus(std::size_t i) {
        if (!m_.on(detector::phone) || !boundary(i) || i + 1 >= n_ || s_[i + 1] < '1' ||
            s_[i + 1] > '9') {
            return i + 1;
        }
        std::size_t j = i + 1;
        std::size_t count = 0;
        std::size_t end = j;
        bool paren = false;
        while (j < n_) {
            const char c = s_[j];
            if (is_digit(c)) {
                ++count;
                end = ++j;
            } else if ((c == ' ' || c == '-' || c == '.') && j + 1 < n_ &&
                       (is_digit(s_[j + 1]) || (s_[j + 1] == '(' && !paren)) &&
                       (is_digit(s_[j - 1]) || s_[j - 1] == ')')) {
                ++j;
            } else if (c == '(' && !paren && j + 1 < n_ && is_digit(s_[j + 1])) {
                paren = true;
                ++j;
            } else if (c == ')' && paren) {
                paren = false;
                end = ++j;
            } else {
                break;
            }
        }
        if (paren || count < 8 || count > 15 || !end_boundary(end)) {
            return i + 1;
        }
        return emit(i, end, detector::phone);
    }

    // -- '(': (415) 555-2671 ---------------------------------------------------------------
    std::size_t on_paren(std::size_t i) {
        if (!m_.on(detector::phone) || i + 13 > n_) {
            return i + 1;
        }
        const char* p = s_ + i;
        const auto digits_at = [&](std::size_t at, std::size_t count) {
            return std::all_of(p + at, p + at + count, is_digit);
        };
        if (!digits_at(1, 3) || p[1] < '2' || p[4] != ')') {
            return i + 1;
        }
        std::size_t k = 5;
        if (p[k] == ' ') {
            ++k;
        }
        if (i + k + 8 > n_ || !digits_at(k, 3) || p[k] < '2' ||
            (p[k + 3] != '-' && p[k + 3] != '.' && p[k + 3] != ' ') || !digits_at(k + 4, 4) ||
            !end_boundary(i + k + 8)) {
            return i + 1;
        }
        return emit(i, i + k + 8, detector::phone);
    }

    // -- custom detectors --------------------------------------------------------------------
    std::size_t try_custom(std::size_t i) {
        std::uint32_t bits = m_.custom_first[static_cast<unsigned char>(s_[i])];
        while (bits != 0) {
            const auto idx = static_cast<std::size_t>(__builtin_ctz(bits));
            bits &= bits - 1;
            const auto& d = m_.custom[idx];
            if (d.mode == redact_mode::off || n_ - i < d.prefix.size() ||
                std::memcmp(s_ + i, d.prefix.data(), d.prefix.size()) != 0) {
                continue;
            }
            const std::size_t b = i + d.prefix.size();
            std::size_t j = b;
            while (j < n_ && j - b <= d.max_length && d.body[static_cast<unsigned char>(s_[j])]) {
                ++j;
            }
            if (j - b < d.min_length || j - b > d.max_length) {
                continue;
            }
            if (d.validator && !d.validator(std::string_view{s_ + i, j - i})) {
                continue;
            }
            return emit_index(i, j, builtin_detector_count + idx, quote_none);
        }
        return none;
    }

    const detail::redactor_state& m_;
    const char* s_;
    std::size_t n_;
    Sink& sink_;
    std::size_t floor_ = 0;      // nothing before this is scanned backwards again
    std::size_t ipv6_tried_ = 0; // no IPv6 candidate starts before this
};

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex16(std::string& out, std::uint16_t v) {
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        const auto nibble = static_cast<unsigned>(v >> shift) & 0xFU;
        if (nibble != 0 || started || shift == 0) {
            out += hex_digits[nibble];
            started = true;
        }
    }
}

// The last four digits (or letters and digits) of `text`.
std::string_view last_four(std::string_view text, bool alnum, std::array<char, 4>& buf) {
    std::size_t k = 4;
    for (auto it = text.rbegin(); it != text.rend() && k > 0; ++it) {
        if (is_digit(*it) || (alnum && is_alpha(*it))) {
            buf[--k] = *it;
        }
    }
    return {buf.data() + k, 4 - k};
}

} // namespace

void detail::redactor_state::append_replacement(std::string& out, std::size_t det,
                                                std::string_view text, std::uint8_t quote) const {
    const std::string_view label = name(det);
    const std::string_view quote_text = quote == quote_escaped ? "\\\""
                                        : quote == quote_plain ? "\""
                                                               : "";
    out += quote_text;
    const redact_mode mode = modes[det];
    bool done = false;
    if (mode == redact_mode::pseudonymize) {
        std::string value;
        value.reserve(label.size() + 1 + text.size());
        value.append(label).append(1, ':');
        switch (det < builtin_detector_count ? static_cast<detector>(det) : detector::secret) {
        case detector::card:
        case detector::phone:
        case detector::ssn:
            for (const char c : text) {
                if (is_digit(c)) {
                    value += c;
                }
            }
            break;
        case detector::iban:
            for (const char c : text) {
                if (is_alnum(c)) {
                    value += c;
                }
            }
            break;
        case detector::email:
        case detector::ipv4:
        case detector::ipv6:
            for (const char c : text) {
                value += to_lower(c);
            }
            break;
        default: value.append(text);
        }
        const auto mac = config.pseudonymizer->digest(value);
        out.append("[HMAC:").append(label).append(1, ':');
        for (std::size_t k = 0; k < config.pseudonym_hex_chars / 2; ++k) {
            out += hex_digits[mac[k] >> 4];
            out += hex_digits[mac[k] & 0xF];
        }
        out += ']';
        done = true;
    } else if (mode == redact_mode::partial && det < builtin_detector_count) {
        std::array<char, 4> buf{};
        std::string kept;
        switch (static_cast<detector>(det)) {
        case detector::card:
        case detector::phone:
        case detector::ssn: kept = last_four(text, false, buf); break;
        case detector::iban: kept = last_four(text, true, buf); break;
        case detector::email: kept = text.substr(text.rfind('@') + 1); break;
        case detector::ipv4: {
            std::array<int, 4> v{};
            (void)parse_ipv4(text.data(), 0, text.size(), &v);
            const std::size_t keep = config.ipv4_prefix_bits / 8;
            for (std::size_t k = 0; k < 4; ++k) {
                if (k > 0) {
                    kept += '.';
                }
                kept += std::to_string(k < keep ? v[k] : 0);
            }
            kept += '/';
            kept += std::to_string(config.ipv4_prefix_bits);
            break;
        }
        case detector::ipv6: {
            std::array<std::uint16_t, 8> v{};
            bool digit = false;
            int groups = 0;
            (void)parse_ipv6(text.data(), 0, text.size(), &v, &digit, &groups);
            const std::size_t keep = config.ipv6_prefix_bits / 16;
            for (std::size_t k = 0; k < keep; ++k) {
                if (k > 0) {
                    kept += ':';
                }
                append_hex16(kept, v[k]);
            }
            kept += "::/";
            kept += std::to_string(config.ipv6_prefix_bits);
            break;
        }
        default: break;
        }
        if (!kept.empty()) {
            out.append("[REDACTED:").append(label).append(1, ':').append(kept).append(1, ']');
            done = true;
        }
    }
    if (!done) {
        out.append("[REDACTED:").append(label).append(1, ']');
    }
    out += quote_text;
}

namespace {

struct replace_sink {
    const detail::redactor_state& m;
    std::string_view in;
    std::string& out;
    redaction_counts* counts; // may be null; a failed line may have counted some matches
    std::size_t copied = 0;
    bool started = false;

    void operator()(std::size_t b, std::size_t e, std::size_t det, std::uint8_t quote) {
        if (!started) {
            out.clear();
            out.reserve(in.size() + 64);
            started = true;
        }
        out.append(in.data() + copied, b - copied);
        m.append_replacement(out, det, in.substr(b, e - b), quote);
        copied = e;
        if (counts != nullptr) {
            ++counts->by_detector[det];
        }
    }
};

struct find_sink {
    std::vector<redaction_match>& matches;

    void operator()(std::size_t b, std::size_t e, std::size_t det, std::uint8_t /*quote*/) {
        matches.push_back({b, e, det});
    }
};

} // namespace

redactor::redactor() : redactor(redactor_config{}) {}

redactor::redactor(redactor_config config)
    : impl_(std::make_unique<const detail::redactor_state>(std::move(config))) {}

redactor::redactor(redactor&&) noexcept = default;
redactor& redactor::operator=(redactor&&) noexcept = default;
redactor::~redactor() = default;

redact_status redactor::redact(std::string_view in, std::string& out,
                               redaction_counts* counts) const noexcept {
    try {
        replace_sink sink{*impl_, in, out, counts};
        scanner<replace_sink> scan(*impl_, in, sink);
        scan.run();
        if (!sink.started) {
            return redact_status::clean;
        }
        out.append(in.data() + sink.copied, in.size() - sink.copied);
        return redact_status::redacted;
    } catch (...) {
        return redact_status::failed;
    }
}

std::string redactor::redact(std::string_view in) const {
    std::string out;
    replace_sink sink{*impl_, in, out, nullptr};
    scanner<replace_sink> scan(*impl_, in, sink);
    scan.run();
    if (!sink.started) {
        return std::string{in};
    }
    out.append(in.data() + sink.copied, in.size() - sink.copied);
    return out;
}

void redactor::find(std::string_view in, std::vector<redaction_match>& matches) const {
    find_sink sink{matches};
    scanner<find_sink> scan(*impl_, in, sink);
    scan.run();
}

bool redactor::sensitive_field(std::string_view name) const noexcept {
    return impl_->keys.match_backward(name.data(), name.size(), 0) != 0;
}

std::string_view redactor::detector_name(std::size_t index) const noexcept {
    return impl_->name(index);
}

std::size_t redactor::detector_count() const noexcept {
    return builtin_detector_count + impl_->custom.size();
}

} // namespace bulwark
