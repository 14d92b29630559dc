#ifndef BULWARK_CORE_REDACT_KEYED_HASH_HPP
#define BULWARK_CORE_REDACT_KEYED_HASH_HPP

#include <bulwark/config.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace bulwark {

/**
 * A keyed hash for the redactor's `pseudonymize` mode: a message authentication code of a
 * value under a secret key.
 *
 * Core is standard-library only, so it names the interface and the telemetry layer supplies
 * the implementation on OpenSSL: `bulwark::telemetry::make_hmac_sha256(key)`. Users with their
 * own key management (an HSM, a KMS) implement it themselves.
 *
 * @par Thread Safety
 * `digest` is called concurrently from every thread that redacts; implementations must be
 * safe for that (the OpenSSL one keeps no mutable shared state).
 */
class BULWARK_CORE_API keyed_hash {
public:
    keyed_hash() = default;
    keyed_hash(const keyed_hash&) = delete;
    keyed_hash& operator=(const keyed_hash&) = delete;
    virtual ~keyed_hash();

    /// The 32-byte MAC of `value`. May throw (for example std::bad_alloc); the redactor then
    /// fails closed.
    [[nodiscard]] virtual std::array<std::uint8_t, 32> digest(std::string_view value) const = 0;
};

} // namespace bulwark

#endif
