#include <bulwark/version.hpp>

namespace bulwark {

std::string_view version() noexcept {
    return BULWARK_VERSION_STRING;
}

} // namespace bulwark
