#include <bulwark/core/health/disk_space_check.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using bulwark::check_result;
using bulwark::disk_space_check;
using bulwark::disk_space_check_config;
using bulwark::health_status;

namespace {

constexpr std::uintmax_t gib = std::uintmax_t{1} << 30;

// A filesystem of `capacity` bytes with `available` of them available.
std::filesystem::space_info space(std::uintmax_t capacity, std::uintmax_t available) {
    return {capacity, available, available};
}

} // namespace

TEST_CASE("disk_space_check passes above the thresholds and observes the percent",
          "[health][disk_space]") {
    const auto r = disk_space_check::evaluate({}, space(100 * gib, 50 * gib));
    CHECK(r.status == health_status::pass);
    CHECK(r.output.empty());
    REQUIRE(r.observed_value);
    CHECK(*r.observed_value == Approx(50.0));
    CHECK(r.observed_unit == "percent");
}

TEST_CASE("disk_space_check warns and fails below the percent thresholds", "[health][disk_space]") {
    const disk_space_check_config config{.warn_below_percent = 10, .fail_below_percent = 5};

    const auto warn = disk_space_check::evaluate(config, space(100 * gib, 8 * gib));
    CHECK(warn.status == health_status::warn);
    CHECK(warn.output == "8.0 GiB available (8.0%), below 10%");
    REQUIRE(warn.observed_value);
    CHECK(*warn.observed_value == Approx(8.0));

    const auto fail = disk_space_check::evaluate(config, space(100 * gib, 3 * gib));
    CHECK(fail.status == health_status::fail);
    CHECK(fail.output == "3.0 GiB available (3.0%), below 5%");
    REQUIRE(fail.observed_value);
    CHECK(*fail.observed_value == Approx(3.0));

    const auto empty = disk_space_check::evaluate(config, space(100 * gib, 0));
    CHECK(empty.status == health_status::fail);
    CHECK(empty.output == "0 B available (0.0%), below 5%");
}

TEST_CASE("disk_space_check thresholds are strict: exactly at the threshold is not below",
          "[health][disk_space]") {
    const disk_space_check_config config{.warn_below_percent = 10, .fail_below_percent = 5};
    CHECK(disk_space_check::evaluate(config, space(1000, 100)).status == health_status::pass);
    CHECK(disk_space_check::evaluate(config, space(1000, 99)).status == health_status::warn);
    CHECK(disk_space_check::evaluate(config, space(1000, 50)).status == health_status::warn);
    CHECK(disk_space_check::evaluate(config, space(1000, 49)).status == health_status::fail);
}

TEST_CASE("disk_space_check thresholds of zero are disabled", "[health][disk_space]") {
    const disk_space_check_config none{.warn_below_percent = 0, .fail_below_percent = 0};
    const auto r = disk_space_check::evaluate(none, space(100 * gib, 0));
    CHECK(r.status == health_status::pass);
    REQUIRE(r.observed_value);
    CHECK(*r.observed_value == 0.0);

    const disk_space_check_config fail_only{.warn_below_percent = 0, .fail_below_percent = 5};
    CHECK(disk_space_check::evaluate(fail_only, space(100, 6)).status == health_status::pass);
    CHECK(disk_space_check::evaluate(fail_only, space(100, 4)).status == health_status::fail);

    const disk_space_check_config warn_only{.warn_below_percent = 10, .fail_below_percent = 0};
    CHECK(disk_space_check::evaluate(warn_only, space(100, 0)).status == health_status::warn);
}

TEST_CASE("disk_space_check fails below the absolute byte floor whatever the percent",
          "[health][disk_space]") {
    // 20% of a small volume is plenty by share but below the floor.
    const disk_space_check_config config{.fail_below_bytes = 2 * gib};
    const auto r = disk_space_check::evaluate(config, space(5 * gib, gib));
    CHECK(r.status == health_status::fail);
    CHECK(r.output == "1.0 GiB available (20.0%), below the 2.0 GiB floor");
    REQUIRE(r.observed_value);
    CHECK(*r.observed_value == Approx(20.0));
    // At the floor exactly: not below.
    CHECK(disk_space_check::evaluate(config, space(5 * gib, 2 * gib)).status ==
          health_status::pass);
}

