#ifndef BULWARK_HTTP_PIPELINE_HPP
#define BULWARK_HTTP_PIPELINE_HPP

#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <boost/asio/awaitable.hpp>

#include <array>
#include <concepts>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace bulwark::http {

/// A middleware with a header phase: `action on_header(request_context&, request_header&)`,
/// called after the request header is parsed and before any body byte is read.
template <class M>
concept header_middleware = requires(M& m, request_context& ctx, request_header& h) {
    { m.on_header(ctx, h) } -> std::same_as<action>;
};

/// A middleware with an asynchronous header phase:
/// `boost::asio::awaitable<action> async_on_header(request_context&, request_header&)`, for a
/// decision that waits on I/O (a rate limit kept in Redis). The session awaits it on the
/// connection's executor, at the same point as on_header. A type may have both hooks (the
/// type-erased ones do); it then says which one applies with `bool has_async_header()`.
template <class M>
concept async_header_middleware = requires(M& m, request_context& ctx, request_header& h) {
    { m.async_on_header(ctx, h) } -> std::same_as<boost::asio::awaitable<action>>;
};

/// A middleware with a request phase: `action on_request(request_context&, request&)`, called
/// once the body has been read, before the handler.
template <class M>
concept request_middleware = requires(M& m, request_context& ctx, request& r) {
    { m.on_request(ctx, r) } -> std::same_as<action>;
};

/// A middleware with a response phase: `void on_response(request_context&, response&)`, called
/// in reverse pipeline order on every response, the handler's and the rejections alike.
template <class M>
concept response_middleware = requires(M& m, request_context& ctx, response& r) {
    { m.on_response(ctx, r) } -> std::same_as<void>;
};

/// A middleware with a completion hook: `void on_complete(request_context&)`, called once per
/// request after the response was written or the request was abandoned (metrics, logs,
/// breaker outcome). Completion hooks must not throw.
template <class M>
concept completion_middleware = requires(M& m, request_context& ctx) {
    { m.on_complete(ctx) } -> std::same_as<void>;
};

/// Anything with at least one of the hooks.
template <class M>
concept middleware = header_middleware<M> || async_header_middleware<M> || request_middleware<M> ||
    response_middleware<M> || completion_middleware<M>;

namespace detail {
/// Whether `m`'s header phase must be awaited: always for a type with only async_on_header,
/// never for one with only on_header, and as `m.has_async_header()` says for one with both.
template <class M>
[[nodiscard]] bool header_is_async(const M& m) noexcept {
    if constexpr (!async_header_middleware<M>) {
        return false;
    } else if constexpr (!header_middleware<M>) {
        return true;
    } else if constexpr (requires { m.has_async_header(); }) {
        return m.has_async_header();
    } else {
        return true;
    }
}

/// Whether M's header phase is asynchronous whatever its state.
template <class M>
inline constexpr bool only_async_header = async_header_middleware<M> && !header_middleware<M>;

[[noreturn]] inline void throw_async_header_called_sync() {
    throw std::logic_error{"bulwark::http: a middleware's header phase is asynchronous: call "
                           "async_on_header (the ready-made session does)"};
}
} // namespace detail

/**
 * A middleware stack composed at compile time.
 *
 * Each phase is an inline fold over the middlewares that implement its hook (detected with
 * `requires`): no virtual call, no function pointer, nothing for a middleware that lacks the
 * hook. The header and request phases run in order and stop at the first middleware that
 * answers action::respond; the response phase runs every middleware in reverse order, and the
 * completion phase runs every middleware in order, whatever happened before.
 *
 * The middlewares are owned by value; `get<I>()` / `get<M>()` reach them (to read counters or
 * tune them at run time).
 *
 * A pipeline with an asynchronous header hook (async_header_middleware, such as a rate limit
 * kept in Redis) has no on_header: its header phase is `co_await p.async_on_header(ctx, h)`,
 * which runs the synchronous hooks inline and awaits only the asynchronous ones.
 * has_async_header() says which one a session must call; async_on_header works for every
 * pipeline.
 *
 * @par Thread Safety
 * The phases are const-free calls on the middlewares: a pipeline shared by many connections
 * (the usual case) needs middlewares whose hooks are thread-safe, as all of bulwark's are.
 *
 * @par Example
 * @snippet examples/own_session/main.cpp pipeline
 */
