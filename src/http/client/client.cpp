#include <bulwark/asio/error.hpp>
#include <bulwark/http/client/client.hpp>
#include <bulwark/version.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <limits>
#include <utility>

#include "../outbound.hpp"

namespace bulwark::http {

namespace net = boost::asio;
namespace bh = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// parse_http_url's target: also no fragment, which a client never sends.
bool valid_url_target(std::string_view t) {
    return detail::valid_target(t) && t.find('#') == std::string_view::npos;
}

} // namespace

std::optional<http_url> parse_http_url(std::string_view url) {
    http_url out;
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::nullopt;
    }
    std::string scheme{url.substr(0, scheme_end)};
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "https") {
        out.https = true;
    } else if (scheme != "http") {
        return std::nullopt;
    }
    url.remove_prefix(scheme_end + 3);
    const auto path_start = url.find_first_of("/?");
    std::string_view authority = url.substr(0, path_start);
    std::string_view target = path_start == std::string_view::npos ? "/" : url.substr(path_start);
    std::string target_text{target};
    if (target_text.front() == '?') {
        target_text.insert(0, "/");
    }
    if (authority.find('@') != std::string_view::npos || !valid_url_target(target_text)) {
        return std::nullopt;
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        out.host = std::string{authority.substr(1, close - 1)};
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return std::nullopt;
            }
            port_text = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string{authority.substr(0, colon)};
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
        }
        if (out.host.find_first_of(":[]%") != std::string::npos) {
            return std::nullopt; // an IPv6 literal (and its zone) needs brackets
        }
    }
    if (out.host.empty() || !detail::valid_host(out.host)) {
        return std::nullopt;
    }
    out.port = out.https ? 443 : 80;
    if (!port_text.empty()) {
        unsigned port = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
            port > 65535) {
            return std::nullopt;
        }
        out.port = static_cast<std::uint16_t>(port);
    }
    out.target = std::move(target_text);
    return out;
}

std::error_code validate(const client_config& c, config_issue* issue) noexcept {
    if (!detail::valid_host(c.host)) {
        return invalid_config(
            issue, "client_config.host",
            "must be a host name or an IP address (letters, digits, - . _ : [ ] %)");
    }
    if (c.port == 0) {
        return invalid_config(issue, "client_config.port", "must be 1-65535");
    }
    if (c.timeout <= duration::zero()) {
        return invalid_config(issue, "client_config.timeout", "must be positive");
    }
    if (c.max_response_bytes == 0) {
        return invalid_config(issue, "client_config.max_response_bytes", "must be positive");
    }
    return {};
}

namespace detail {

struct client_target {
    client_config config;
    bulwark::detail::probe_address address;
    std::string host_header;
    std::string user_agent = "bulwark/" + std::string{bulwark::version()};

    explicit client_target(client_config c)
        : config{std::move(c)}, address{config.host, config.port} {
        const bool default_port = config.port == (config.tls ? 443 : 80);
        host_header = default_port ? address.authority.substr(0, address.authority.rfind(':'))
                                   : address.authority;
    }
};

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);
using result = std::pair<error_code, response>;

// One exchange: its own strand, socket and deadline.
struct exchange_state {
    exchange_state(const net::any_io_executor& ex, std::shared_ptr<const client_target> t)
        : strand{net::make_strand(ex)}, target{std::move(t)}, resolver{strand}, socket{strand},
          timer{strand} {}

    net::strand<net::any_io_executor> strand;
    std::shared_ptr<const client_target> target;
    tcp::resolver resolver;
    tcp::socket socket;
    std::optional<net::ssl::stream<tcp::socket&>> tls;
    net::steady_timer timer;
    bool timed_out = false;
    bool cancelled = false;

    // On the strand: stops whatever is in flight.
    void stop() {
        resolver.cancel();
        error_code ignored;
        socket.close(ignored);
    }

    [[nodiscard]] error_code failed(error_code ec) const {
        if (timed_out) {
            return make_boost_error_code(error::deadline_exceeded);
        }
        if (cancelled) {
            return net::error::operation_aborted;
        }
        return ec;
    }
};