TEST_CASE("disk_space_check fails on a zero capacity and clamps an odd available",
          "[health][disk_space]") {
    const auto zero = disk_space_check::evaluate({}, space(0, 0));
    CHECK(zero.status == health_status::fail);
    CHECK(zero.output == "filesystem reports zero capacity");

    const auto odd = disk_space_check::evaluate({}, space(100, 200));
    CHECK(odd.status == health_status::pass);
    REQUIRE(odd.observed_value);
    CHECK(*odd.observed_value == 100.0);
}

TEST_CASE("disk_space_check formats sizes in binary units", "[health][disk_space]") {
    const disk_space_check_config config{.warn_below_percent = 100, .fail_below_percent = 0};
    CHECK(disk_space_check::evaluate(config, space(100000, 512)).output ==
          "512 B available (0.5%), below 100%");
    CHECK(disk_space_check::evaluate(config, space(100 * gib, 1536)).output ==
          "1.5 KiB available (0.0%), below 100%");
    CHECK(disk_space_check::evaluate(config, space(100 * gib, 3 * gib / 2 / 1024)).output ==
          "1.5 MiB available (0.0%), below 100%");
}

TEST_CASE("disk_space_check on the working directory measures a real filesystem",
          "[health][disk_space]") {
    // Fail thresholds off: only pass or warn are possible whatever this machine's disk holds.
    const disk_space_check check{{.path = ".", .fail_below_percent = 0}};
    const check_result r = check();
    CHECK(r.status != health_status::fail);
    REQUIRE(r.observed_value);
    CHECK(*r.observed_value >= 0.0);
    CHECK(*r.observed_value <= 100.0);
    CHECK(r.observed_unit == "percent");

    const disk_space_check copy = check; // a copyable callable, as the monitor stores it
    CHECK(copy().observed_value.has_value());
}

TEST_CASE("disk_space_check fails on a path that does not exist", "[health][disk_space]") {
    const disk_space_check check{{.path = "/nonexistent/bulwark-health-test"}};
    const check_result r = check();
    CHECK(r.status == health_status::fail);
    CHECK_THAT(r.output, Catch::StartsWith("/nonexistent/bulwark-health-test: "));
    CHECK(r.output.size() > std::string{"/nonexistent/bulwark-health-test: "}.size());
    CHECK_FALSE(r.observed_value);
}

TEST_CASE("disk_space_check validation names the field", "[health][disk_space]") {
    bulwark::config_issue issue;
    CHECK_FALSE(validate(disk_space_check_config{}, &issue));
    CHECK_FALSE(validate(disk_space_check_config{.warn_below_percent = 0, .fail_below_percent = 50},
                         &issue));
    CHECK_FALSE(validate(disk_space_check_config{.warn_below_percent = 5, .fail_below_percent = 5},
                         &issue));

    const auto rejects = [&](const disk_space_check_config& c, std::string_view field) {
        issue = {};
        const auto ec = validate(c, &issue);
        INFO(field);
        CHECK(ec == bulwark::error::invalid_config);
        CHECK(issue.field == field);
        CHECK_FALSE(issue.reason.empty());
    };
    rejects({.path = ""}, "disk_space_check_config.path");
    rejects({.warn_below_percent = -1}, "disk_space_check_config.warn_below_percent");
    rejects({.warn_below_percent = 101}, "disk_space_check_config.warn_below_percent");
    rejects({.warn_below_percent = std::numeric_limits<double>::quiet_NaN()},
            "disk_space_check_config.warn_below_percent");
    rejects({.fail_below_percent = -0.5}, "disk_space_check_config.fail_below_percent");
    rejects({.fail_below_percent = std::numeric_limits<double>::infinity()},
            "disk_space_check_config.fail_below_percent");
    rejects({.warn_below_percent = 5, .fail_below_percent = 10},
            "disk_space_check_config.fail_below_percent");

    try {
        disk_space_check check{{.warn_below_percent = 5, .fail_below_percent = 10}};
        FAIL("constructed with an invalid config");
    } catch (const std::system_error& e) {
        CHECK(e.code() == bulwark::error::invalid_config);
        CHECK_THAT(e.what(), Catch::StartsWith("disk_space_check_config.fail_below_percent: "));
    }
}
