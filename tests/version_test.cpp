#include <bulwark/version.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("version() of the linked library equals the headers' version", "[version]") {
    CHECK(bulwark::version() == BULWARK_VERSION_STRING);
}

TEST_CASE("version macros agree with each other", "[version]") {
    const std::string expected = std::to_string(BULWARK_VERSION_MAJOR) + "." +
                                 std::to_string(BULWARK_VERSION_MINOR) + "." +
                                 std::to_string(BULWARK_VERSION_PATCH);
    CHECK(expected == BULWARK_VERSION_STRING);
    CHECK(BULWARK_VERSION ==
          BULWARK_VERSION_MAJOR * 10000 + BULWARK_VERSION_MINOR * 100 + BULWARK_VERSION_PATCH);
}
