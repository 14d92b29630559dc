#include <bulwark/core/rate_limit/concurrency_limiter.hpp>

namespace bulwark {

namespace {
constexpr std::uint64_t one_waiting = std::uint64_t{1} << 32;
}

concurrency_limiter::concurrency_limiter(concurrency_limiter_config config) : config_{config} {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue);
    }
}

std::error_code concurrency_limiter::validate(const concurrency_limiter_config& config,
                                              config_issue* issue) noexcept {
    if (config.max_in_flight == 0) {
        return invalid_config(issue, "concurrency_limiter_config.max_in_flight",
                              "must be at least 1");
    }
    return {};
}

concurrency_limiter::enqueue_result
concurrency_limiter::enqueue(waiter& w, concurrency_permit& granted) noexcept {
    const std::lock_guard lock{mutex_};
    auto word = word_.load(std::memory_order_relaxed);
    for (;;) {
        if (waiting(word) == 0 && in_flight(word) < config_.max_in_flight) {
            if (word_.compare_exchange_weak(word, word + 1, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
                granted = concurrency_permit{this};
                return enqueue_result::granted;
            }
            continue;
        }
        if (waiting(word) >= config_.max_waiters) {
            return enqueue_result::full;
        }
        // A lock-free release() that runs now fails its CAS (the word changed) and comes here
        // through hand_over(), which waits for the mutex: the waiter cannot be missed.
        if (word_.compare_exchange_weak(word, word + one_waiting, std::memory_order_relaxed)) {
            break;
        }
    }
    w.prev_ = tail_;
    w.next_ = nullptr;
    w.queued_ = true;
    (tail_ != nullptr ? tail_->next_ : head_) = &w;
    tail_ = &w;
    return enqueue_result::queued;
}

bool concurrency_limiter::cancel(waiter& w) noexcept {
    const std::lock_guard lock{mutex_};
    if (!w.queued_) {
        return false;
    }
    (w.prev_ != nullptr ? w.prev_->next_ : head_) = w.next_;
    (w.next_ != nullptr ? w.next_->prev_ : tail_) = w.prev_;
    w.queued_ = false;
    word_.fetch_sub(one_waiting, std::memory_order_relaxed);
    return true;
}

void concurrency_limiter::hand_over() noexcept {
    waiter* next = nullptr;
    {
        const std::lock_guard lock{mutex_};
        if (head_ == nullptr) {
            // Every waiter was cancelled meanwhile: an ordinary release.
            word_.fetch_sub(1, std::memory_order_release);
            return;
        }
        next = head_;
        head_ = next->next_;
        (head_ != nullptr ? head_->prev_ : tail_) = nullptr;
        next->queued_ = false;
        // One fewer waiting, in-flight unchanged: the permit changes hands without being freed,
        // so no try_acquire() can slip in between.
        word_.fetch_sub(one_waiting, std::memory_order_acq_rel);
    }
    next->grant(concurrency_permit{this}); // outside the lock: grant() may run user code
}

} // namespace bulwark
