#include <bulwark/asio/shutdown/graceful_shutdown.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

namespace bulwark {

struct graceful_shutdown::state {
    state(const boost::asio::any_io_executor& ex, duration timeout)
        : executor{ex}, timer{ex, boost::asio::steady_timer::time_point::max()}, signals{ex},
          drain_timeout{timeout} {}

    boost::asio::any_io_executor executor;
    std::mutex mutex;
    // Guarded by mutex: the waiters' wake-up. Its expiry is "never" until draining begins, then
    // the drain deadline; cancelling it (with a new generation) makes the waiters poll again.
    boost::asio::steady_timer timer;
    std::uint64_t generation = 0;
    bool destroyed = false;
    bool callbacks_done = false; // the drain callbacks have run; only then can it be drained
    bool forced = false;         // a second signal: no more waiting
    boost::asio::steady_timer::time_point deadline = boost::asio::steady_timer::time_point::max();
    std::vector<std::function<void()>> callbacks; // guarded by mutex until draining begins

    boost::asio::signal_set signals; // used on the executor only
    duration drain_timeout;
    // Sequentially consistent: work::reset() decrements in_flight then reads draining, while
    // begin_drain() sets draining then the waiters read in_flight; one of them must see the
    // other's write, or the last unit's wake-up could be lost.
    std::atomic<bool> draining{false};
    std::atomic<std::size_t> in_flight{0};
    std::atomic<int> signal{0};

    // Under mutex: makes every waiter poll again.
    void wake_locked() {
        ++generation;
        timer.cancel();
    }
};

graceful_shutdown::work::work(std::shared_ptr<state> owner) noexcept : owner_{std::move(owner)} {}

void graceful_shutdown::work::reset() noexcept {
    if (!owner_) {
        return;
    }
    const auto owner = std::move(owner_);
    owner_.reset();
    if (owner->in_flight.fetch_sub(1) == 1 && owner->draining.load()) {
        const std::lock_guard lock{owner->mutex};
        owner->wake_locked();
    }
}

std::error_code graceful_shutdown::validate(const graceful_shutdown_config& config,
                                            config_issue* issue) noexcept {
    if (config.drain_timeout < duration::zero()) {
        return invalid_config(issue, "graceful_shutdown_config.drain_timeout",
                              "must not be negative (0 means do not wait)");
    }
    return {};
}

graceful_shutdown::graceful_shutdown(boost::asio::any_io_executor executor,
                                     graceful_shutdown_config config) {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue.field, issue.reason);
    }
    state_ = std::make_shared<state>(executor, config.drain_timeout);
    for (const int signo : config.signals) {
        state_->signals.add(signo);
    }
    if (!config.signals.empty()) {
        watch_signals(state_);
    }
}

graceful_shutdown::~graceful_shutdown() {
    {
        const std::lock_guard lock{state_->mutex};
        state_->destroyed = true;
        state_->wake_locked();
    }
    // The signal set is used on the executor only (a handler may be re-arming it now); stop
    // watching there, and give the signals back to their default handling.
    boost::asio::post(state_->executor, [s = state_] {
        boost::system::error_code ignored;
        s->signals.cancel(ignored);
        s->signals.clear(ignored);
    });
}

void graceful_shutdown::watch_signals(const std::shared_ptr<state>& s) {
    s->signals.async_wait(
        [weak = std::weak_ptr<state>{s}](const boost::system::error_code& ec, int signo) {
            const auto self = weak.lock();
            if (ec || !self) {
                return;
            }
            if (self->draining.load()) {
                // A second signal: the operator does not want to wait; end the drain now, or
                // as soon as the drain callbacks have run.
                const std::lock_guard lock{self->mutex};
                self->forced = true;
                if (self->callbacks_done) {
                    self->deadline = boost::asio::steady_timer::clock_type::now();
                    self->timer.expires_at(self->deadline);
                    ++self->generation;
                }
                return;
            }
            begin_drain(self, signo);
            watch_signals(self);
        });
}

void graceful_shutdown::begin_drain(const std::shared_ptr<state>& s, int signal_number) {
    if (s->draining.exchange(true)) {
        return;
    }
    s->signal.store(signal_number);
    // The callbacks (stop accepting, close idle connections) run before any waiter can see the
    // drain as finished: a waiter that stopped the io_context first would skip them.
    boost::asio::post(s->executor, [s] {
        std::vector<std::function<void()>> callbacks;
        {
            const std::lock_guard lock{s->mutex};
            callbacks.swap(s->callbacks);
        }
        for (const auto& callback : callbacks) {
            callback();
        }
        const std::lock_guard lock{s->mutex};
        s->callbacks_done = true;
        s->deadline = boost::asio::steady_timer::clock_type::now();
        if (!s->forced) {
            s->deadline +=
                std::chrono::duration_cast<boost::asio::steady_timer::duration>(s->drain_timeout);
        }
        ++s->generation;
        s->timer.expires_at(s->deadline); // cancels current waits: they poll again
    });
}

void graceful_shutdown::on_drain(std::function<void()> callback) {
    const std::lock_guard lock{state_->mutex};
    state_->callbacks.push_back(std::move(callback));
}

void graceful_shutdown::drain() {
    begin_drain(state_, 0);
}

bool graceful_shutdown::draining() const noexcept {
    return state_->draining.load();
}

graceful_shutdown::work graceful_shutdown::track() {
    state_->in_flight.fetch_add(1);
    return work{state_};
}

std::size_t graceful_shutdown::in_flight() const noexcept {
    return state_->in_flight.load();
}

int graceful_shutdown::signal_number() const noexcept {
    return state_->signal.load();
}

std::mutex& graceful_shutdown::mutex_of(state& s) noexcept {
    return s.mutex;
}

std::uint64_t graceful_shutdown::generation_of(const state& s) noexcept {
    return s.generation;
}

graceful_shutdown::poll_result graceful_shutdown::poll(const state& s) noexcept {
    if (s.destroyed) {
        return poll_result::destroyed;
    }
    if (!s.draining.load() || !s.callbacks_done) {
        return poll_result::waiting;
    }
    if (s.in_flight.load() == 0) {
        return poll_result::drained;
    }
    if (boost::asio::steady_timer::clock_type::now() >= s.deadline) {
        return poll_result::deadline;
    }
    return poll_result::waiting;
}

boost::asio::steady_timer& graceful_shutdown::timer_of(state& s) noexcept {
    return s.timer;
}

} // namespace bulwark