template <class Stream>
net::awaitable<result> write_and_read(exchange_state& s, Stream& stream, request& req) {
    auto [wec, written] = co_await bh::async_write(stream, req, nothrow);
    if (wec) {
        co_return result{s.failed(wec), {}};
    }
    const auto limit = s.target->config.max_response_bytes;
    boost::beast::flat_buffer buffer;
    bh::response_parser<bh::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limit, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(limit);
    auto [rec, read] = co_await bh::async_read(stream, buffer, parser, nothrow);
    if (rec) {
        co_return result{s.failed(rec), {}};
    }
    co_return result{error_code{}, parser.release()};
}

net::awaitable<result> exchange(std::shared_ptr<exchange_state> s, request req) {
    s->timer.expires_after(s->target->config.timeout);
    s->timer.async_wait([weak = std::weak_ptr<exchange_state>{s}](error_code ec) {
        if (auto state = weak.lock(); state && !ec) {
            state->timed_out = true;
            state->stop();
        }
    });
    const auto& address = s->target->address;
    if (address.numeric) {
        auto [ec] = co_await s->socket.async_connect(*address.numeric, nothrow);
        if (ec) {
            co_return result{s->failed(ec), {}};
        }
    } else {
        auto [ec, endpoints] = co_await s->resolver.async_resolve(
            address.host, address.service, tcp::resolver::numeric_service, nothrow);
        if (ec) {
            co_return result{s->failed(ec), {}};
        }
        auto [cec, ep] = co_await net::async_connect(s->socket, endpoints, nothrow);
        if (cec) {
            co_return result{s->failed(cec), {}};
        }
    }
    if (!s->target->config.tls) {
        co_return co_await write_and_read(*s, s->socket, req);
    }
    s->tls.emplace(s->socket, *s->target->config.tls);
    if (!prepare_client_tls(s->tls->native_handle(), address)) {
        co_return result{net::error::invalid_argument, {}};
    }
    auto [hec] = co_await s->tls->async_handshake(net::ssl::stream_base::client, nothrow);
    if (hec) {
        co_return result{s->failed(hec), {}};
    }
    co_return co_await write_and_read(*s, *s->tls, req);
}

} // namespace

void start_client_request(const net::any_io_executor& ex,
                          const std::shared_ptr<const client_target>& target, request req,
                          net::any_completion_handler<void(error_code, response)> handler) {
    auto state = std::make_shared<exchange_state>(ex, target);
    auto slot = net::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) {
        slot.assign([weak = std::weak_ptr<exchange_state>{state}](net::cancellation_type type) {
            if ((type & net::cancellation_type::terminal) == net::cancellation_type::none) {
                return;
            }
            if (auto s = weak.lock()) {
                net::dispatch(s->strand, [s] {
                    s->cancelled = true;
                    s->stop();
                });
            }
        });
    }
    net::co_spawn(state->strand, exchange(state, std::move(req)),
                  [state, ex, h = std::move(handler)](std::exception_ptr e, result r) mutable {
                      state->timer.cancel();
                      auto handler_slot = net::get_associated_cancellation_slot(h);
                      if (handler_slot.is_connected()) {
                          handler_slot.clear();
                      }
                      if (e) {
                          // Nothing in exchange() throws but allocation.
                          r = result{make_error_code(boost::system::errc::not_enough_memory), {}};
                      }
                      const auto handler_ex = net::get_associated_executor(h, ex);
                      net::dispatch(handler_ex,
                                    net::append(std::move(h), r.first, std::move(r.second)));
                  });
}

} // namespace detail

client::client(executor_type ex, client_config config) : ex_{std::move(ex)} {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue.field, issue.reason);
    }
    target_ = std::make_shared<const detail::client_target>(std::move(config));
}

const client_config& client::config() const noexcept {
    return target_->config;
}

void client::prepare(const detail::client_target& target, request& req,
                     const request_context* parent) {
    if (req.find(bh::field::host) == req.end()) {
        req.set(bh::field::host, target.host_header);
    }
    if (req.find(bh::field::user_agent) == req.end()) {
        req.set(bh::field::user_agent, target.user_agent);
    }
    req.keep_alive(false);
    if (parent != nullptr) {
        inject_trace(parent->trace(), req, target.config.propagation);
    }
    req.prepare_payload();
}

} // namespace bulwark::http
