// The one translation unit that compiles Boost.Beast's and Asio SSL's non-template code
// (BOOST_BEAST_SEPARATE_COMPILATION, exported publicly by bulwark::http). Compiled with default
// symbol visibility for the same reason as src/asio/asio_impl.cpp.
#include <bulwark/config.hpp>

#if defined(BOOST_BEAST_SEPARATE_COMPILATION)
#include <boost/beast/src.hpp>
#endif
#if defined(BOOST_ASIO_SEPARATE_COMPILATION)
#include <boost/asio/ssl/impl/src.hpp>
#endif
