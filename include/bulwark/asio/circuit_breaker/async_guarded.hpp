#ifndef BULWARK_ASIO_CIRCUIT_BREAKER_ASYNC_GUARDED_HPP
#define BULWARK_ASIO_CIRCUIT_BREAKER_ASYNC_GUARDED_HPP

#include <bulwark/asio/error.hpp>
#include <bulwark/core/circuit_breaker/circuit_breaker.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <utility>

namespace bulwark {
namespace detail {

template <class Clock, class Op>
class guarded_op {
public:
    guarded_op(basic_circuit_breaker<Clock>& breaker, Op op)
        : breaker_{&breaker}, op_{std::make_unique<Op>(std::move(op))} {}

    template <class Self>
    void operator()(Self& self) {
        permit_ = breaker_->try_acquire();
        if (!permit_) {
            // Rejected: complete through the executor, never inside the initiating function.
            auto ex = self.get_io_executor();
            boost::asio::post(ex, boost::asio::append(std::move(self),
                                                      make_boost_error_code(error::circuit_open)));
            return;
        }
        // Through a local reference to the heap: initialising the operation's by-value handler
        // parameter from `std::move(self)` moves this op, and the callable must not move with it.
        Op& op = *op_;
        op(std::move(self));
    }

    template <class Self, class... Rest>
    void operator()(Self& self, boost::system::error_code ec, Rest&&...) {
        if (permit_) {
            permit_.record(attempt_result{ec, 0, std::nullopt}, breaker_->clock().now());
        }
        self.complete(ec);
    }

private:
    basic_circuit_breaker<Clock>* breaker_;
    std::unique_ptr<Op> op_; // a stable address: see operator()
    typename basic_circuit_breaker<Clock>::permit permit_;
};

} // namespace detail

/**
 * Runs an asynchronous operation under a circuit breaker: only if the breaker permits it, then
 * records its outcome (classified by the breaker's `classify`, from the error code) and duration.
 *
 * @param ex      the I/O executor (and the default executor of the handler)
 * @param breaker the breaker; must outlive the operation
 * @param op      a callable that initiates the operation with the completion token it is given;
 *                completion signature `void(boost::system::error_code, ...)` (extra arguments are
 *                ignored). To classify by HTTP status, use the permit API of the breaker instead.
 * @param token   completion token for `void(boost::system::error_code)`
 *
 * A rejection completes with `bulwark::error::circuit_open` (through the executor) without
 * running `op`; otherwise the result is `op`'s error.
 *
 * @par Per-Operation Cancellation
 * Terminal cancellation is forwarded to `op`. A cancelled call (operation_aborted) is recorded as
 * ignored by the default classification: it says nothing about the callee's health.
 */
template <class Executor, class Clock, class Op,
          BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code))
              CompletionToken = boost::asio::default_completion_token_t<Executor>>
auto async_guarded(const Executor& ex, basic_circuit_breaker<Clock>& breaker, Op&& op,
                   CompletionToken&& token = boost::asio::default_completion_token_t<Executor>{}) {
    return boost::asio::async_compose<CompletionToken, void(boost::system::error_code)>(
        detail::guarded_op<Clock, std::decay_t<Op>>{breaker, std::forward<Op>(op)}, token, ex);
}

} // namespace bulwark

#endif
