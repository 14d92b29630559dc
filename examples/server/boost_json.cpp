// Boost.JSON's compiled half, for the example's POST /test (the W3C trace-context test suite's
// protocol). Header-only Boost.JSON ships in the same Debian package as Asio and Beast.
#include <boost/json/src.hpp>
