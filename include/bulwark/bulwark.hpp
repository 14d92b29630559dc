#ifndef BULWARK_BULWARK_HPP
#define BULWARK_BULWARK_HPP

// Umbrella header: every layer this bulwark build contains (bulwark/features.hpp says which).
// Include bulwark/core.hpp, bulwark/telemetry.hpp, bulwark/asio.hpp, bulwark/http.hpp or
// bulwark/redis.hpp to pull in one layer and its dependencies only.

#include <bulwark/core.hpp>
#include <bulwark/features.hpp>

#if BULWARK_HAS_TELEMETRY
#include <bulwark/telemetry.hpp>
#endif
#if BULWARK_HAS_ASIO
#include <bulwark/asio.hpp>
#endif
#if BULWARK_HAS_HTTP
#include <bulwark/http.hpp>
#endif
#if BULWARK_HAS_REDIS
#include <bulwark/redis.hpp>
#endif

#endif
