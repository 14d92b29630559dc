#include <bulwark/core/retry/retry_after.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using std::chrono::system_clock;

namespace {
// Sun, 06 Nov 1994 08:49:37 GMT
const system_clock::time_point rfc_example =
    std::chrono::sys_days{std::chrono::year{1994} / 11 / 6} + 8h + 49min + 37s;
} // namespace

TEST_CASE("Retry-After as delay-seconds", "[retry_after]") {
    CHECK(bulwark::parse_retry_after("120", {}) == bulwark::duration{120s});
    CHECK(bulwark::parse_retry_after(" 0 ", {}) == bulwark::duration{0s});
    CHECK(bulwark::parse_retry_after("999999999", {}) == bulwark::duration{24h}); // capped
    CHECK(bulwark::parse_retry_after("99999999999999999999", {}) == bulwark::duration{24h});
    CHECK_FALSE(bulwark::parse_retry_after("-5", {}));
    CHECK_FALSE(bulwark::parse_retry_after("1.5", {}));
    CHECK_FALSE(bulwark::parse_retry_after("", {}));
    CHECK_FALSE(bulwark::parse_retry_after("soon", {}));
}

TEST_CASE("Retry-After as an IMF-fixdate", "[retry_after]") {
    const auto value = "Sun, 06 Nov 1994 08:49:37 GMT";
    CHECK(bulwark::parse_retry_after(value, rfc_example - 30s) == bulwark::duration{30s});
    CHECK(bulwark::parse_retry_after(value, rfc_example + 1h) == bulwark::duration{0s});
    CHECK_FALSE(bulwark::parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", rfc_example));
    CHECK_FALSE(bulwark::parse_retry_after("Sun, 31 Feb 1994 08:49:37 GMT", rfc_example));
    CHECK_FALSE(bulwark::parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", rfc_example));
}

TEST_CASE("RateLimit t= is read from the first item", "[retry_after]") {
    CHECK(bulwark::parse_ratelimit_reset(R"("default";r=0;t=30)") == bulwark::duration{30s});
    CHECK(bulwark::parse_ratelimit_reset(R"("a";r=0;t=5, "b";r=1;t=9)") == bulwark::duration{5s});
    CHECK_FALSE(bulwark::parse_ratelimit_reset(R"("default";r=0)"));
    CHECK_FALSE(bulwark::parse_ratelimit_reset(R"("default";r=0;t=x)"));
}
