#ifndef BULWARK_HTTP_PIPELINE_HPP
#define BULWARK_HTTP_PIPELINE_HPP

#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <concepts>
#include <memory>
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

/// Anything with at least one of the four hooks.
template <class M>
concept middleware = header_middleware<M> || request_middleware<M> || response_middleware<M> ||
    completion_middleware<M>;

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
 * @par Thread Safety
 * The phases are const-free calls on the middlewares: a pipeline shared by many connections
 * (the usual case) needs middlewares whose hooks are thread-safe, as all of bulwark's are.
 *
 * @par Example
 * @snippet examples/own_session/main.cpp pipeline
 */
template <class... M>
class pipeline {
public:
    pipeline() = default;
    explicit pipeline(M... middlewares) requires(sizeof...(M) > 0)
        : stack_{std::move(middlewares)...} {}

    action on_header(request_context& ctx, request_header& h) { return header_from<0>(ctx, h); }
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
    template <std::size_t I>
    action header_from(request_context& ctx, request_header& h) {
        if constexpr (I == sizeof...(M)) {
            return action::proceed;
        } else {
            if constexpr (header_middleware<std::tuple_element_t<I, std::tuple<M...>>>) {
                if (std::get<I>(stack_).on_header(ctx, h) == action::respond) {
                    return action::respond;
                }
            }
            return header_from<I + 1>(ctx, h);
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

    action on_header(request_context& ctx, request_header& h) {
        return header_ != nullptr ? header_(self_.get(), ctx, h) : action::proceed;
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
    action (*request_)(void*, request_context&, request&) = nullptr;
    void (*response_)(void*, request_context&, response&) = nullptr;
    void (*complete_)(void*, request_context&) noexcept = nullptr;
};

/**
 * A middleware stack built at run time: the dynamic counterpart of pipeline<M...>, with the
 * same phase semantics. It is itself a middleware, so it can sit inside a pipeline.
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

    action on_header(request_context& ctx, request_header& h) {
        for (auto& m : stack_) {
            if (m.on_header(ctx, h) == action::respond) {
                return action::respond;
            }
        }
        return action::proceed;
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
