#ifndef BULWARK_TELEMETRY_LOG_LOG_CONTEXT_HPP
#define BULWARK_TELEMETRY_LOG_LOG_CONTEXT_HPP

#include <bulwark/config.hpp>

#include <string>

namespace bulwark::telemetry {

/**
 * What every log line written while handling one request carries: the request id, trace and
 * span ids, client IP, user id and route. Empty members are left out of the line. client_ip
 * and user_id go through the redactor like any other string (an IP is masked unless the ipv4
 * or ipv6 detector is set to partial or off).
 */
struct log_context {
    std::string request_id = {};
    std::string trace_id = {};
    std::string span_id = {};
    std::string client_ip = {};
    std::string user_id = {};
    std::string route = {};
};

/// The context the calling thread is working for, or nullptr: what `scoped_log_context`
/// installed last on this thread.
[[nodiscard]] BULWARK_TELEMETRY_API const log_context* current_log_context() noexcept;

/**
 * Makes `context` the calling thread's current log context until destruction, then restores
 * the previous one (scopes nest).
 *
 * A thread-local value does not follow a coroutine that resumes on another thread. The HTTP
 * layer solves that by installing the scope around every step the request's coroutine runs:
 * `bulwark::http::with_log_context` wraps the executor the session's coroutine runs on, so
 * each resumption, on whichever thread, first installs the request's context (see
 * docs/logging.md). Code that hands work to other executors passes the context along
 * explicitly, or installs a scope there.
 *
 * @par Thread Safety
 * Affects only the calling thread. `context` must outlive the scope.
 */
class BULWARK_TELEMETRY_API scoped_log_context {
public:
    explicit scoped_log_context(const log_context* context) noexcept;
    explicit scoped_log_context(const log_context& context) noexcept
        : scoped_log_context(&context) {}
    scoped_log_context(const scoped_log_context&) = delete;
    scoped_log_context& operator=(const scoped_log_context&) = delete;
    ~scoped_log_context();

private:
    const log_context* previous_;
};

} // namespace bulwark::telemetry

#endif
