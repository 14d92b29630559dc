// A TLS certificate made at test time, in memory: no fixture files, no expiry surprises.
#ifndef BULWARK_TESTS_SUPPORT_TEST_CERTIFICATE_HPP
#define BULWARK_TESTS_SUPPORT_TEST_CERTIFICATE_HPP

#include <string>

namespace bulwark::test {

struct test_certificate {
    std::string cert_pem; ///< X.509 v3, self-signed, subject CN=localhost, valid for a day
    std::string key_pem;  ///< its EC P-256 private key
};

/// Makes a new self-signed certificate for the name "localhost" (subject CN only, no
/// subjectAltName). Fails the current test if OpenSSL refuses.
test_certificate make_test_certificate();

} // namespace bulwark::test

#endif
