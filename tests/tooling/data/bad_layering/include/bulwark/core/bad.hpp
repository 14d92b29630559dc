// Fixture for the layering check's own test: a core header that includes Boost.
#include <boost/asio/io_context.hpp>
