#include <bulwark/asio/error.hpp>

#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>

#include <string>

using bulwark::error;

TEST_CASE("bulwark::error as boost::system::error_code keeps value, category and message",
          "[error]") {
    const boost::system::error_code ec = bulwark::make_boost_error_code(error::circuit_open);
    CHECK(ec.failed());
    CHECK(ec == error::circuit_open);
    CHECK(ec != error::rate_limited);
    CHECK(ec.message() == "circuit breaker is open");

    // Round trip back to std::error_code: same category object, same value.
    const std::error_code std_ec = ec;
    CHECK(std_ec == error::circuit_open);
    CHECK(&std_ec.category() == &bulwark::error_category());
}

TEST_CASE("implicit conversion from the enum equals make_boost_error_code", "[error]") {
    const boost::system::error_code implicit = error::deadline_exceeded;
    CHECK(implicit == bulwark::make_boost_error_code(error::deadline_exceeded));
    CHECK(implicit == bulwark::make_error_code(error::deadline_exceeded));
}

TEST_CASE("boost::system::system_error carries bulwark's message", "[error]") {
    try {
        throw boost::system::system_error(bulwark::make_boost_error_code(error::queue_full));
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == error::queue_full);
        CHECK(std::string{e.what()}.find("wait queue is full") != std::string::npos);
    }
}
