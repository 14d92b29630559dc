#ifndef BULWARK_CORE_RETRY_RETRY_AFTER_HPP
#define BULWARK_CORE_RETRY_RETRY_AFTER_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace bulwark {

/**
 * A server's Retry-After value (RFC 9110 section 10.2.3) as a delay: delay-seconds ("120") or an
 * IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the latter relative to `now` (a date in the past
 * is a zero delay). nullopt for anything else: a malformed hint is ignored, never guessed at.
 * Delays above one day are capped at one day.
 */
[[nodiscard]] BULWARK_CORE_API std::optional<duration>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) noexcept;

/**
 * The reset delay of the first item of a RateLimit header value (IETF draft
 * "RateLimit header fields for HTTP": `"policy";r=0;t=30` → 30 s). nullopt when there is none.
 */
[[nodiscard]] BULWARK_CORE_API std::optional<duration>
parse_ratelimit_reset(std::string_view value) noexcept;

} // namespace bulwark

#endif
