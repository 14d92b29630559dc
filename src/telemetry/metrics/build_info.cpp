#include <bulwark/telemetry/metrics/build_info.hpp>
#include <bulwark/version.hpp>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

namespace bulwark::telemetry {

void register_build_info(prometheus::Registry& registry) {
    auto& family = prometheus::BuildGauge()
                       .Name(std::string{build_info_metric})
                       .Help("bulwark library version linked into this process; always 1")
                       .Register(registry);
    family.Add({{"version", std::string{bulwark::version()}}}).Set(1.0);
}

} // namespace bulwark::telemetry
