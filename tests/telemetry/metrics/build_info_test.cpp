#include <bulwark/telemetry/metrics/build_info.hpp>
#include <bulwark/version.hpp>

#include <catch2/catch.hpp>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <string>

namespace {
std::string exposition(prometheus::Registry& registry) {
    std::ostringstream out;
    prometheus::TextSerializer{}.Serialize(out, registry.Collect());
    return out.str();
}

std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}
} // namespace

TEST_CASE("register_build_info exposes the linked version as an info gauge", "[metrics]") {
    prometheus::Registry registry;
    bulwark::telemetry::register_build_info(registry);
    const auto text = exposition(registry);
    INFO(text);
    CHECK(text.find("# TYPE bulwark_build_info gauge\n") != std::string::npos);
    CHECK(text.find("bulwark_build_info{version=\"" BULWARK_VERSION_STRING "\"} 1\n") !=
          std::string::npos);
}

TEST_CASE("register_build_info is idempotent", "[metrics]") {
    prometheus::Registry registry;
    bulwark::telemetry::register_build_info(registry);
    bulwark::telemetry::register_build_info(registry);
    const auto text = exposition(registry);
    INFO(text);
    CHECK(count(text, "\nbulwark_build_info{") == 1);
    CHECK(count(text, "# TYPE bulwark_build_info") == 1);
}
