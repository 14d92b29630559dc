#include <bulwark/core/health/health_json.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace std::chrono_literals;
using bulwark::check_result;
using bulwark::health_registry;
using bulwark::health_status;

namespace {
// 2026-11-23T07:45:46.123Z
const auto observed = std::chrono::system_clock::time_point{} + 1795419946s + 123ms;
} // namespace

TEST_CASE("RFC 3339 times are UTC with milliseconds", "[health]") {
    std::string out;
    bulwark::append_rfc3339(out, observed);
    CHECK(out == "2026-11-23T07:45:46.123Z");
    out.clear();
    bulwark::append_rfc3339(out, std::chrono::system_clock::time_point{});
    CHECK(out == "1970-01-01T00:00:00.000Z");
    out.clear();
    // A leap day.
    bulwark::append_rfc3339(out, std::chrono::system_clock::time_point{} + 951782400s + 999ms);
    CHECK(out == "2000-02-29T00:00:00.999Z");
}

TEST_CASE("Without details health+json is the status only", "[health]") {
    health_registry r;
    const auto db = r.add({.name = "db", .component_id = "10.0.0.7:5432"});
    r.record(db, check_result::fail("password authentication failed for user app"), observed, 2ms);
    const bulwark::health_service_info info{
        .version = "1", .release_id = "1.4.2", .service_id = "orders"};
    CHECK(bulwark::to_health_json(*r.report("readiness"), info, false) == R"({"status":"fail"})");
    r.record(db, check_result::pass(), observed, 2ms);
    CHECK(bulwark::to_health_json(*r.report("readiness"), info, false) == R"({"status":"pass"})");
}

TEST_CASE("With details health+json follows the draft's field names", "[health]") {
    health_registry r;
    const auto db = r.add({.name = "postgres:responseTime",
                           .component_type = "datastore",
                           .component_id = "10.0.0.7:5432"});
    const auto cache = r.add({.name = "cache", .critical = false, .component_type = ""});
    r.record(db, check_result::pass().observed(12.5, "ms"), observed, 13ms);
    r.record(cache, check_result::fail("connection \"refused\"\n"), observed, 1ms);
    const bulwark::health_service_info info{.version = "1",
                                            .release_id = "1.4.2",
                                            .service_id = "orders",
                                            .description = "order service"};
    CHECK(bulwark::to_health_json(*r.report("readiness"), info, true) ==
          R"({"status":"warn","version":"1","releaseId":"1.4.2","serviceId":"orders",)"
          R"("description":"order service","checks":{"postgres:responseTime":[{"componentId":)"
          R"("10.0.0.7:5432","componentType":"datastore","observedValue":12.5,"observedUnit":)"
          R"("ms","status":"pass","time":"2026-11-23T07:45:46.123Z"}],"cache":[{"status":)"
          R"("fail","time":"2026-11-23T07:45:46.123Z","output":"connection \"refused\"\n"}]}})");
}

TEST_CASE("Details show the group's own output and pending checks without a time", "[health]") {
    health_registry r;
    r.add({.name = "warmup", .groups = {"startup"}});
    r.add({.name = "db"});
    CHECK(bulwark::to_health_json(*r.report("readiness"), {}, true) ==
          R"({"status":"fail","output":"starting","checks":{"db":[{"componentType":)"
          R"("component","status":"fail","output":"pending"}]}})");
    CHECK(bulwark::to_health_json(*r.report("nothing"), {}, true) == R"({"status":"pass"})");
}
