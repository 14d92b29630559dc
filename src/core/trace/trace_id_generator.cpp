#include <bulwark/core/trace/trace_id_generator.hpp>

#include <cstdint>
#include <cstring>
#include <random>

namespace bulwark {

namespace {

// xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period 2^256 - 1.
class xoshiro256ss {
public:
    xoshiro256ss() {
        std::random_device rd; // getrandom(2) on Linux
        do {
            for (auto& word : s_) {
                word = static_cast<std::uint64_t>(rd()) << 32 | rd();
            }
        } while ((s_[0] | s_[1] | s_[2] | s_[3]) == 0); // the all-zero state is a fixed point
    }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    std::uint64_t s_[4];
};

xoshiro256ss& generator() noexcept {
    thread_local xoshiro256ss g;
    return g;
}

} // namespace

trace_id new_trace_id() noexcept {
    trace_id id;
    auto& g = generator();
    do {
        const std::uint64_t a = g.next();
        const std::uint64_t b = g.next();
        std::memcpy(id.bytes.data(), &a, 8);
        std::memcpy(id.bytes.data() + 8, &b, 8);
    } while (!id.valid());
    return id;
}

span_id new_span_id() noexcept {
    span_id id;
    auto& g = generator();
    do {
        const std::uint64_t a = g.next();
        std::memcpy(id.bytes.data(), &a, 8);
    } while (!id.valid());
    return id;
}

} // namespace bulwark
