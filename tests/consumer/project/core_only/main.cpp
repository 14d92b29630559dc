// A core-only consumer: standard library and bulwark::core, nothing else.
#include <bulwark/core.hpp>

#include <cstdio>
#include <string_view>

int main() {
    if (bulwark::version() != std::string_view{BULWARK_VERSION_STRING}) {
        std::puts("version mismatch");
        return 1;
    }
    bulwark::manual_clock clock;
    clock.advance(std::chrono::seconds{1});
    const std::error_code ec = bulwark::error::rate_limited;
    if (clock.now().time_since_epoch() != std::chrono::seconds{1} ||
        ec.message() != "rate limit exceeded") {
        std::puts("core misbehaves");
        return 1;
    }
    std::puts("core consumer ok");
    return 0;
}
