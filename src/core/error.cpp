#include <bulwark/core/error.hpp>

#include <string>

namespace bulwark {
namespace {

class category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "bulwark"; }

    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<error>(value)) {
        case error::invalid_config: return "invalid configuration";
        case error::rate_limited: return "rate limit exceeded";
        case error::concurrency_limited: return "concurrency limit reached";
        case error::queue_full: return "wait queue is full";
        case error::circuit_open: return "circuit breaker is open";
        case error::retries_exhausted: return "retry attempts exhausted";
        case error::retry_budget_exhausted: return "retry budget exhausted";
        case error::deadline_exceeded: return "deadline exceeded";
        case error::header_too_large: return "request header too large";
        case error::body_too_large: return "request body too large";
        case error::uri_too_long: return "request target too long";
        case error::invalid_traceparent: return "invalid traceparent header";
        case error::health_check_failed: return "health check failed";
        case error::shutting_down: return "server is shutting down";
        case error::store_not_connected: return "not connected to the shared store";
        case error::store_timeout: return "shared store did not answer in time";
        case error::store_connection_lost: return "connection to the shared store lost";
        case error::store_busy: return "too many commands pending on the shared store";
        case error::store_protocol_error: return "shared store protocol error";
        case error::store_auth_failed: return "shared store refused authentication";
        }
        return "unknown bulwark error " + std::to_string(value);
    }
};

} // namespace

const std::error_category& error_category() noexcept {
    // A function-local static: constant-initialised, no destruction-order hazard, one
    // instance per process because this function is exported from bulwark::core.
    static const category_impl instance;
    return instance;
}

void throw_invalid_config(std::string_view field, std::string_view reason) {
    std::string what;
    what.reserve(field.size() + reason.size() + 2);
    what.append(field).append(": ").append(reason);
    throw std::system_error(make_error_code(error::invalid_config), what);
}

} // namespace bulwark
