#ifndef BULWARK_CORE_RATE_LIMIT_RATE_LIMIT_HEADERS_HPP
#define BULWARK_CORE_RATE_LIMIT_RATE_LIMIT_HEADERS_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/rate_limit/rate_decision.hpp>

#include <cstdint>
#include <string_view>

namespace bulwark {

/// A short header value in a fixed buffer: formatting one allocates nothing.
class header_value {
public:
    [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

private:
    friend BULWARK_CORE_API struct rate_limit_headers
    make_rate_limit_headers(const rate_decision&, std::string_view) noexcept;
    char data_[80] = {};
    std::uint8_t size_ = 0;
};

/**
 * The response header values for a rate_decision, per the IETF draft "RateLimit header fields
 * for HTTP" (draft-ietf-httpapi-ratelimit-headers) and RFC 9110 Retry-After:
 *
 *     RateLimit-Policy: "default";q=100;w=60
 *     RateLimit: "default";r=0;t=3
 *     Retry-After: 3
 *
 * Seconds are rounded up, so a client that waits them is never early. When a request is
 * denied, `t` equals Retry-After (the draft asks both to name the same moment); otherwise it is
 * the time until the limit is full again. Retry-After is empty when the request was admitted or
 * can never be (cost above the limit). An unlimited decision yields three empty values.
 */
struct rate_limit_headers {
    header_value policy;      ///< RateLimit-Policy
    header_value ratelimit;   ///< RateLimit
    header_value retry_after; ///< Retry-After, empty when it does not apply
};

/**
 * Formats the headers of `d` under the policy name `policy_name` (a structured-field string:
 * characters outside printable ASCII, '"' and '\\' become '_'; longer than 32 characters is
 * cut).
 *
 * @par Thread Safety
 * Reentrant.
 */
[[nodiscard]] BULWARK_CORE_API rate_limit_headers
make_rate_limit_headers(const rate_decision& d, std::string_view policy_name = "default") noexcept;

/// `d` in whole seconds rounded up (0 stays 0), saturating: the delay-seconds of HTTP headers.
[[nodiscard]] constexpr std::uint64_t ceil_seconds(duration d) noexcept {
    if (d.count() <= 0) {
        return 0;
    }
    const auto ns = static_cast<std::uint64_t>(d.count());
    return ns / 1'000'000'000u + (ns % 1'000'000'000u != 0 ? 1 : 0);
}

} // namespace bulwark

#endif
