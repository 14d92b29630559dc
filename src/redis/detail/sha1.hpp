#ifndef BULWARK_SRC_REDIS_DETAIL_SHA1_HPP
#define BULWARK_SRC_REDIS_DETAIL_SHA1_HPP

#include <array>
#include <string>
#include <string_view>

namespace bulwark::redis::detail {

// SHA-1 (FIPS 180-4) of `data` as 40 lower-case hex digits: the name Redis gives a script
// (EVALSHA). Not for security: Redis's script cache is keyed by it.
[[nodiscard]] std::string sha1_hex(std::string_view data);

} // namespace bulwark::redis::detail

#endif
