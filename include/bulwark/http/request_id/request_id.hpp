#ifndef BULWARK_HTTP_REQUEST_ID_REQUEST_ID_HPP
#define BULWARK_HTTP_REQUEST_ID_REQUEST_ID_HPP

#include <bulwark/config.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bulwark::http {

/**
 * Makes request ids that are unique without coordination: a random 64-bit instance prefix
 * (from std::random_device, so two processes or two restarts do not collide) and a per-process
 * counter, written as 16 + up to 16 lower-case hex digits joined by '-' ("9f86d081884c7d65-2a").
 *
 * Generating one is a relaxed atomic increment and a hex conversion (no allocation, no lock),
 * cheap enough to do for every request. The ids are unique, not secret: they are sequential
 * within a process and must not be used as capabilities.
 *
 * @par Thread Safety
 * generate() is thread-safe.
 */
class request_id_generator {
public:
    /// Longest id generate() writes.
    static constexpr std::size_t max_size = 33;

    /// An instance prefix drawn from std::random_device.
    BULWARK_HTTP_API request_id_generator();
    /// A fixed instance prefix, for tests.
    explicit request_id_generator(std::uint64_t prefix) noexcept : prefix_{prefix} {}

    /// Writes the next id into `out` and returns its length.
    BULWARK_HTTP_API std::size_t generate(std::span<char, max_size> out) noexcept;

    /// The generator contexts use when the session names none.
    [[nodiscard]] BULWARK_HTTP_API static request_id_generator& process_default();

private:
    std::uint64_t prefix_;
    std::atomic<std::uint64_t> next_{1};
};

/**
 * Whether `id` is acceptable as an incoming request id: 1 to
 * request_context::max_request_id_size characters, each a letter, digit or one of "-_.:+=/@".
 * That admits UUIDs, ULIDs, base64 and the ids proxies generate, and refuses what would break
 * a log line or a header (spaces, quotes, control characters, non-ASCII).
 */
[[nodiscard]] BULWARK_HTTP_API bool is_valid_request_id(std::string_view id) noexcept;

/// Configuration of the request_id middleware.
struct request_id_config {
    /// Header carrying the id, read from requests and written on responses.
    /// Default "X-Request-Id".
    std::string header = "X-Request-Id";
    /// Accept a valid incoming id (from a proxy or the client). Default true; set false when
    /// untrusted clients could choose ids that collide with others' in your logs.
    bool trust_incoming = true;
    /// Write the id on every response. Default true.
    bool echo = true;
};

/**
 * Middleware: gives every request an id and echoes it.
 *
 * Header phase: a valid incoming id (is_valid_request_id) becomes the request's id when
 * trust_incoming is set; an invalid one is ignored, never echoed. Response phase: writes
 * the id (the accepted one, or one generated on first use) into the configured header. The
 * problem+json body of a rejection carries the same id as "requestId".
 *
 * @par Thread Safety
 * The hooks are thread-safe.
 */
class request_id {
public:
    BULWARK_HTTP_API explicit request_id(request_id_config config = {});

    BULWARK_HTTP_API action on_header(request_context& ctx, request_header& h);
    BULWARK_HTTP_API void on_response(request_context& ctx, response& res);

private:
    request_id_config config_;
};

} // namespace bulwark::http

#endif
