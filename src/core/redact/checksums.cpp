#include <bulwark/core/redact/checksums.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace bulwark {

namespace {

bool all_digits(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool upper(char c) noexcept {
    return c >= 'A' && c <= 'Z';
}

struct country_length {
    char code[3];
    unsigned char length;
};

// IBAN lengths from the SWIFT IBAN registry, sorted by country code.
constexpr country_length iban_lengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
    {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
    {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

constexpr bool code_less(const country_length& a, const country_length& b) noexcept {
    return std::string_view{a.code, 2} < std::string_view{b.code, 2};
}
static_assert(std::is_sorted(std::begin(iban_lengths), std::end(iban_lengths), code_less),
              "iban_lengths must stay sorted: it is searched by bisection");

} // namespace

bool luhn_valid(std::string_view digits) noexcept {
    if (digits.size() < 13 || digits.size() > 19 || !all_digits(digits)) {
        return false;
    }
    unsigned sum = 0;
    bool twice = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        unsigned d = static_cast<unsigned>(*it - '0');
        if (twice) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
        twice = !twice;
    }
    return sum % 10 == 0;
}

std::size_t iban_length(std::string_view country) noexcept {
    if (country.size() != 2 || !upper(country[0]) || !upper(country[1])) {
        return 0;
    }
    const country_length key{{country[0], country[1], '\0'}, 0};
    const auto* it =
        std::lower_bound(std::begin(iban_lengths), std::end(iban_lengths), key, code_less);
    return it != std::end(iban_lengths) && std::string_view{it->code, 2} == country ? it->length
                                                                                    : 0;
}

bool iban_valid(std::string_view iban) noexcept {
    if (iban.size() < 4 || iban_length(iban.substr(0, 2)) != iban.size() ||
        !all_digits(iban.substr(2, 2))) {
        return false;
    }
    const unsigned check = static_cast<unsigned>((iban[2] - '0') * 10 + (iban[3] - '0'));
    if (check < 2 || check > 98) {
        return false;
    }
    // The check moves the first four characters to the end and reads letters as 10-35; the
    // remainder is carried digit by digit, so no big number is needed.
    std::uint32_t remainder = 0;
    const auto feed = [&remainder](char c) noexcept {
        if (c >= '0' && c <= '9') {
            remainder = (remainder * 10 + static_cast<std::uint32_t>(c - '0')) % 97;
            return true;
        }
        if (upper(c)) {
            remainder = (remainder * 100 + static_cast<std::uint32_t>(c - 'A' + 10)) % 97;
            return true;
        }
        return false;
    };
    for (std::size_t i = 4; i < iban.size(); ++i) {
        if (!feed(iban[i])) {
            return false;
        }
    }
    for (std::size_t i = 0; i < 4; ++i) {
        (void)feed(iban[i]);
    }
    return remainder == 1;
}

bool ssn_valid(std::string_view digits) noexcept {
    if (digits.size() != 9 || !all_digits(digits)) {
        return false;
    }
    const auto area = digits.substr(0, 3);
    if (area == "000" || area == "666" || area[0] == '9' || digits.substr(3, 2) == "00" ||
        digits.substr(5) == "0000") {
        return false;
    }
    return digits != "078051120" && digits != "219099999";
}

} // namespace bulwark
