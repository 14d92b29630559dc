// What a constructor's invalid-configuration exception says, for tests that check the field a
// bad config names.
#ifndef BULWARK_TESTS_SUPPORT_CONFIG_ERROR_HPP
#define BULWARK_TESTS_SUPPORT_CONFIG_ERROR_HPP

#include <bulwark/core/error.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <system_error>

namespace bulwark::test {

/// Runs `f`; returns the what() of the std::system_error it throws (checking that its code is
/// error::invalid_config), or "no exception".
std::string config_error(auto&& f) {
    try {
        f();
    } catch (const std::system_error& e) {
        CHECK(e.code() == bulwark::error::invalid_config);
        return e.what();
    }
    return "no exception";
}

} // namespace bulwark::test

#endif