template <class... M>
class pipeline {
    // Declared first: on_header's requires-clause reads it.
    static constexpr bool any_only_async = (detail::only_async_header<M> || ...);

public:
    pipeline() = default;
    explicit pipeline(M... middlewares) requires(sizeof...(M) > 0)
        : stack_{std::move(middlewares)...} {}

    /// The header phase, for a pipeline without asynchronous header hooks.
    /// Throws std::logic_error, before any hook runs, when a type-erased member holds an
    /// asynchronous header hook (has_async_header()).
    action on_header(request_context& ctx, request_header& h) requires(!any_only_async) {
        if constexpr ((async_header_middleware<M> || ...)) {
            if (has_async_header()) {
                detail::throw_async_header_called_sync();
            }
        }
        return header_range<0, sizeof...(M)>(ctx, h);
    }
    /// The header phase, awaiting the asynchronous hooks. The middlewares, `ctx` and `h` must
    /// outlive the returned awaitable (the session's do; replacing a middleware while a
    /// request is suspended in it does not).
    boost::asio::awaitable<action> async_on_header(request_context& ctx, request_header& h) {
        return async_header_from<0>(ctx, h);
    }
    /// Whether the header phase must be awaited (async_on_header) rather than called.
    [[nodiscard]] bool has_async_header() const noexcept {
        return std::apply([](const auto&... m) { return (detail::header_is_async(m) || ...); },
                          stack_);
    }
    action on_request(request_context& ctx, request& r) { return request_from<0>(ctx, r); }
    void on_response(request_context& ctx, response& r) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (response_at<sizeof...(M) - 1 - I>(ctx, r), ...);
        }
        (std::index_sequence_for<M...>{});
    }
    void on_complete(request_context& ctx) noexcept {
        std::apply(
            [&](auto&... m) {
                (
                    [&](auto& one) {
                        if constexpr (completion_middleware<
                                          std::remove_reference_t<decltype(one)>>) {
                            one.on_complete(ctx);
                        }
                    }(m),
                    ...);
            },
            stack_);
    }

    template <std::size_t I>
    [[nodiscard]] auto& get() noexcept {
        return std::get<I>(stack_);
    }
    template <class T>
    [[nodiscard]] T& get() noexcept {
        return std::get<T>(stack_);
    }

private:
    static constexpr std::array<bool, sizeof...(M) + 1> maybe_async{async_header_middleware<M>...,
                                                                    false};
    // The first middleware at or after `from` that may have to be awaited, or sizeof...(M).
    static constexpr std::size_t next_async(std::size_t from) {
        while (from < sizeof...(M) && !maybe_async[from]) {
            ++from;
        }
        return from;
    }

    // The synchronous header hooks of the middlewares [I, End).
    template <std::size_t I, std::size_t End>
    action header_range(request_context& ctx, request_header& h) {
        if constexpr (I == End) {
            return action::proceed;
        } else {
            if constexpr (header_middleware<std::tuple_element_t<I, std::tuple<M...>>>) {
                if (std::get<I>(stack_).on_header(ctx, h) == action::respond) {
                    return action::respond;
                }
            }
            return header_range<I + 1, End>(ctx, h);
        }
    }
    // Runs the synchronous hooks up to the next one that may be asynchronous inline, awaits
    // that one, and goes on: one frame for the phase plus one per hook that may be
    // asynchronous (a type-erased member counts even when it is synchronous at run time).
    template <std::size_t I>
    boost::asio::awaitable<action> async_header_from(request_context& ctx, request_header& h) {
        constexpr std::size_t j = next_async(I);
        if (header_range<I, j>(ctx, h) == action::respond) {
            co_return action::respond;
        }
        if constexpr (j < sizeof...(M)) {
            auto& m = std::get<j>(stack_);
            action a = action::proceed;
            if constexpr (detail::only_async_header<std::tuple_element_t<j, std::tuple<M...>>>) {
                a = co_await m.async_on_header(ctx, h);
            } else if (detail::header_is_async(m)) {
                a = co_await m.async_on_header(ctx, h);
            } else {
                a = m.on_header(ctx, h);
            }
            if (a == action::respond) {
                co_return action::respond;
            }
            if constexpr (next_async(j + 1) == sizeof...(M)) {
                co_return header_range<j + 1, sizeof...(M)>(ctx, h);
            } else {
                co_return co_await async_header_from<j + 1>(ctx, h);
            }
        } else {
            co_return action::proceed;
        }
    }
    template <std::size_t I>
    action request_from(request_context& ctx, request& r) {
        if constexpr (I == sizeof...(M)) {
            return action::proceed;
        } else {
            if constexpr (request_middleware<std::tuple_element_t<I, std::tuple<M...>>>) {
                if (std::get<I>(stack_).on_request(ctx, r) == action::respond) {
                    return action::respond;
                }
            }
            return request_from<I + 1>(ctx, r);
        }
    }
    template <std::size_t I>
    void response_at(request_context& ctx, response& r) {
        if constexpr (response_middleware<std::tuple_element_t<I, std::tuple<M...>>>) {
            std::get<I>(stack_).on_response(ctx, r);
        }
    }

    std::tuple<M...> stack_;
};

