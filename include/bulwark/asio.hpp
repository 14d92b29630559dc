#ifndef BULWARK_ASIO_HPP
#define BULWARK_ASIO_HPP

// Umbrella header of bulwark::asio: async operations with Asio completion tokens.

#include <bulwark/asio/circuit_breaker/async_guarded.hpp>
#include <bulwark/asio/error.hpp>
#include <bulwark/asio/health/event_loop_lag.hpp>
#include <bulwark/asio/health/health_monitor.hpp>
#include <bulwark/asio/health/tcp_connect_check.hpp>
#include <bulwark/asio/rate_limit/async_acquire.hpp>
#include <bulwark/asio/retry/async_retry.hpp>
#include <bulwark/asio/retry/with_timeout.hpp>
#include <bulwark/asio/shutdown/graceful_shutdown.hpp>
#include <bulwark/core.hpp>

#endif
