#ifndef BULWARK_HTTP_HPP
#define BULWARK_HTTP_HPP

// Umbrella header of bulwark::http: the Boost.Beast middleware layer.

#include <bulwark/asio.hpp>
#include <bulwark/http/problem.hpp>
#include <bulwark/telemetry.hpp>

#endif
