#ifndef BULWARK_HTTP_HPP
#define BULWARK_HTTP_HPP

// Umbrella header of bulwark::http: the Boost.Beast middleware layer.

#include <bulwark/asio.hpp>
#include <bulwark/http/access_log/access_log.hpp>
#include <bulwark/http/client/client.hpp>
#include <bulwark/http/client_address.hpp>
#include <bulwark/http/cors/cors.hpp>
#include <bulwark/http/health/health_endpoints.hpp>
#include <bulwark/http/health/http_get_check.hpp>
#include <bulwark/http/log_context_executor.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/metrics/http_metrics.hpp>
#include <bulwark/http/pipeline.hpp>
#include <bulwark/http/problem.hpp>
#include <bulwark/http/rate_limit/in_flight_limit.hpp>
#include <bulwark/http/rate_limit/rate_limit.hpp>
#include <bulwark/http/request_context.hpp>
#include <bulwark/http/request_id/request_id.hpp>
#include <bulwark/http/router.hpp>
#include <bulwark/http/security_headers/security_headers.hpp>
#include <bulwark/http/server.hpp>
#include <bulwark/http/session.hpp>
#include <bulwark/http/size_limit/size_limits.hpp>
#include <bulwark/http/trace/tracing.hpp>
#include <bulwark/telemetry.hpp>

#endif