template <class... M>
pipeline(M...) -> pipeline<M...>;

/**
 * A type-erased middleware: holds any middleware (or a whole pipeline) behind one indirect
 * call per implemented hook; hooks the held type lacks cost a null check.
 *
 * Use it to build stacks at run time (middleware_chain) or to pass a pipeline across a
 * non-template boundary such as http::server: a pipeline<M...> wrapped once costs one indirect
 * call per phase, not one per middleware.
 *
 * It has both header hooks. has_async_header() says which one applies; on_header on a held
 * middleware whose header phase is asynchronous throws std::logic_error rather than skip it.
 *
 * @par Thread Safety
 * As the held middleware.
 */
class any_middleware {
public:
    template <class M>
    requires middleware<std::decay_t<M>> &&(!std::same_as<std::decay_t<M>, any_middleware>)
        any_middleware(M&& m) // NOLINT(google-explicit-constructor): wrapping is the point
        : self_{new std::decay_t<M>(std::forward<M>(m)), &destroy<std::decay_t<M>>} {
        using T = std::decay_t<M>;
        if constexpr (header_middleware<T>) {
            header_ = [](void* p, request_context& ctx, request_header& h) {
                return static_cast<T*>(p)->on_header(ctx, h);
            };
        }
        if constexpr (async_header_middleware<T>) {
            async_header_ = [](void* p, request_context& ctx, request_header& h) {
                return static_cast<T*>(p)->async_on_header(ctx, h);
            };
            is_async_ = [](const void* p) noexcept {
                return detail::header_is_async(*static_cast<const T*>(p));
            };
        }
        if constexpr (request_middleware<T>) {
            request_ = [](void* p, request_context& ctx, request& r) {
                return static_cast<T*>(p)->on_request(ctx, r);
            };
        }
        if constexpr (response_middleware<T>) {
            response_ = [](void* p, request_context& ctx, response& r) {
                static_cast<T*>(p)->on_response(ctx, r);
            };
        }
        if constexpr (completion_middleware<T>) {
            complete_ = [](void* p, request_context& ctx) noexcept {
                static_cast<T*>(p)->on_complete(ctx);
            };
        }
    }

