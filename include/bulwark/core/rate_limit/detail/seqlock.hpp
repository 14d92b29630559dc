#ifndef BULWARK_CORE_RATE_LIMIT_DETAIL_SEQLOCK_HPP
#define BULWARK_CORE_RATE_LIMIT_DETAIL_SEQLOCK_HPP

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <utility>

namespace bulwark::detail {

/**
 * A small trivially copyable value that is read on every decision and written rarely
 * (set_quota): readers never block or write, a writer never waits for readers.
 *
 * The value is stored as relaxed atomic words, so a racing read is never a data race (also for
 * TSan); the sequence number tells a reader whether the words it read belong to one store.
 */
template <class T>
class seqlocked {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % 8 == 0);
    static constexpr std::size_t words = sizeof(T) / 8;
    using raw = std::array<std::uint64_t, words>;

public:
    explicit seqlocked(const T& value) noexcept {
        write_words(std::bit_cast<raw>(value), std::memory_order_relaxed);
    }

    [[nodiscard]] T load() const noexcept {
        for (;;) {
            // acquire: the words read below are not older than this sequence number
            const auto before = seq_.load(std::memory_order_acquire);
            // acquire: the second sequence read below cannot move before these loads, and a
            // word from a newer store makes that store's odd sequence number visible. Unrolled
            // into scalars so the value stays in registers: a loop through a stack array made
            // the compiler read it back with wider loads than it wrote, which stalls
            // store-to-load forwarding on every decision.
            const raw r = [this]<std::size_t... I>(std::index_sequence<I...>) {
                return raw{data_[I].load(std::memory_order_acquire)...};
            }
            (std::make_index_sequence<words>{});
            if ((before & 1) == 0 && seq_.load(std::memory_order_relaxed) == before) {
                return std::bit_cast<T>(r);
            }
        }
    }

    /// Writers may race each other: the odd sequence number acts as their lock.
    void store(const T& value) noexcept {
        auto seq = seq_.load(std::memory_order_relaxed);
        while ((seq & 1) != 0 ||
               !seq_.compare_exchange_weak(seq, seq + 1, std::memory_order_acquire)) {
            if ((seq & 1) != 0) {
                std::this_thread::yield();
                seq = seq_.load(std::memory_order_relaxed);
            }
        }
        write_words(std::bit_cast<raw>(value), std::memory_order_release);
        seq_.store(seq + 2, std::memory_order_release); // publishes the words
    }

private:
    // Release stores (in set_quota) keep the odd sequence number written before them ordered
    // before every word (no standalone fence: ThreadSanitizer does not model those).
    void write_words(const raw& r, std::memory_order order) noexcept {
        for (std::size_t i = 0; i < words; ++i) {
            data_[i].store(r[i], order);
        }
    }

    std::atomic<std::uint32_t> seq_{0};
    std::array<std::atomic<std::uint64_t>, words> data_{};
};

} // namespace bulwark::detail

#endif
