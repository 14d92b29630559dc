#include <bulwark/http/health/health_endpoints.hpp>

#include <memory>
#include <utility>

namespace bulwark::http {

namespace bh = boost::beast::http;

std::error_code validate(const health_endpoints_config& c, config_issue* issue) noexcept {
    if (c.routes.empty()) {
        return invalid_config(issue, "health_endpoints_config.routes", "must not be empty");
    }
    for (const auto& r : c.routes) {
        if (r.path.empty() || r.path.front() != '/') {
            return invalid_config(issue, "health_endpoints_config.routes.path",
                                  "must start with '/'");
        }
        if (!valid_health_group(r.group)) {
            return invalid_config(issue, "health_endpoints_config.routes.group",
                                  "must be 1 to 128 of [A-Za-z0-9_.-]");
        }
    }
    if (c.details != health_details::never && c.details != health_details::always &&
        c.details != health_details::when_authorized) {
        return invalid_config(issue, "health_endpoints_config.details",
                              "must be never, always or when_authorized");
    }
    if (c.details == health_details::when_authorized && !c.authorize) {
        return invalid_config(issue, "health_endpoints_config.authorize",
                              "must be set when details is when_authorized");
    }
    return {};
}

namespace {

response health_response(health_status status, std::string body, unsigned http_version) {
    response res{status == health_status::fail ? bh::status::service_unavailable : bh::status::ok,
                 http_version};
    res.set(bh::field::content_type, health_json_media_type);
    // A cached probe answer is a wrong answer: every probe must see the current state.
    res.set(bh::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

} // namespace

response make_health_response(const group_report& report, const health_service_info& service,
                              bool details, unsigned http_version) {
    return health_response(report.status, to_health_json(report, service, details), http_version);
}

response make_health_response(health_status status, unsigned http_version) {
    std::string body = "{\"status\":\"";
    body += to_string(status);
    body += "\"}";
    return health_response(status, std::move(body), http_version);
}

void add_health_routes(router& routes, const health_registry& registry,
                       health_endpoints_config config) {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue);
    }
    // Shared by every route's handler; the router copies handlers.
    auto shared = std::make_shared<const health_endpoints_config>(std::move(config));
    for (const auto& r : shared->routes) {
        // Resolved once: a status-only probe is one atomic load, no lookup, no lock.
        routes.get(r.path, [shared, group = registry.group(r.group)](request_context& ctx,
                                                                     request& req) {
            const bool details =
                shared->details == health_details::always ||
                (shared->details == health_details::when_authorized && shared->authorize(ctx, req));
            if (!details) {
                return make_health_response(group.status(), ctx.http_version());
            }
            return make_health_response(*group.report(), shared->service, true, ctx.http_version());
        });
    }
}

} // namespace bulwark::http
