#ifndef BULWARK_CORE_REDACT_CHECKSUMS_HPP
#define BULWARK_CORE_REDACT_CHECKSUMS_HPP

#include <bulwark/config.hpp>

#include <cstddef>
#include <string_view>

/// The validators that make the redactor's number detectors precise: a digit run is a payment
/// card only if it passes Luhn, an account number is an IBAN only if its country's length and
/// the ISO 7064 mod 97-10 check agree, and a nine-digit number is a US SSN only in the ranges
/// the SSA issues. Each takes the candidate with its separators already removed, allocates
/// nothing, and is safe on any input.
namespace bulwark {

/// Whether `digits` (only '0'-'9', 13 to 19 of them: the card lengths of ISO/IEC 7812) passes
/// the Luhn check. Anything else is false.
[[nodiscard]] BULWARK_CORE_API bool luhn_valid(std::string_view digits) noexcept;

/// The length of an IBAN of the ISO 3166 country code `country` ("DE": 22), from the IBAN
/// registry, or 0 for a country without IBANs (or not in bulwark's table: those are not
/// detected, erring towards precision).
[[nodiscard]] BULWARK_CORE_API std::size_t iban_length(std::string_view country) noexcept;

/// Whether `iban` (no spaces; country letters upper case, the rest upper-case letters and
/// digits) has its country's length, two check digits from 02 to 98, and passes mod 97-10
/// (ISO 7064), computed incrementally without big numbers.
[[nodiscard]] BULWARK_CORE_API bool iban_valid(std::string_view iban) noexcept;

/// Whether `digits` (exactly nine digits, no dashes) is a US Social Security number in the
/// ranges ever issued: area 001-899 except 666, group 01-99, serial 0001-9999; the numbers
/// the SSA voided after they were published (078-05-1120, 219-09-9999) are excluded.
[[nodiscard]] BULWARK_CORE_API bool ssn_valid(std::string_view digits) noexcept;

} // namespace bulwark

#endif
