#ifndef BULWARK_CORE_CIRCUIT_BREAKER_DETAIL_WINDOWS_HPP
#define BULWARK_CORE_CIRCUIT_BREAKER_DETAIL_WINDOWS_HPP

#include <atomic>
#include <cstdint>
#include <memory>

namespace bulwark::detail {

/// Calls, failures and slow calls, packed 21 bits each in one word so one CAS updates all three.
struct call_counts {
    std::uint64_t calls = 0;
    std::uint64_t failures = 0;
    std::uint64_t slow = 0;

    static constexpr std::uint64_t mask = (std::uint64_t{1} << 21) - 1;
    [[nodiscard]] static constexpr call_counts unpack(std::uint64_t w) noexcept {
        return {w & mask, (w >> 21) & mask, (w >> 42) & mask};
    }
    [[nodiscard]] constexpr std::uint64_t pack() const noexcept {
        return (calls & mask) | ((failures & mask) << 21) | ((slow & mask) << 42);
    }
};

/**
 * The last N calls, lock-free with one CAS per record: a single word holds the cursor (20 bits),
 * whether the ring has wrapped (1 bit), and the failure and slow counts (21 bits each); the CAS
 * that advances the cursor also swaps the outgoing slot's outcome for the new one in the counts,
 * and the slot byte is then stored. Calls = N once wrapped, else the cursor. A writer preempted
 * between its CAS and its slot store lets the writer one lap later read the slot's older outcome:
 * the counts can then be off by one for a while (clamped to [0, N], so the rates stay in range
 * and the word is never corrupted) until those slots are overwritten again or the window resets.
 */
class count_window {
public:
    explicit count_window(std::uint32_t size)
        : size_{size}, slots_{std::make_unique<std::atomic<std::uint8_t>[]>(size)} {}

    call_counts record(bool failure, bool slow) noexcept {
        auto word = word_.load(std::memory_order_relaxed);
        for (;;) {
            const std::uint64_t index = (word >> 42) & cursor_mask;
            const bool wrapped = ((word >> 62) & 1u) != 0;
            const std::uint8_t old = wrapped ? slots_[index].load(std::memory_order_relaxed) : 0;
            // Clamped: a writer preempted between its CAS and its slot store can let another
            // writer subtract the same outgoing outcome twice; the counts then stay bounded
            // (never negative, never above the window) and can never spill into the cursor bits.
            const std::uint64_t failures =
                adjust(word & count_mask, failure, (old & 2u) != 0, size_);
            const std::uint64_t slows =
                adjust((word >> 21) & count_mask, slow, (old & 4u) != 0, size_);
            const std::uint64_t next = index + 1 == size_ ? 0 : index + 1;
            const bool now_wrapped = wrapped || index + 1 == size_;
            const std::uint64_t desired = failures | (slows << 21) | (next << 42) |
                                          (now_wrapped ? std::uint64_t{1} << 62 : 0);
            // Relaxed: statistics; transitions are ordered by the breaker's state word.
            if (word_.compare_exchange_weak(word, desired, std::memory_order_relaxed)) {
                slots_[index].store(
                    static_cast<std::uint8_t>(1u | (failure ? 2u : 0u) | (slow ? 4u : 0u)),
                    std::memory_order_relaxed);
                return {now_wrapped ? size_ : next, failures, slows};
            }
        }
    }

    [[nodiscard]] call_counts totals() const noexcept {
        const auto word = word_.load(std::memory_order_relaxed);
        const bool wrapped = ((word >> 62) & 1u) != 0;
        return {wrapped ? size_ : (word >> 42) & cursor_mask, word & count_mask,
                (word >> 21) & count_mask};
    }

    void reset() noexcept {
        word_.store(0, std::memory_order_relaxed);
        for (std::uint32_t i = 0; i < size_; ++i) {
            slots_[i].store(0, std::memory_order_relaxed);
        }
    }

private:
    static constexpr std::uint64_t count_mask = (std::uint64_t{1} << 21) - 1;
    static constexpr std::uint64_t cursor_mask = (std::uint64_t{1} << 20) - 1;

    static constexpr std::uint64_t adjust(std::uint64_t count, bool add, bool remove,
                                          std::uint64_t max) noexcept {
        if (remove && count > 0) {
            --count;
        }
        if (add && count < max) {
            ++count;
        }
        return count;
    }
    std::uint64_t size_;
    std::unique_ptr<std::atomic<std::uint8_t>[]> slots_;
    alignas(64) std::atomic<std::uint64_t> word_{0};
};

/**
 * The calls of the last N seconds, in one bucket per second: the bucket's second (24 bits) and
 * call count in one word, failures and slow calls in another. A bucket left from an earlier lap
 * is reset by whoever first writes to it in its new second; a write racing that reset can be
 * lost, an approximation of at most a few calls once per second per bucket.
 */
class time_window {
public:
    explicit time_window(std::uint32_t seconds)
        : seconds_{seconds}, buckets_{std::make_unique<bucket[]>(seconds)} {}

    call_counts record(bool failure, bool slow, std::uint64_t second) noexcept {
        bucket& b = buckets_[second % seconds_];
        const std::uint64_t stamp = second & stamp_mask;
        auto head = b.head.load(std::memory_order_relaxed);
        while ((head >> 40) != stamp) {
            if (b.head.compare_exchange_weak(head, stamp << 40, std::memory_order_relaxed)) {
                b.outcomes.store(0, std::memory_order_relaxed);
                break;
            }
        }
        b.head.fetch_add(1, std::memory_order_relaxed);
        b.outcomes.fetch_add((failure ? std::uint64_t{1} << 32 : 0) | (slow ? 1u : 0u),
                             std::memory_order_relaxed);
        return totals(second);
    }

    [[nodiscard]] call_counts totals(std::uint64_t second) const noexcept {
        call_counts c;
        for (std::uint32_t i = 0; i < seconds_; ++i) {
            const auto head = buckets_[i].head.load(std::memory_order_relaxed);
            if ((((second & stamp_mask) - (head >> 40)) & stamp_mask) < seconds_) {
                const auto outcomes = buckets_[i].outcomes.load(std::memory_order_relaxed);
                c.calls += head & count_mask;
                c.failures += outcomes >> 32;
                c.slow += outcomes & 0xFFFFFFFFu;
            }
        }
        return c;
    }

    void reset() noexcept {
        for (std::uint32_t i = 0; i < seconds_; ++i) {
            buckets_[i].head.store(0, std::memory_order_relaxed);
            buckets_[i].outcomes.store(0, std::memory_order_relaxed);
        }
    }

private:
    static constexpr std::uint64_t stamp_mask = (std::uint64_t{1} << 24) - 1;
    static constexpr std::uint64_t count_mask = (std::uint64_t{1} << 40) - 1;
    struct bucket {
        std::atomic<std::uint64_t> head{0};     ///< second (24 bits) | calls (40 bits)
        std::atomic<std::uint64_t> outcomes{0}; ///< failures (32 bits) | slow (32 bits)
    };
    std::uint32_t seconds_;
    std::unique_ptr<bucket[]> buckets_;
};

} // namespace bulwark::detail

#endif
