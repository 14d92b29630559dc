#ifndef BULWARK_CORE_HPP
#define BULWARK_CORE_HPP

// Umbrella header of bulwark::core: algorithms and state, standard library only.

#include <bulwark/config.hpp>
#include <bulwark/core/circuit_breaker/circuit_breaker.hpp>
#include <bulwark/core/circuit_breaker/circuit_breaker_config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/coarse_clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/health/check_result.hpp>
#include <bulwark/core/health/circuit_breaker_check.hpp>
#include <bulwark/core/health/disk_space_check.hpp>
#include <bulwark/core/health/health_check_config.hpp>
#include <bulwark/core/health/health_json.hpp>
#include <bulwark/core/health/health_registry.hpp>
#include <bulwark/core/rate_limit/chain.hpp>
#include <bulwark/core/rate_limit/concurrency_limiter.hpp>
#include <bulwark/core/rate_limit/fixed_window_limiter.hpp>
#include <bulwark/core/rate_limit/gcra_limiter.hpp>
#include <bulwark/core/rate_limit/ip_key.hpp>
#include <bulwark/core/rate_limit/keyed_limiter.hpp>
#include <bulwark/core/rate_limit/quota.hpp>
#include <bulwark/core/rate_limit/rate_decision.hpp>
#include <bulwark/core/rate_limit/rate_limit_headers.hpp>
#include <bulwark/core/rate_limit/sliding_window_limiter.hpp>
#include <bulwark/core/redact/checksums.hpp>
#include <bulwark/core/redact/detector.hpp>
#include <bulwark/core/redact/keyed_hash.hpp>
#include <bulwark/core/redact/redactor.hpp>
#include <bulwark/core/redact/redactor_config.hpp>
#include <bulwark/core/retry/backoff.hpp>
#include <bulwark/core/retry/retry_after.hpp>
#include <bulwark/core/retry/retry_budget.hpp>
#include <bulwark/core/retry/retry_policy.hpp>
#include <bulwark/core/security_headers/content_security_policy.hpp>
#include <bulwark/core/security_headers/security_headers.hpp>
#include <bulwark/core/trace/b3.hpp>
#include <bulwark/core/trace/baggage.hpp>
#include <bulwark/core/trace/trace_id_generator.hpp>
#include <bulwark/core/trace/traceparent.hpp>
#include <bulwark/core/trace/tracestate.hpp>
#include <bulwark/version.hpp>

#endif
