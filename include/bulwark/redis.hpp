#ifndef BULWARK_REDIS_HPP
#define BULWARK_REDIS_HPP

// Umbrella header of bulwark::redis: a pipelined Redis connection on Asio, for state shared
// across service instances.

#include <bulwark/asio.hpp>
#include <bulwark/redis/connection.hpp>
#include <bulwark/redis/rate_limit/gcra_limiter.hpp>
#include <bulwark/redis/reply.hpp>

#endif
