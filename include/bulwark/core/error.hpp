#ifndef BULWARK_CORE_ERROR_HPP
#define BULWARK_CORE_ERROR_HPP

#include <bulwark/config.hpp>

#include <string_view>
#include <system_error>
#include <type_traits>

namespace bulwark {

/**
 * Every error bulwark reports, in the std::error_category named "bulwark".
 *
 * The values are stable: new errors are appended, none is renumbered, so a value logged or
 * stored by one version means the same in the next. Zero is not an error (std::error_code's
 * convention), so the first enumerator is 1.
 *
 * The asio layer uses these through boost::system::error_code, which wraps a std::error_code
 * losslessly (Boost >= 1.81): `ec == bulwark::error::rate_limited` works on either type.
 */
enum class error : int {
    invalid_config = 1,     ///< a *_config field is out of range; the exception names the field
    rate_limited,           ///< a rate limiter rejected the request
    concurrency_limited,    ///< a concurrency limiter (bulkhead) has no free permit
    queue_full,             ///< the wait queue of a limiter is full
    circuit_open,           ///< a circuit breaker does not permit the call
    retries_exhausted,      ///< every allowed attempt failed
    retry_budget_exhausted, ///< the retry budget does not allow another attempt
    deadline_exceeded,      ///< the overall deadline passed before the operation completed
    header_too_large,       ///< the request header exceeds its limit (HTTP 431)
    body_too_large,         ///< the request body exceeds its limit (HTTP 413)
    uri_too_long,           ///< the request target exceeds its limit (HTTP 414)
    invalid_traceparent,    ///< a traceparent header does not follow W3C Trace Context
    health_check_failed,    ///< a health check reported failure or did not finish in time
    shutting_down,          ///< the server is draining and accepts no new work
    store_not_connected,    ///< the shared store (Redis) has no connection; not sent
    store_timeout,          ///< the shared store did not answer within the command timeout
    store_connection_lost,  ///< the connection to the shared store broke before the reply
    store_busy,             ///< too many commands pending on the shared store's connection
    store_protocol_error,   ///< the shared store sent bytes that are not its protocol
    store_auth_failed,      ///< the shared store refused the credentials or database
};

/**
 * The category of bulwark::error: name() is "bulwark", message() a lower-case phrase.
 *
 * A single instance exists per process (it lives in bulwark::core), so comparing categories by
 * address works across shared libraries.
 *
 * @par Thread Safety
 * Safe to call from any thread.
 */
[[nodiscard]] BULWARK_CORE_API const std::error_category& error_category() noexcept;

/// Makes a std::error_code in bulwark's category; found by ADL for `std::error_code ec = e;`.
[[nodiscard]] inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/**
 * What a `validate()` found wrong with a config: the field as the user spells it (for example
 * "quota.burst") and what a valid value is. Both are static strings.
 */
struct config_issue {
    std::string_view field;  ///< the offending field, e.g. "keyed_limiter_config.max_keys"
    std::string_view reason; ///< what is valid, e.g. "must be at least 1"
};

/**
 * Throws std::system_error(error::invalid_config) whose what() names the offending field.
 *
 * Components call this from their constructors after their `validate()` rejected a config, with
 * `field` spelled as the user wrote it (for example "quota.burst") and `reason` saying what a
 * valid value is. The request path never throws.
 *
 * @throws std::system_error always; what() reads "<field>: <reason>: invalid configuration".
 */
[[noreturn]] BULWARK_CORE_API void throw_invalid_config(std::string_view field,
                                                        std::string_view reason);

/// What every `validate()` returns for a bad field: fills `issue` (if given) and returns
/// error::invalid_config.
[[nodiscard]] inline std::error_code invalid_config(config_issue* issue, std::string_view field,
                                                    std::string_view reason) noexcept {
    if (issue != nullptr) {
        *issue = {field, reason};
    }
    return make_error_code(error::invalid_config);
}

/// Same, from what a `validate()` reported.
[[noreturn]] inline void throw_invalid_config(const config_issue& issue) {
    throw_invalid_config(issue.field, issue.reason);
}

} // namespace bulwark

template <>
struct std::is_error_code_enum<bulwark::error> : std::true_type {};

#endif
