#include <bulwark/core/error.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <set>
#include <string>

using bulwark::error;

namespace {
constexpr int first = static_cast<int>(error::invalid_config);
constexpr int last = static_cast<int>(error::store_auth_failed);
} // namespace

TEST_CASE("the error category is named bulwark", "[error]") {
    CHECK(std::string{bulwark::error_category().name()} == "bulwark");
    CHECK(&bulwark::error_category() == &bulwark::error_category());
}

TEST_CASE("every error has its own lower-case message", "[error]") {
    REQUIRE(first == 1);
    std::set<std::string> seen;
    for (int v = first; v <= last; ++v) {
        const std::error_code ec = static_cast<error>(v);
        const std::string msg = ec.message();
        INFO("value " << v << ": " << msg);
        CHECK_FALSE(msg.empty());
        CHECK(msg.rfind("unknown", 0) != 0);
        for (const char c : msg) {
            CHECK_FALSE(std::isupper(static_cast<unsigned char>(c)));
        }
        CHECK(seen.insert(msg).second);
    }
    CHECK(std::error_code(last + 1, bulwark::error_category()).message() ==
          "unknown bulwark error " + std::to_string(last + 1));
}

TEST_CASE("bulwark::error converts to std::error_code implicitly", "[error]") {
    const std::error_code ec = error::rate_limited;
    CHECK(ec);
    CHECK(ec == error::rate_limited);
    CHECK(ec != error::circuit_open);
    CHECK(ec.category() == bulwark::error_category());
    CHECK(ec.message() == "rate limit exceeded");
    CHECK(ec.value() == 2);
}

TEST_CASE("throw_invalid_config names the field", "[error]") {
    try {
        bulwark::throw_invalid_config("quota.burst", "must be at least 1");
        FAIL("throw_invalid_config returned");
    } catch (const std::system_error& e) {
        CHECK(e.code() == error::invalid_config);
        const std::string what = e.what();
        CHECK(what.find("quota.burst: must be at least 1") == 0);
        CHECK(what.find("invalid configuration") != std::string::npos);
    }
}
