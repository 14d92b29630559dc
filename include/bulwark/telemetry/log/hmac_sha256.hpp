#ifndef BULWARK_TELEMETRY_LOG_HMAC_SHA256_HPP
#define BULWARK_TELEMETRY_LOG_HMAC_SHA256_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/redact/keyed_hash.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace bulwark::telemetry {

/// The shortest HMAC key `make_hmac_sha256` accepts, in bytes (128 bits).
inline constexpr std::size_t min_hmac_key_bytes = 16;

/**
 * The redactor's keyed hash for `redact_mode::pseudonymize`: HMAC-SHA256 (RFC 2104, FIPS
 * 180-4) on OpenSSL's libcrypto.
 *
 * Keep the key secret and stable: whoever holds it can confirm a guessed value, and a new key
 * gives every value a new pseudonym (correlation across the rotation is lost, which is also
 * how to retire old pseudonyms). 32 random bytes is the recommended size
 * (`head -c 32 /dev/urandom > key`).
 *
 * @param key raw key bytes, at least `min_hmac_key_bytes`; the copy kept is wiped on
 *        destruction.
 * @throws std::system_error(error::invalid_config) naming "hmac_key" when the key is shorter.
 *
 * @par Thread Safety
 * The returned object is immutable; `digest` may run on any number of threads at once.
 */
[[nodiscard]] BULWARK_TELEMETRY_API std::shared_ptr<const keyed_hash>
make_hmac_sha256(std::string key);

/**
 * Reads a key file for `make_hmac_sha256`: the whole file, with one trailing "\n" or "\r\n"
 * removed so `echo`-written keys work.
 *
 * @throws std::system_error naming `path` when the file cannot be read.
 */
[[nodiscard]] BULWARK_TELEMETRY_API std::string read_key_file(const std::string& path);

} // namespace bulwark::telemetry

#endif
