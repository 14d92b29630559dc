#ifndef BULWARK_CORE_RATE_LIMIT_DETAIL_KEY_HASH_HPP
#define BULWARK_CORE_RATE_LIMIT_DETAIL_KEY_HASH_HPP

#include <cstdint>
#include <cstring>
#include <string_view>

namespace bulwark::detail {

__extension__ using uint128 = unsigned __int128;

/// 64×64 → 128-bit multiply folded to 64 bits: the mixing step of wyhash-style hashes.
[[nodiscard]] inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
    const uint128 r = static_cast<uint128>(a) * b;
    return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

/**
 * Seeded 64-bit hash of a rate-limit key. Keys are attacker-chosen (API keys, user ids), so the
 * table takes a per-instance random seed: collisions cannot be precomputed to degrade probing.
 * Never returns 0 (the table's empty marker).
 */
[[nodiscard]] inline std::uint64_t hash_key(std::string_view key, std::uint64_t seed) noexcept {
    constexpr std::uint64_t k1 = 0xa0761d6478bd642full;
    constexpr std::uint64_t k2 = 0xe7037ed1a0b428dbull;
    std::uint64_t h = seed ^ (key.size() * k1);
    const char* p = key.data();
    std::size_t n = key.size();
    while (n >= 16) {
        std::uint64_t a;
        std::uint64_t b;
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + 8, 8);
        h = fold_multiply(a ^ h ^ k1, b ^ k2);
        p += 16;
        n -= 16;
    }
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    if (n > 8) {
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + 8, n - 8);
    } else if (n > 0) { // memcpy from a null data() is undefined even for 0 bytes
        std::memcpy(&a, p, n);
    }
    h = fold_multiply(a ^ h ^ k2, b ^ k1 ^ n);
    h = fold_multiply(h, k1 ^ seed);
    return h == 0 ? 1 : h;
}

} // namespace bulwark::detail

#endif
