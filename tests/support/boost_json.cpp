// Boost.JSON's compiled half, for the tests that parse bulwark's JSON output. Boost.JSON is a
// test-only dependency (it ships in the same Debian package as Asio and Beast).
#include <boost/json/src.hpp>
