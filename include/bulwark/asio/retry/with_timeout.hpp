#ifndef BULWARK_ASIO_RETRY_WITH_TIMEOUT_HPP
#define BULWARK_ASIO_RETRY_WITH_TIMEOUT_HPP

#include <bulwark/core/clock.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <memory>
#include <utility>

namespace bulwark {
namespace detail {

struct initiate_with_timeout {
    template <class Handler, class Executor, class Op>
    void operator()(Handler&& handler, const Executor& ex, duration timeout, Op op) const {
        auto timer = std::make_shared<boost::asio::steady_timer>(ex, timeout);
        // The caller's cancellation slot and executor go to the group, so cancelling this
        // operation cancels both branches, and the handler runs where the caller expects.
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        auto target = boost::asio::get_associated_executor(handler, ex);
        auto finish = [timer, handler = std::forward<Handler>(handler)](
                          std::array<std::size_t, 2> order, boost::system::error_code op_ec,
                          boost::system::error_code timer_ec) mutable {
            // Timed out only if the timer really expired first and the operation ended because
            // of it; an operation that won the race keeps its own result.
            const bool timed_out =
                order[0] == 1 && !timer_ec && op_ec == boost::asio::error::operation_aborted;
            std::move(handler)(timed_out ? boost::system::error_code{boost::asio::error::timed_out}
                                         : op_ec);
        };
        boost::asio::experimental::make_parallel_group(std::move(op)(boost::asio::deferred),
                                                       timer->async_wait(boost::asio::deferred))
            .async_wait(boost::asio::experimental::wait_for_one(),
                        boost::asio::bind_cancellation_slot(
                            slot, boost::asio::bind_executor(target, std::move(finish))));
    }
};

} // namespace detail

/**
 * Runs an asynchronous operation with a time limit: if `timeout` passes first, the operation
 * is cancelled (terminal cancellation through its cancellation slot) and the result is
 * `boost::asio::error::timed_out`, which retry_policy treats as transient.
 *
 * This is Boost 1.86's `cancel_after(timeout, token)` for the Boost 1.81 that Debian 12 ships:
 * with Boost >= 1.86, `with_timeout(ex, d, op, token)` can be written `op(cancel_after(d, token))`.
 *
 * @param ex      executor for the timer
 * @param timeout the limit, measured from this call
 * @param op      a callable that initiates the operation with the completion token it is given;
 *                its completion signature is `void(boost::system::error_code)`; it must support
 *                terminal cancellation (every Asio I/O operation does)
 * @param token   the completion token for `void(boost::system::error_code)`
 *
 * @par Per-Operation Cancellation
 * Cancelling the returned operation cancels both the timer and the operation; the result is
 * then the operation's (normally `operation_aborted`).
 *
 * @par Example
 * @code
 * co_await bulwark::with_timeout(ex, 2s, [&](auto token) {
 *     return socket.async_connect(endpoint, token);
 * }, boost::asio::use_awaitable);
 * @endcode
 */
template <class Executor, class Op,
          BOOST_ASIO_COMPLETION_TOKEN_FOR(void(boost::system::error_code))
              CompletionToken = boost::asio::default_completion_token_t<Executor>>
auto with_timeout(const Executor& ex, duration timeout, Op&& op,
                  CompletionToken&& token = boost::asio::default_completion_token_t<Executor>{}) {
    return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
        detail::initiate_with_timeout{}, token, ex, timeout, std::forward<Op>(op));
}

} // namespace bulwark

#endif
