#ifndef BULWARK_HTTP_HEALTH_HEALTH_ENDPOINTS_HPP
#define BULWARK_HTTP_HEALTH_HEALTH_ENDPOINTS_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/health/health_json.hpp>
#include <bulwark/core/health/health_registry.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>
#include <bulwark/http/router.hpp>

#include <functional>
#include <string>
#include <system_error>
#include <vector>

namespace bulwark::http {

/// Who sees the details of a health report (checks, outputs, versions).
enum class health_details {
    never,           ///< status only, to everyone: the safe default for a public listener
    always,          ///< everything, to everyone: for an internal listener only
    when_authorized, ///< everything when health_endpoints_config::authorize says yes
};

/// One health endpoint: a path and the registry group it reports.
struct health_route {
    std::string path;
    std::string group;
};

/// Configuration of the health endpoints.
struct health_endpoints_config {
    /// The endpoints. Default: /health/live (liveness), /health/ready (readiness) and
    /// /health/startup (startup). Custom groups are fine. Must not be empty; paths are literal
    /// router templates.
    std::vector<health_route> routes = {{"/health/live", std::string{liveness_group}},
                                        {"/health/ready", std::string{readiness_group}},
                                        {"/health/startup", std::string{startup_group}}};
    /// Who sees details. Default never: a probe needs only the status code.
    health_details details = health_details::never;
    /// For health_details::when_authorized: true shows details to this request (check a token,
    /// the client address, the TLS flag). Must be set in that mode. Runs on the request's
    /// executor; must not block.
    std::function<bool(const request_context&, const request&)> authorize = {};
    /// version, releaseId, serviceId, description: shown with details only.
    health_service_info service = {};
};

/// Checks `c`: routes present with paths starting with '/' and valid group names, authorize
/// set when details is when_authorized. Fields named "health_endpoints_config.<field>".
[[nodiscard]] BULWARK_HTTP_API std::error_code validate(const health_endpoints_config& c,
                                                        config_issue* issue = nullptr) noexcept;

/**
 * Adds a GET (and HEAD) route per configured endpoint to `routes`, answering from the
 * registry's cached report: 200 for `pass` and `warn`, 503 for `fail`, with an
 * `application/health+json` body and `Cache-Control: no-store`. The handlers never run a
 * check and never wait: a probe storm costs one shared_ptr copy and one small body each.
 *
 * Without details the body is exactly `{"status":"pass"}` (warn, fail). With details it is
 * the draft's full document (see to_health_json).
 *
 * @throws std::system_error (error::invalid_config) naming the field when validate() fails,
 *         or "router.path_template" when a path is already routed.
 *
 * @par Thread Safety
 * The handlers are thread-safe; `registry` must outlive the router. A status-only probe is one
 * atomic load of the group's status; a detailed one copies the cached report.
 */
BULWARK_HTTP_API void add_health_routes(router& routes, const health_registry& registry,
                                        health_endpoints_config config = {});

/**
 * The response of one health endpoint for `report`, as add_health_routes builds it; for a
 * user's own handler or session loop.
 */
[[nodiscard]] BULWARK_HTTP_API response make_health_response(const group_report& report,
                                                             const health_service_info& service,
                                                             bool details, unsigned http_version);

/// The status-only response for `status`: `{"status":"pass"}` and its status code.
[[nodiscard]] BULWARK_HTTP_API response make_health_response(health_status status,
                                                             unsigned http_version);

} // namespace bulwark::http

#endif
