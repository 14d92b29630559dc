#ifndef BULWARK_ASIO_RATE_LIMIT_ASYNC_ACQUIRE_HPP
#define BULWARK_ASIO_RATE_LIMIT_ASYNC_ACQUIRE_HPP

#include <bulwark/asio/error.hpp>
#include <bulwark/core/rate_limit/concurrency_limiter.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace bulwark {
namespace detail {

// One queued async_acquire: owns the handler and keeps its executor busy until completion.
template <class Handler, class Executor>
class acquire_op final : public concurrency_limiter::waiter {
public:
    using handler_executor = std::decay_t<decltype(boost::asio::get_associated_executor(
        std::declval<Handler&>(), std::declval<const Executor&>()))>;

    acquire_op(Handler&& handler, const Executor& ex, concurrency_limiter& limiter)
        : handler_{std::move(handler)}, io_work_{ex}, work_{boost::asio::get_associated_executor(
                                                          handler_, ex)},
          limiter_{limiter}, slot_{boost::asio::get_associated_cancellation_slot(handler_)} {}

    static void start(std::unique_ptr<acquire_op> self) {
        auto* op = self.get();
        // The cancellation handler goes in before the op is queued: once queued, another thread
        // may grant it at any moment.
        if (op->slot_.is_connected()) {
            op->slot_.template emplace<cancel_handler>(op);
        }
        concurrency_permit granted;
        switch (op->limiter_.enqueue(*op, granted)) {
        case concurrency_limiter::enqueue_result::queued:
            self.release(); // owned by the queue until grant() or cancel
            return;
        case concurrency_limiter::enqueue_result::granted:
            complete(std::move(self), {}, std::move(granted));
            return;
        case concurrency_limiter::enqueue_result::full:
            complete(std::move(self),
                     make_boost_error_code(op->limiter_.config().max_waiters == 0
                                               ? error::concurrency_limited
                                               : error::queue_full),
                     {});
            return;
        }
    }

    void grant(concurrency_permit permit) noexcept override {
        complete(std::unique_ptr<acquire_op>{this}, {}, std::move(permit));
    }

private:
    struct cancel_handler {
        acquire_op* op;
        void operator()(boost::asio::cancellation_type type) const {
            // Leaving the queue has no side effect, so every cancellation type is honoured.
            if ((type & (boost::asio::cancellation_type::terminal |
                         boost::asio::cancellation_type::partial |
                         boost::asio::cancellation_type::total)) !=
                    boost::asio::cancellation_type::none &&
                op->limiter_.cancel(*op)) {
                complete(std::unique_ptr<acquire_op>{op}, boost::asio::error::operation_aborted,
                         {});
            }
        }
    };

    // Completes through the handler's executor, never inside the initiating function or inside
    // a release() on another thread. The op is freed before the handler runs.
    static void complete(std::unique_ptr<acquire_op> self, boost::system::error_code ec,
                         concurrency_permit permit) noexcept {
        auto ex = self->work_.get_executor();
        boost::asio::post(ex, [self = std::move(self), ec, permit = std::move(permit)]() mutable {
            self->slot_.clear();
            auto handler = std::move(self->handler_);
            auto work = std::move(self->work_);
            auto io_work = std::move(self->io_work_);
            self.reset();
            std::move(handler)(ec, std::move(permit));
            (void)work; // both released after the handler ran
            (void)io_work;
        });
    }

    Handler handler_;
    // Outstanding work on both the I/O executor and the handler's, as Asio's model asks of an
    // operation that has not completed.
    boost::asio::executor_work_guard<Executor> io_work_;
    boost::asio::executor_work_guard<handler_executor> work_;
    concurrency_limiter& limiter_;
    boost::asio::cancellation_slot slot_;
};

struct initiate_acquire {
    template <class Handler, class Executor>
    void operator()(Handler&& handler, const Executor& ex, concurrency_limiter* limiter) const {
        // Fast path: a free permit and nobody waiting. No allocation, no lock; the completion
        // is still posted (never invoked inside the initiating function).
        if (concurrency_permit permit = limiter->try_acquire()) {
            auto target = boost::asio::get_associated_executor(handler, ex);
            boost::asio::post(std::move(target), [handler = std::forward<Handler>(handler),
                                                  permit = std::move(permit)]() mutable {
                std::move(handler)(boost::system::error_code{}, std::move(permit));
            });
            return;
        }
        using op_type = acquire_op<std::decay_t<Handler>, Executor>;
        op_type::start(std::make_unique<op_type>(std::forward<Handler>(handler), ex, *limiter));
    }
};

} // namespace detail

/**
 * Waits asynchronously for a permit of `limiter`.
 *
 * Completes with a permit at once (through the executor, never inside this call) when one is
 * free and nobody waits; otherwise the caller joins the limiter's FIFO queue of at most
 * `max_waiters` and completes when a permit is released to it.
 *
 * @param ex      the I/O executor: the default executor of the handler, and kept busy (work
 *                tracked) while the operation waits
 * @param limiter the limiter; must outlive the operation
 * @param token   the completion token: a callback, `use_future`, `deferred`, `use_awaitable`,
 *                `as_tuple(...)`, ...
 *
 * Completion signature: `void(boost::system::error_code ec, concurrency_permit permit)`
 * - success: `ec` is clear and `permit` holds a slot;
 * - `bulwark::error::concurrency_limited`: no permit and `max_waiters` is 0;
 * - `bulwark::error::queue_full`: no permit and `max_waiters` callers already wait;
 * - `boost::asio::error::operation_aborted`: cancelled while waiting.
 *
 * @par Per-Operation Cancellation
 * Supports `terminal`, `partial` and `total` cancellation: a waiting operation leaves the queue
 * and completes with `operation_aborted`; nothing else changes. A cancellation that arrives
 * after a permit was granted has no effect (the handler receives the permit). Emit the
 * cancellation signal from the handler's executor, as Asio requires of every operation.
 *
 * @par Thread Safety
 * Any number of operations may wait on one limiter, started and granted from any threads.
 *
 * @par Example
 * @code
 * auto permit = co_await bulwark::async_acquire(ex, bulkhead, boost::asio::use_awaitable);
 * co_await call_backend(); // at most max_in_flight of these run at once
 * @endcode
 */
template <class Executor,
          BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code, concurrency_permit))
              CompletionToken = boost::asio::default_completion_token_t<Executor>>
auto async_acquire(const Executor& ex, concurrency_limiter& limiter,
                   CompletionToken&& token = boost::asio::default_completion_token_t<Executor>{}) {
    return boost::asio::async_initiate<CompletionToken,
                                       void(boost::system::error_code, concurrency_permit)>(
        detail::initiate_acquire{}, token, ex, &limiter);
}

} // namespace bulwark

#endif
