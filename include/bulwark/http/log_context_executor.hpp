#ifndef BULWARK_HTTP_LOG_CONTEXT_EXECUTOR_HPP
#define BULWARK_HTTP_LOG_CONTEXT_EXECUTOR_HPP

#include <bulwark/config.hpp>
#include <bulwark/telemetry/log/log_context.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace bulwark::http {

/// Which log context is current for the work of one executor (one connection): the session
/// points it at the request it is serving. Shared by the executor's copies, so it lives as long
/// as the last function queued on them.
struct log_context_slot {
    const telemetry::log_context* current = nullptr;
};

/**
 * An executor that makes a log context current around every function it runs.
 *
 * A coroutine resumes on whichever thread completes what it awaited, and a thread-local
 * "current request" would then belong to someone else. Asio resumes a coroutine through the
 * executor it was spawned on, so wrapping that executor is the one place that sees every
 * resumption. Before each step this executor installs `slot->current` (the request being
 * handled on that connection, or none) with `telemetry::scoped_log_context`, and restores the
 * thread's previous context after it. The session spawns each connection's coroutine on one of
 * these, so every `json_logger` call inside a request handler picks up the request's context,
 * before and after any `co_await`.
 *
 * Every property is forwarded to the wrapped executor, so it converts to
 * `boost::asio::any_io_executor` and works wherever the wrapped one does.
 *
 * @par Thread Safety
 * Like the wrapped executor. `slot->current` is read on each step, so it must only change
 * between steps of the coroutine it belongs to (on a strand, that is always the case). Copies
 * share the slot (one atomic reference count per copy, like any executor holding state).
 */
template <class Inner>
class log_context_executor {
public:
    log_context_executor(Inner inner, std::shared_ptr<const log_context_slot> slot) noexcept
        : inner_(std::move(inner)), slot_(std::move(slot)) {}

    template <class Property>
    auto query(const Property& p) const
        noexcept(noexcept(boost::asio::query(std::declval<const Inner&>(), p)))
            -> decltype(boost::asio::query(std::declval<const Inner&>(), p)) {
        return boost::asio::query(inner_, p);
    }

    template <class Property>
    auto require(const Property& p) const -> log_context_executor<
        std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), p))>> {
        return {boost::asio::require(inner_, p), slot_};
    }

    template <class Property>
    auto prefer(const Property& p) const -> log_context_executor<
        std::decay_t<decltype(boost::asio::prefer(std::declval<const Inner&>(), p))>> {
        return {boost::asio::prefer(inner_, p), slot_};
    }

    template <class F>
    void execute(F&& f) const {
        inner_.execute(step<std::decay_t<F>>{slot_, std::forward<F>(f)});
    }

    [[nodiscard]] const Inner& inner() const noexcept { return inner_; }

    friend bool operator==(const log_context_executor& a, const log_context_executor& b) noexcept {
        return a.inner_ == b.inner_ && a.slot_ == b.slot_;
    }
    friend bool operator!=(const log_context_executor& a, const log_context_executor& b) noexcept {
        return !(a == b);
    }

private:
    template <class F>
    struct step {
        std::shared_ptr<const log_context_slot> slot;
        F f;
        void operator()() {
            const telemetry::scoped_log_context scope{slot->current};
            std::move(f)();
        }
    };

    template <class>
    friend class log_context_executor;

    Inner inner_;
    std::shared_ptr<const log_context_slot> slot_;
};

/// `log_context_executor` over `inner`, reading the current context from `slot`.
template <class Inner>
[[nodiscard]] log_context_executor<Inner>
with_log_context(Inner inner, std::shared_ptr<const log_context_slot> slot) {
    return {std::move(inner), std::move(slot)};
}

} // namespace bulwark::http

#endif
