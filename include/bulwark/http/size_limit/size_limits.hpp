#ifndef BULWARK_HTTP_SIZE_LIMIT_SIZE_LIMITS_HPP
#define BULWARK_HTTP_SIZE_LIMIT_SIZE_LIMITS_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace bulwark::http {

/// Configuration of the size_limits middleware.
struct size_limits_config {
    /// Bytes of the request target (path and query). Beyond it: 414. Default 8 KiB (what
    /// browsers and proxies reliably pass). 0 is invalid.
    std::size_t max_url_bytes = 8 * 1024;
    /// Header fields in one request. Beyond it: 431. Default 100 (Envoy's default).
    /// 0 is invalid.
    std::size_t max_header_count = 100;
    /// Body bytes for routes without an override. Default 1 MiB. 0: no body accepted.
    std::uint64_t max_body_bytes = 1024 * 1024;
    /// Per-route body limits by route template ("/upload"), raising or lowering the default.
    /// Default: none.
    std::vector<std::pair<std::string, std::uint64_t>> route_body_bytes = {};
    /// false: shadow mode. Nothing is rejected and no limit is changed; would-be rejections
    /// are counted (and recorded on the context). Default true.
    bool enforce = true;
};

/// Counters of a size_limits middleware.
struct size_limits_stats {
    std::uint64_t uri_too_long = 0;     ///< 414 (or would-be, in shadow mode)
    std::uint64_t too_many_headers = 0; ///< 431
    std::uint64_t body_too_large = 0;   ///< Content-Length over the limit: 413
};

/**
 * Middleware: request-size limits in the header phase, before any body byte is read.
 *
 * - URL longer than max_url_bytes: 414 URI Too Long.
 * - More than max_header_count fields: 431 Request Header Fields Too Large. (The header's
 *   total size is bounded earlier, while parsing, by session_config::header_limit.)
 * - Sets the request's body limit to the route's limit (route_body_bytes) or max_body_bytes.
 *   This is the one middleware allowed to raise the session's default: it is where the
 *   operator states what each route accepts. A Content-Length above it is answered 413 before
 *   any body byte is read; a chunked body is cut off with 413 as soon as it exceeds the limit,
 *   so a 10 GB upload costs at most the limit.
 *
 * @par Thread Safety
 * The hooks are thread-safe; counters are relaxed atomics.
 */
class size_limits {
public:
    /// @throws std::system_error naming the bad field of `config`.
    BULWARK_HTTP_API explicit size_limits(size_limits_config config = {});

    [[nodiscard]] BULWARK_HTTP_API static std::error_code
    validate(const size_limits_config& config, config_issue* issue = nullptr) noexcept;

    BULWARK_HTTP_API action on_header(request_context& ctx, request_header& h);

    [[nodiscard]] BULWARK_HTTP_API size_limits_stats stats() const noexcept;

private:
    struct counters {
        std::atomic<std::uint64_t> uri_too_long{0};
        std::atomic<std::uint64_t> too_many_headers{0};
        std::atomic<std::uint64_t> body_too_large{0};
    };
    size_limits_config config_;
    std::shared_ptr<counters> counters_ = std::make_shared<counters>();
};

} // namespace bulwark::http

#endif
