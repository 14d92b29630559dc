#include <bulwark/core/error.hpp>
#include <bulwark/telemetry/log/hmac_sha256.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

namespace bulwark::telemetry {

namespace {

class hmac_sha256 final : public keyed_hash {
public:
    explicit hmac_sha256(std::string key) : key_(std::move(key)) {}

    hmac_sha256(const hmac_sha256&) = delete;
    hmac_sha256& operator=(const hmac_sha256&) = delete;

    ~hmac_sha256() override { OPENSSL_cleanse(key_.data(), key_.size()); }

    [[nodiscard]] std::array<std::uint8_t, 32> digest(std::string_view value) const override {
        std::array<std::uint8_t, 32> out{};
        unsigned int len = 0;
        // The one-shot HMAC() keeps no state between calls, so concurrent calls are safe.
        if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
                 reinterpret_cast<const unsigned char*>(value.data()), value.size(), out.data(),
                 &len) == nullptr ||
            len != out.size()) {
            throw std::runtime_error("HMAC-SHA256 failed");
        }
        return out;
    }

private:
    std::string key_;
};

} // namespace

std::shared_ptr<const keyed_hash> make_hmac_sha256(std::string key) {
    if (key.size() < min_hmac_key_bytes) {
        OPENSSL_cleanse(key.data(), key.size());
        throw_invalid_config("hmac_key", "must be at least 16 bytes (32 random bytes recommended)");
    }
    return std::make_shared<const hmac_sha256>(std::move(key));
}

std::string read_key_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        throw std::system_error(errno != 0 ? errno : ENOENT, std::generic_category(),
                                "cannot read key file " + path);
    }
    std::string key{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (in.bad()) {
        throw std::system_error(EIO, std::generic_category(), "cannot read key file " + path);
    }
    if (!key.empty() && key.back() == '\n') {
        key.pop_back();
        if (!key.empty() && key.back() == '\r') {
            key.pop_back();
        }
    }
    return key;
}

} // namespace bulwark::telemetry
