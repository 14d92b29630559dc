// Compile test of the umbrella header: it must be self-contained and bring every layer.
#include <bulwark/bulwark.hpp>

#include <catch2/catch.hpp>
#include <prometheus/registry.h>

static_assert(BULWARK_HAS_TELEMETRY == 1);
static_assert(BULWARK_HAS_ASIO == 1);
static_assert(BULWARK_HAS_HTTP == 1);

TEST_CASE("the umbrella header reaches every layer", "[umbrella]") {
    bulwark::manual_clock clock; // core
    CHECK(clock.now() == bulwark::time_point{});
    prometheus::Registry registry;
    bulwark::telemetry::register_build_info(registry); // telemetry
    CHECK(registry.Collect().size() == 1);
    CHECK(bulwark::make_boost_error_code(bulwark::error::rate_limited));                   // asio
    CHECK(bulwark::http::to_json({.status = 404}).find("Not Found") != std::string::npos); // http
}
