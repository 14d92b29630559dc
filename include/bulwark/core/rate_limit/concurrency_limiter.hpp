#ifndef BULWARK_CORE_RATE_LIMIT_CONCURRENCY_LIMITER_HPP
#define BULWARK_CORE_RATE_LIMIT_CONCURRENCY_LIMITER_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <system_error>
#include <utility>

namespace bulwark {

/// Configuration of a concurrency_limiter.
struct concurrency_limiter_config {
    /// Requests in flight at once. Default 64. 0 is invalid.
    std::uint32_t max_in_flight = 64;
    /// Callers that may wait for a permit in async_acquire (bulwark/asio/rate_limit). Default 0:
    /// no waiting, a full limiter answers at once (as Polly's and Resilience4j's bulkheads do by
    /// default: queued requests hold memory and add latency under exactly the overload the
    /// limiter is there for).
    std::uint32_t max_waiters = 0;
};

class concurrency_limiter;

/**
 * The right to run one request under a concurrency_limiter: released when destroyed (or by
 * release()). Move-only; an empty permit (failed try_acquire) converts to false.
 */
class concurrency_permit {
public:
    concurrency_permit() noexcept = default;
    concurrency_permit(concurrency_permit&& other) noexcept
        : limiter_{std::exchange(other.limiter_, nullptr)} {}
    concurrency_permit& operator=(concurrency_permit&& other) noexcept {
        if (this != &other) {
            release();
            limiter_ = std::exchange(other.limiter_, nullptr);
        }
        return *this;
    }
    concurrency_permit(const concurrency_permit&) = delete;
    concurrency_permit& operator=(const concurrency_permit&) = delete;
    ~concurrency_permit() { release(); }

    /// Whether this permit holds a slot.
    [[nodiscard]] explicit operator bool() const noexcept { return limiter_ != nullptr; }
    /// Gives the slot back now (to the first waiter, if any). No-op on an empty permit.
    inline void release() noexcept;

private:
    friend class concurrency_limiter;
    explicit concurrency_permit(concurrency_limiter* limiter) noexcept : limiter_{limiter} {}
    concurrency_limiter* limiter_ = nullptr;
};

/// What snapshot() reports.
struct concurrency_snapshot {
    std::uint32_t in_flight = 0;
    std::uint32_t waiting = 0;
    std::uint32_t max_in_flight = 0;
    std::uint32_t max_waiters = 0;
};

/**
 * A bulkhead: at most `max_in_flight` requests at once, so one slow dependency or endpoint
 * cannot take every thread, connection or buffer of the service.
 *
 * try_acquire() is lock-free: in-flight and waiting counts share one atomic word. Waiting for a
 * permit is asynchronous and lives in the asio layer (bulwark::async_acquire), which queues
 * through the waiter interface below; a released permit goes straight to the longest waiting
 * caller (FIFO), and try_acquire() does not overtake waiters.
 *
 * The limiter must outlive its permits and its waiters.
 *
 * @par Thread Safety
 * Every member may be called concurrently.
 */
class concurrency_limiter {
public:
    /// Throws std::system_error naming the field for an invalid config.
    BULWARK_CORE_API explicit concurrency_limiter(concurrency_limiter_config config = {});
    concurrency_limiter(const concurrency_limiter&) = delete;
    concurrency_limiter& operator=(const concurrency_limiter&) = delete;

    [[nodiscard]] BULWARK_CORE_API static std::error_code
    validate(const concurrency_limiter_config& config, config_issue* issue = nullptr) noexcept;

    /// A permit if fewer than max_in_flight are out and nobody waits, else an empty one.
    [[nodiscard]] concurrency_permit try_acquire() noexcept {
        auto word = word_.load(std::memory_order_relaxed);
        for (;;) {
            if (waiting(word) != 0 || in_flight(word) >= config_.max_in_flight) {
                return concurrency_permit{};
            }
            // acquire: the previous holder's work happens-before ours
            if (word_.compare_exchange_weak(word, word + 1, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
                return concurrency_permit{this};
            }
        }
    }

    [[nodiscard]] concurrency_snapshot snapshot() const noexcept {
        const auto word = word_.load(std::memory_order_relaxed);
        return {in_flight(word), waiting(word), config_.max_in_flight, config_.max_waiters};
    }

    [[nodiscard]] const concurrency_limiter_config& config() const noexcept { return config_; }

    /**
     * A queued caller, for the asio layer. grant() receives the permit released to it; it is
     * called outside the limiter's lock, on the thread that released the permit.
     */
    class waiter {
    public:
        virtual void grant(concurrency_permit permit) noexcept = 0;

    protected:
        waiter() = default;
        virtual ~waiter() = default;
        waiter(const waiter&) = delete;
        waiter& operator=(const waiter&) = delete;

    private:
        friend class concurrency_limiter;
        waiter* prev_ = nullptr;
        waiter* next_ = nullptr;
        bool queued_ = false;
    };

    enum class enqueue_result {
        granted, ///< a permit was free: it is in `granted`, `w` is not queued
        queued,  ///< `w` will receive grant() or must be cancel()led
        full,    ///< no permit and no room to wait
    };

    /// Takes a free permit into `granted`, or queues `w`, or reports that neither is possible.
    [[nodiscard]] BULWARK_CORE_API enqueue_result enqueue(waiter& w,
                                                          concurrency_permit& granted) noexcept;

    /// Removes `w` from the queue. False if it was not queued (already granted, or never).
    BULWARK_CORE_API bool cancel(waiter& w) noexcept;

private:
    friend class concurrency_permit;

    static std::uint32_t in_flight(std::uint64_t word) noexcept {
        return static_cast<std::uint32_t>(word);
    }
    static std::uint32_t waiting(std::uint64_t word) noexcept {
        return static_cast<std::uint32_t>(word >> 32);
    }

    void release() noexcept {
        auto word = word_.load(std::memory_order_relaxed);
        while (waiting(word) == 0) {
            // release: our work happens-before the next holder's
            if (word_.compare_exchange_weak(word, word - 1, std::memory_order_release,
                                            std::memory_order_relaxed)) {
                return;
            }
        }
        hand_over(); // somebody waits: the permit goes to them
    }

    BULWARK_CORE_API void hand_over() noexcept;

    concurrency_limiter_config config_;
    // in flight (low 32 bits) and waiting (high 32 bits) in one word, so "is anyone waiting" and
    // "take a permit" are decided together. `waiting` changes only under mutex_.
    alignas(64) std::atomic<std::uint64_t> word_{0};
    alignas(64) std::mutex mutex_;
    waiter* head_ = nullptr;
    waiter* tail_ = nullptr;
};

inline void concurrency_permit::release() noexcept {
    if (auto* limiter = std::exchange(limiter_, nullptr)) {
        limiter->release();
    }
}

} // namespace bulwark

#endif
