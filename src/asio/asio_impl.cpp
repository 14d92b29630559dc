// The one translation unit that compiles Boost.Asio's non-template code
// (BOOST_ASIO_SEPARATE_COMPILATION, exported publicly by bulwark::asio). Every other TU of
// bulwark and of its users includes Asio's declarations only, which is most of the reason a
// cold build stays fast.
//
// This file is compiled with default symbol visibility (see src/CMakeLists.txt) because Asio
// marks nothing for export on ELF platforms.
#include <bulwark/config.hpp>

#if defined(BOOST_ASIO_SEPARATE_COMPILATION)
#include <boost/asio/impl/src.hpp>
#endif
