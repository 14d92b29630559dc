#ifndef BULWARK_HTTP_RATE_LIMIT_IN_FLIGHT_LIMIT_HPP
#define BULWARK_HTTP_RATE_LIMIT_IN_FLIGHT_LIMIT_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/rate_limit/concurrency_limiter.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace bulwark::http {

/// Configuration of the in_flight_limit middleware.
struct in_flight_limit_config {
    /// Requests being processed at once (header read to response written). Default 1024.
    /// 0 is invalid.
    std::uint32_t max_in_flight = 1024;
    /// Retry-After sent with the 503. Default 1 s. 0: header omitted.
    std::chrono::seconds retry_after = std::chrono::seconds{1};
    /// false: shadow mode; nothing is refused, would-be 503s are counted. Default true.
    bool enforce = true;
};

struct in_flight_limit_stats {
    std::uint32_t in_flight = 0; ///< now
    std::uint64_t refused = 0;   ///< 503s sent (or would-be, in shadow mode)
    std::uint64_t admitted = 0;  ///< requests let in under the limit
};

/**
 * Middleware: at most max_in_flight requests in progress; beyond it 503 Service Unavailable
 * with Retry-After, decided in the header phase before any body byte is read.
 *
 * Load shedding at the front door keeps latency bounded when the server is saturated: a
 * request that would wait behind a thousand others is better refused at once (the client or
 * its load balancer retries elsewhere) than served after its caller gave up. The permit is
 * held by the request's context and released when the request completes, whatever happened.
 *
 * @par Thread Safety
 * The hooks are thread-safe (a lock-free counter).
 */
class in_flight_limit {
public:
    /// @throws std::system_error naming "in_flight_limit_config.max_in_flight" when it is 0.
    BULWARK_HTTP_API explicit in_flight_limit(in_flight_limit_config config = {});

    BULWARK_HTTP_API action on_header(request_context& ctx, request_header& h);
    BULWARK_HTTP_API void on_response(request_context& ctx, response& res);

    [[nodiscard]] BULWARK_HTTP_API in_flight_limit_stats stats() const noexcept;
    [[nodiscard]] BULWARK_HTTP_API const in_flight_limit_config& config() const noexcept;

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace bulwark::http

#endif
