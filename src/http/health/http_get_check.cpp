#include <bulwark/asio/health/tcp_connect_check.hpp>
#include <bulwark/http/health/http_get_check.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <exception>
#include <limits>
#include <optional>
#include <string_view>

#include "../outbound.hpp"

namespace bulwark::http {

namespace net = boost::asio;
namespace bh = boost::beast::http;
using tcp = net::ip::tcp;

namespace detail {

struct http_get_target {
    http_get_check_config config;
    bulwark::detail::probe_address address;
    std::string prefix;  // "GET http://127.0.0.1:8080/health: ", the start of every output
    std::string request; // the whole request, written as is

    explicit http_get_target(http_get_check_config c)
        : config{std::move(c)}, address{config.host, config.port} {
        const bool https = config.tls != nullptr;
        prefix = "GET ";
        prefix += https ? "https://" : "http://";
        prefix += address.authority;
        prefix += config.target;
        prefix += ": ";

        // The port is left out of Host when it is the scheme's default, as browsers send it
        // (RFC 9110 7.2: either form is valid).
        const bool default_port = config.port == (https ? 443 : 80);
        std::string host_header = default_port
                                      ? address.authority.substr(0, address.authority.rfind(':'))
                                      : address.authority;
        request = "GET " + config.target + " HTTP/1.1\r\nHost: " + host_header +
                  "\r\nUser-Agent: bulwark-health/1\r\nConnection: close\r\n\r\n";
    }
};

namespace {

constexpr auto nothrow = net::as_tuple(net::use_awaitable);

// One run of an http_get_check: a coroutine on the probe's strand.
class http_get_probe final : public bulwark::detail::health_probe {
public:
    http_get_probe(const net::any_io_executor& ex, std::shared_ptr<const http_get_target> t)
        : health_probe{ex}, t_{std::move(t)}, resolver_{strand()}, socket_{strand()} {
        if (t_->config.tls) {
            tls_.emplace(socket_, *t_->config.tls);
            tls_ready_ = prepare_client_tls(tls_->native_handle(), t_->address);
        }
    }

private:
    std::shared_ptr<http_get_probe> self() {
        return std::static_pointer_cast<http_get_probe>(shared_from_this());
    }

    void run() override {
        net::co_spawn(strand(), exchange(),
                      [self = self()](std::exception_ptr e, check_result result) {
                          if (e) {
                              // Nothing in exchange() throws but allocation.
                              result = self->describe_exception(e);
                          }
                          self->finish(std::move(result));
                      });
    }

    void cancel_io() override {
        resolver_.cancel();
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    check_result failure(std::string_view step, const boost::system::error_code& ec) const {
        std::string out = t_->prefix;
        out += step;
        out += ": ";
        out += bulwark::detail::probe_error_text(ec);
        return check_result::fail(std::move(out));
    }

    check_result describe_exception(const std::exception_ptr& e) const {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            return check_result::fail(t_->prefix + x.what());
        } catch (...) {
        }
        return check_result{};
    }

    net::awaitable<check_result> exchange() {
        const auto& address = t_->address;
        if (address.numeric) {
            auto [ec] = co_await socket_.async_connect(*address.numeric, nothrow);
            if (ec) {
                co_return failure("connect", ec);
            }
        } else {
            auto [ec, endpoints] = co_await resolver_.async_resolve(
                address.host, address.service, tcp::resolver::numeric_service, nothrow);
            if (ec) {
                co_return failure("resolve", ec);
            }
            std::optional<tcp::endpoint> tried;
            auto [cec, ep] = co_await net::async_connect(
                socket_, endpoints,
                [&](const boost::system::error_code&, const tcp::endpoint& next) {
                    tried = next;
                    return !finished();
                },
                nothrow);
            if (cec) {
                co_return failure(tried ? "connect " + bulwark::detail::probe_authority(*tried)
                                        : std::string{"connect"},
                                  cec);
            }
        }
        if (!tls_) {
            co_return co_await get(socket_);
        }
        if (!tls_ready_) {
            co_return check_result::fail(t_->prefix + "TLS setup failed");
        }
        auto [ec] = co_await tls_->async_handshake(net::ssl::stream_base::client, nothrow);
        if (ec) {
            co_return failure("TLS handshake", ec);
        }
        co_return co_await get(*tls_);
    }

