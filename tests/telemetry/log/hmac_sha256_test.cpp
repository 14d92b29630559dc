// HMAC-SHA256 for pseudonymization: RFC 4231 vectors, key rules, key files, and the redactor
// wired to it end to end.
#include <bulwark/core/redact/redactor.hpp>
#include <bulwark/telemetry/log/hmac_sha256.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <system_error>

namespace {

std::string hex(const std::array<std::uint8_t, 32>& d) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto b : d) {
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    return out;
}

} // namespace

TEST_CASE("make_hmac_sha256 matches RFC 4231", "[log][hmac]") {
    // RFC 4231 test case 1: key 0x0b x 20, data "Hi There".
    const auto mac = bulwark::telemetry::make_hmac_sha256(std::string(20, '\x0b'));
    CHECK(hex(mac->digest("Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 6: a 131-byte key (longer than the block, so it is hashed first).
    const auto long_key = bulwark::telemetry::make_hmac_sha256(std::string(131, '\xaa'));
    CHECK(hex(long_key->digest("Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("short HMAC keys are refused by name", "[log][hmac][config]") {
    CHECK_THROWS_WITH(bulwark::telemetry::make_hmac_sha256("Jefe"), Catch::Contains("hmac_key"));
    CHECK_NOTHROW(bulwark::telemetry::make_hmac_sha256(std::string(16, 'k')));
}

TEST_CASE("read_key_file strips one trailing newline and names a missing file", "[log][hmac]") {
    const std::string path = "bulwark_hmac_key_test.key";
    {
        std::ofstream out{path, std::ios::binary};
        out << "0123456789abcdef0123456789abcdef\r\n";
    }
    CHECK(bulwark::telemetry::read_key_file(path) == "0123456789abcdef0123456789abcdef");
    std::remove(path.c_str());
    CHECK_THROWS_WITH(bulwark::telemetry::read_key_file("/nonexistent/bulwark.key"),
                      Catch::Contains("/nonexistent/bulwark.key"));
}

TEST_CASE("pseudonyms are keyed: same value same token, another key another token", "[log][hmac]") {
    const auto make = [](std::string key) {
        return bulwark::redactor{bulwark::redactor_config{
            .modes = bulwark::detector_modes::all(bulwark::redact_mode::pseudonymize),
            .pseudonymizer = bulwark::telemetry::make_hmac_sha256(std::move(key))}};
    };
    const auto a = make(std::string(32, 'a'));
    const auto b = make(std::string(32, 'b'));
    const auto line = "user alice@example.com paid with 4111 1111 1111 1111";
    const auto once = a.redact(line);
    CHECK(once == a.redact("user Alice@Example.com paid with 4111-1111-1111-1111"));
    CHECK(once != b.redact(line));
    CHECK(once.find("alice") == std::string::npos);
    CHECK(once.find("4111") == std::string::npos);
    // The token is the truncated HMAC of "label:normalized value".
    const auto mac = bulwark::telemetry::make_hmac_sha256(std::string(32, 'a'));
    CHECK(once.find("[HMAC:email:" + hex(mac->digest("email:alice@example.com")).substr(0, 16) +
                    "]") != std::string::npos);
}
