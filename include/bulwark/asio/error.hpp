#ifndef BULWARK_ASIO_ERROR_HPP
#define BULWARK_ASIO_ERROR_HPP

#include <bulwark/core/error.hpp>

#include <boost/system/error_code.hpp>

namespace bulwark {

/**
 * bulwark::error as a boost::system::error_code, the type of every completion signature in the
 * asio layer (so `use_awaitable` throws boost::system::system_error and `as_tuple` yields the
 * type Asio users expect).
 *
 * Boost.System >= 1.81 wraps the std::error_code without loss: the result compares equal to
 * `e`, to `make_error_code(e)`, and reports bulwark's message. Plain conversion
 * (`boost::system::error_code ec = bulwark::error::rate_limited;`) does the same; this function
 * names the conversion where an explicit call reads better.
 */
[[nodiscard]] inline boost::system::error_code make_boost_error_code(error e) noexcept {
    return boost::system::error_code{make_error_code(e)};
}

} // namespace bulwark

#endif