    template <class Stream>
    net::awaitable<check_result> get(Stream& stream) {
        const auto& config = t_->config;
        auto [wec, written] = co_await net::async_write(stream, net::buffer(t_->request), nothrow);
        if (wec) {
            co_return failure("write", wec);
        }

        const auto too_large = [&] {
            return check_result::fail(t_->prefix + "response exceeds " +
                                      std::to_string(config.max_response_bytes) + " bytes");
        };
        boost::beast::flat_buffer buffer;
        bh::response_parser<bh::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
            config.max_response_bytes, std::numeric_limits<std::uint32_t>::max())));
        // No body limit while the header is parsed: Beast would compare a Content-Length with
        // it there, before the status is known, and the status is the better output.
        parser.body_limit(boost::none);
        auto [hec, header_bytes] = co_await bh::async_read_header(stream, buffer, parser, nothrow);
        if (hec == bh::error::header_limit) {
            co_return too_large();
        }
        if (hec) {
            co_return failure("read", hec);
        }
        const unsigned status = parser.get().result_int();
        if (status < config.min_status || status > config.max_status) {
            // The verdict is made; the body of an error page is not worth reading.
            co_return check_result::fail(t_->prefix + "status " + std::to_string(status));
        }
        // What remains of the budget after the header (header_limit kept it within). Beast
        // checks a Content-Length against body_limit only at the end of the header, so that
        // case is checked here; chunked and close-delimited bodies are counted as they come.
        const std::uint64_t remaining = config.max_response_bytes - header_bytes;
        if (const auto length = parser.content_length(); length && *length > remaining) {
            co_return too_large();
        }
        parser.body_limit(remaining);
        auto [bec, body_bytes] = co_await bh::async_read(stream, buffer, parser, nothrow);
        if (bec == bh::error::body_limit) {
            co_return too_large();
        }
        if (bec) {
            co_return failure("read", bec);
        }
        const double ms = elapsed_ms();
        boost::system::error_code ignored;
        socket_.close(ignored); // Connection: close; no TLS close_notify, nothing more to say
        co_return check_result::pass().observed(ms, "ms");
    }

    std::shared_ptr<const http_get_target> t_; // before tls_: owns the ssl::context it uses
    tcp::resolver resolver_;
    tcp::socket socket_;
    std::optional<net::ssl::stream<tcp::socket&>> tls_;
    bool tls_ready_ = false;
};

} // namespace

void start_http_get_check(const net::any_io_executor& ex,
                          const std::shared_ptr<const http_get_target>& target,
                          net::any_completion_handler<void(check_result)> handler) {
    bulwark::detail::health_probe::start(std::make_shared<http_get_probe>(ex, target),
                                         std::move(handler));
}

} // namespace detail

std::error_code validate(const http_get_check_config& c, config_issue* issue) noexcept {
    if (!detail::valid_host(c.host)) {
        return invalid_config(issue, "http_get_check_config.host",
                              "must be a non-empty name or IP address");
    }
    if (c.port == 0) {
        return invalid_config(issue, "http_get_check_config.port", "must not be 0");
    }
    if (!detail::valid_target(c.target)) {
        return invalid_config(issue, "http_get_check_config.target",
                              "must start with '/' and be visible ASCII");
    }
    if (c.min_status < 100 || c.min_status > 599) {
        return invalid_config(issue, "http_get_check_config.min_status", "must be in [100, 599]");
    }
    if (c.max_status < c.min_status || c.max_status > 599) {
        return invalid_config(issue, "http_get_check_config.max_status",
                              "must be in [http_get_check_config.min_status, 599]");
    }
    if (c.max_response_bytes == 0) {
        return invalid_config(issue, "http_get_check_config.max_response_bytes",
                              "must be positive");
    }
    return {};
}

namespace {

std::shared_ptr<const detail::http_get_target> make_target(http_get_check_config config) {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue);
    }
    return std::make_shared<const detail::http_get_target>(std::move(config));
}

} // namespace

http_get_check::http_get_check(executor_type ex, http_get_check_config config)
    : ex_{std::move(ex)}, target_{make_target(std::move(config))} {}

const http_get_check_config& http_get_check::config() const noexcept {
    return target_->config;
}

} // namespace bulwark::http
