// The redactor's validators: Luhn for card numbers, IBAN length + mod 97-10, SSN ranges, with
// the edge cases that separate PII from look-alike numbers.
#include <bulwark/core/redact/checksums.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("luhn_valid accepts card numbers and refuses look-alikes", "[redact][checksum]") {
    // Test numbers the card networks publish: Visa, Amex (15), Mastercard, Discover, JCB,
    // UnionPay, Visa debit.
    for (const char* card :
         {"4111111111111111", "378282246310005", "5555555555554444", "6011111111111117",
          "3530111333300000", "6200000000000005", "4000056655665556"}) {
        INFO(card);
        CHECK(bulwark::luhn_valid(card));
    }
    CHECK_FALSE(bulwark::luhn_valid("4111111111111112"));     // one digit off
    CHECK_FALSE(bulwark::luhn_valid("1234567812345678"));     // an order id: fails Luhn
    CHECK_FALSE(bulwark::luhn_valid("79927398713"));          // passes Luhn, but 11 digits
    CHECK_FALSE(bulwark::luhn_valid("41111111111111110000")); // 20 digits
    CHECK_FALSE(bulwark::luhn_valid("4111 1111 1111 1111"));  // separators are the caller's
    CHECK_FALSE(bulwark::luhn_valid(""));
    // Every single-digit change of a valid number is caught.
    std::string card = "5555555555554444";
    for (std::size_t i = 0; i < card.size(); ++i) {
        const char original = card[i];
        for (char d = '0'; d <= '9'; ++d) {
            if (d != original) {
                card[i] = d;
                CHECK_FALSE(bulwark::luhn_valid(card));
            }
        }
        card[i] = original;
    }
}

TEST_CASE("iban_valid checks the country's length and mod 97-10", "[redact][checksum]") {
    for (const char* iban :
         {"GB82WEST12345698765432", "DE89370400440532013000", "NL91ABNA0417164300",
          "FR1420041010050500013M02606", "NO9386011117947", "BE68539007547034",
          "MT84MALT011000012345MTLCAST001S", "LC55HEMM000100010012001200023015",
          "UA213223130000026007233566001", "XK051212012345678906"}) {
        INFO(iban);
        CHECK(bulwark::iban_valid(iban));
    }
    CHECK_FALSE(bulwark::iban_valid("DE89370400440532013001"));      // last digit changed
    CHECK_FALSE(bulwark::iban_valid("DE8937040044053201300"));       // one short for DE
    CHECK_FALSE(bulwark::iban_valid("DE893704004405320130000"));     // one long
    CHECK_FALSE(bulwark::iban_valid("de89370400440532013000"));      // lower case
    CHECK_FALSE(bulwark::iban_valid("GB82 WEST 1234 5698 7654 32")); // spaces: the caller's
    CHECK_FALSE(bulwark::iban_valid("XX89370400440532013000"));      // no such country
    CHECK_FALSE(bulwark::iban_valid("GB82west12345698765432"));      // lower-case BBAN
    CHECK_FALSE(bulwark::iban_valid(""));
    CHECK_FALSE(bulwark::iban_valid("DE"));
    // Check digits 00, 01 and 99 are never issued, whatever the remainder says.
    CHECK_FALSE(bulwark::iban_valid("DE00370400440532013000"));
    CHECK_FALSE(bulwark::iban_valid("DE99370400440532013000"));

    CHECK(bulwark::iban_length("DE") == 22);
    CHECK(bulwark::iban_length("NO") == 15);
    CHECK(bulwark::iban_length("LC") == 32);
    CHECK(bulwark::iban_length("YE") == 30);
    CHECK(bulwark::iban_length("AD") == 24);
    CHECK(bulwark::iban_length("US") == 0);
    CHECK(bulwark::iban_length("de") == 0);
    CHECK(bulwark::iban_length("D") == 0);
}

TEST_CASE("ssn_valid keeps to the issued ranges", "[redact][checksum]") {
    CHECK(bulwark::ssn_valid("123456789"));
    CHECK(bulwark::ssn_valid("001010001"));
    CHECK(bulwark::ssn_valid("899999999"));
    CHECK_FALSE(bulwark::ssn_valid("000123456"));   // area 000
    CHECK_FALSE(bulwark::ssn_valid("666123456"));   // area 666
    CHECK_FALSE(bulwark::ssn_valid("900123456"));   // 9xx: ITINs, not SSNs
    CHECK_FALSE(bulwark::ssn_valid("123006789"));   // group 00
    CHECK_FALSE(bulwark::ssn_valid("123450000"));   // serial 0000
    CHECK_FALSE(bulwark::ssn_valid("078051120"));   // the Woolworth wallet card
    CHECK_FALSE(bulwark::ssn_valid("219099999"));   // an advertisement's
    CHECK_FALSE(bulwark::ssn_valid("123-45-6789")); // dashes: the caller's
    CHECK_FALSE(bulwark::ssn_valid("12345678"));
}
