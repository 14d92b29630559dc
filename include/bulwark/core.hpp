#ifndef BULWARK_CORE_HPP
#define BULWARK_CORE_HPP

// Umbrella header of bulwark::core: algorithms and state, standard library only.

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/version.hpp>

#endif
