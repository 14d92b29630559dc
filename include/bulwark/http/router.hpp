#ifndef BULWARK_HTTP_ROUTER_HPP
#define BULWARK_HTTP_ROUTER_HPP

#include <bulwark/config.hpp>
#include <bulwark/http/message.hpp>
#include <bulwark/http/request_context.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <concepts>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace bulwark::http {

/// A handler that answers at once.
using sync_handler = std::function<response(request_context&, request&)>;
/// A handler that may wait (timers, backends): a C++20 coroutine on the session's executor.
using async_handler = std::function<boost::asio::awaitable<response>(request_context&, request&)>;

/// One route: a handler of either kind. Routes are owned by the router.
struct route {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    /// The path template as registered, e.g. "/users/{id}": the request's route label.
    std::string path_template;
    sync_handler sync;
    async_handler async;
};

/// The router's answer for a request header.
struct route_match {
    /// The route, or null (then `path_known` tells 404 from 405).
    const route* matched = nullptr;
    /// Whether some route has this path (with another method): 405 rather than 404.
    bool path_known = false;
    /// For a 405: the methods this path supports, as an Allow header value ("GET, HEAD").
    std::string allow = {};
};

/**
 * A small router: method + path template -> handler, with the template as the route label.
 *
 * Templates are absolute paths whose segments are literals or parameters: "{name}" matches one
 * non-empty segment, and a final "{name...}" matches the rest of the path (at least one
 * character, slashes included). Literal routes are found by one hash lookup; templates with
 * parameters are tried in registration order. The query string is not part of matching.
 * Parameters are raw (not percent-decoded), valid until the request ends, and read with
 * request_context::path_param().
 *
 * A GET route also answers HEAD (the session sends the headers without the body). A path that
 * exists under other methods yields 405 with an Allow header; anything else 404. Both are
 * problem+json responses made by the session after the header phase, before any body byte is
 * read. Unmatched requests get the route label "unmatched", so metrics stay bounded.
 *
 * @par Thread Safety
 * Register every route before serving; match() is then thread-safe (const).
 *
 * @par Example
 * @snippet examples/server/main.cpp routes
 */
class router {
public:
    router() = default;

    /**
     * Registers `h` for `method` on `path_template`.
     *
     * @throws std::system_error (bulwark::error::invalid_config) naming "router.path_template"
     *         when the template is malformed (not starting with '/', an unclosed or empty
     *         parameter, "{x...}" not last, a duplicate parameter name) or when the same method
     *         and template are registered twice.
     */
    template <class H>
    router& add(boost::beast::http::verb method, std::string_view path_template, H&& h) {
        route r{method, std::string{path_template}, {}, {}};
        if constexpr (std::is_invocable_r_v<boost::asio::awaitable<response>, H&, request_context&,
                                            request&>) {
            r.async = std::forward<H>(h);
        } else {
            static_assert(std::is_invocable_r_v<response, H&, request_context&, request&>,
                          "a handler is response(request_context&, request&) or "
                          "boost::asio::awaitable<response>(request_context&, request&)");
            r.sync = std::forward<H>(h);
        }
        add_route(std::move(r));
        return *this;
    }
    template <class H>
    router& get(std::string_view path_template, H&& h) {
        return add(boost::beast::http::verb::get, path_template, std::forward<H>(h));
    }
    template <class H>
    router& post(std::string_view path_template, H&& h) {
        return add(boost::beast::http::verb::post, path_template, std::forward<H>(h));
    }
    template <class H>
    router& put(std::string_view path_template, H&& h) {
        return add(boost::beast::http::verb::put, path_template, std::forward<H>(h));
    }
    template <class H>
    router& del(std::string_view path_template, H&& h) {
        return add(boost::beast::http::verb::delete_, path_template, std::forward<H>(h));
    }

    /**
     * Finds the route of a request. On a match, sets the context's route label and path
     * parameters; otherwise sets the label "unmatched".
     */
    [[nodiscard]] BULWARK_HTTP_API route_match match(request_context& ctx,
                                                     const request_header& h) const;

    /// Number of routes registered.
    [[nodiscard]] std::size_t size() const noexcept { return routes_.size(); }

private:
    struct segment {
        std::string text; // literal text, or the parameter name
        bool parameter = false;
        bool rest = false; // "{name...}": the remainder of the path
    };
    struct compiled {
        std::unique_ptr<route> r;
        std::vector<segment> segments;
    };

    BULWARK_HTTP_API void add_route(route r);

    std::vector<compiled> routes_;
    // Literal templates -> indices into routes_ (one per method).
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::vector<std::size_t>, string_hash, std::equal_to<>>
        literal_;
    std::vector<std::size_t> templated_;
};

} // namespace bulwark::http

#endif