    /// The synchronous header phase. Throws std::logic_error when has_async_header().
    action on_header(request_context& ctx, request_header& h) {
        if (header_ != nullptr) {
            return header_(self_.get(), ctx, h); // a dual type checks its own state
        }
        if (async_header_ != nullptr) {
            detail::throw_async_header_called_sync();
        }
        return action::proceed;
    }
    /// The header phase of any held middleware, awaited when it is asynchronous.
    boost::asio::awaitable<action> async_on_header(request_context& ctx, request_header& h) {
        if (has_async_header()) {
            co_return co_await async_header_(self_.get(), ctx, h);
        }
        co_return on_header(ctx, h);
    }
    /// Whether the header phase must be awaited (async_on_header) rather than called.
    [[nodiscard]] bool has_async_header() const noexcept {
        return is_async_ != nullptr && is_async_(self_.get());
    }
    action on_request(request_context& ctx, request& r) {
        return request_ != nullptr ? request_(self_.get(), ctx, r) : action::proceed;
    }
    void on_response(request_context& ctx, response& r) {
        if (response_ != nullptr) {
            response_(self_.get(), ctx, r);
        }
    }
    void on_complete(request_context& ctx) noexcept {
        if (complete_ != nullptr) {
            complete_(self_.get(), ctx);
        }
    }

    /// The held middleware if it is a T, else null.
    template <class T>
    [[nodiscard]] T* target() noexcept {
        return self_.get_deleter() == &destroy<T> ? static_cast<T*>(self_.get()) : nullptr;
    }

private:
    template <class T>
    static void destroy(void* p) noexcept {
        delete static_cast<T*>(p);
    }

    std::unique_ptr<void, void (*)(void*)> self_;
    action (*header_)(void*, request_context&, request_header&) = nullptr;
    boost::asio::awaitable<action> (*async_header_)(void*, request_context&,
                                                    request_header&) = nullptr;
    bool (*is_async_)(const void*) noexcept = nullptr;
    action (*request_)(void*, request_context&, request&) = nullptr;
    void (*response_)(void*, request_context&, response&) = nullptr;
    void (*complete_)(void*, request_context&) noexcept = nullptr;
};

/**
 * A middleware stack built at run time: the dynamic counterpart of pipeline<M...>, with the
 * same phase semantics. It is itself a middleware, so it can sit inside a pipeline. Once it
 * holds a middleware with an asynchronous header phase, has_async_header() is true and the
 * header phase is async_on_header (on_header throws std::logic_error).
 *
 * @par Thread Safety
 * Build it (add()) before serving; the phases are then as thread-safe as the middlewares.
 */
class middleware_chain {
public:
    /// Appends a middleware; returns *this for chaining.
    middleware_chain& add(any_middleware m) {
        stack_.push_back(std::move(m));
        return *this;
    }
    [[nodiscard]] std::size_t size() const noexcept { return stack_.size(); }

    /// Whether the header phase must be awaited (async_on_header) rather than called.
    [[nodiscard]] bool has_async_header() const noexcept {
        for (const auto& m : stack_) {
            if (m.has_async_header()) {
                return true;
            }
        }
        return false;
    }
    /// The synchronous header phase. Throws std::logic_error when has_async_header().
    action on_header(request_context& ctx, request_header& h) {
        if (has_async_header()) {
            detail::throw_async_header_called_sync();
        }
        for (auto& m : stack_) {
            if (m.on_header(ctx, h) == action::respond) {
                return action::respond;
            }
        }
        return action::proceed;
    }
    /// The header phase, awaiting the asynchronous hooks and calling the others.
    boost::asio::awaitable<action> async_on_header(request_context& ctx, request_header& h) {
        for (auto& m : stack_) {
            action a = action::proceed;
            if (m.has_async_header()) {
                a = co_await m.async_on_header(ctx, h);
            } else {
                a = m.on_header(ctx, h);
            }
            if (a == action::respond) {
                co_return action::respond;
            }
        }
        co_return action::proceed;
    }
    action on_request(request_context& ctx, request& r) {
        for (auto& m : stack_) {
            if (m.on_request(ctx, r) == action::respond) {
                return action::respond;
            }
        }
        return action::proceed;
    }
    void on_response(request_context& ctx, response& r) {
        for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
            it->on_response(ctx, r);
        }
    }
    void on_complete(request_context& ctx) noexcept {
        for (auto& m : stack_) {
            m.on_complete(ctx);
        }
    }

private:
    std::vector<any_middleware> stack_;
};

} // namespace bulwark::http

#endif
