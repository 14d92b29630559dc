#include <bulwark/http/log_context_executor.hpp>
#include <bulwark/http/session.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <type_traits>

#include "server_core.hpp"

namespace bulwark::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
using tcp = net::ip::tcp;
using tcp_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);

// The answer to a failed header or body read, or 0 when there is nobody to answer (the peer
// closed or reset the connection, or went quiet before sending a byte of this request).
unsigned status_for_read_error(const beast::error_code& ec) {
    if (ec == bh::error::header_limit) {
        return 431;
    }
    if (ec == bh::error::body_limit) {
        return 413;
    }
    // beast::error::timeout (tcp_stream's expiry) has closed the socket: nobody to answer.
    // Header and body deadlines are read_deadline's, which keep the socket for the 408.
    if (ec.category() == bh::make_error_code(bh::error::bad_target).category() &&
        ec != bh::error::end_of_stream && ec != bh::error::partial_message) {
        return 400; // any other parse error: malformed request
    }
    return 0;
}

std::string_view detail_for(unsigned status) {
    switch (status) {
    case 400: return "The request is not valid HTTP/1.1.";
    case 408: return "The request was not received in time.";
    case 413: return "The request body is larger than this resource accepts.";
    case 431: return "The request header is larger than this server accepts.";
    default: return {};
    }
}

// Transfer-Encoding whose final coding is not chunked (Beast then reads no body), together
// with Content-Length, or in HTTP/1.0.
bool ambiguous_framing(const request_header& h, bool chunked) {
    if (h.count(bh::field::transfer_encoding) == 0) {
        return false;
    }
    return !chunked || h.version() < 11 || h.count(bh::field::content_length) != 0;
}

// Sets the framing headers of `res` for sending: Content-Length from the body, none at all for
// 1xx, 204 and 304 (whose bodies are dropped: RFC 9110 forbids them), and for HEAD the length
// the GET would have had, without the body.
void frame(response& res, bool head) {
    const unsigned status = res.result_int();
    res.chunked(false); // a string body has a known length, and HTTP/1.0 has no chunking
    if (status < 200 || status == 204 || status == 304) {
        res.body().clear();
        res.erase(bh::field::content_length);
        return;
    }
    res.content_length(res.body().size());
    if (head) {
        res.body().clear();
    }
}

// Whether the handler or a middleware asked to close after this response.
bool asks_close(const response& res) {
    const auto it = res.find(bh::field::connection);
    return it != res.end() && bh::token_list{it->value()}.exists("close");
}

bool expects_continue(const request_header& h) {
    const auto it = h.find(bh::field::expect);
    if (it == h.end()) {
        return false;
    }
    const auto value = it->value();
    return beast::iequals(value, "100-continue");
}

boost::asio::ip::address normalized(const boost::asio::ip::address& a) {
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; logs and keys want a.b.c.d.
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
    }
    return a;
}

// A total deadline for reading a header or a body that, unlike tcp_stream's own expiry (which
// closes the socket), only cancels the read: the session can still answer 408.
class read_deadline {
public:
    read_deadline(const net::any_io_executor& strand, tcp::socket& socket) : timer_{strand} {
        state_->socket = &socket;
    }
    ~read_deadline() {
        state_->socket = nullptr;
        timer_.cancel();
    }
    read_deadline(const read_deadline&) = delete;
    read_deadline& operator=(const read_deadline&) = delete;

    void arm(duration d) {
        state_->fired = false;
        const auto generation = ++state_->generation;
        timer_.expires_after(d);
        timer_.async_wait([s = state_, generation](const beast::error_code& ec) {
            if (!ec && s->generation == generation && s->socket != nullptr) {
                s->fired = true;
                beast::error_code ignored;
                s->socket->cancel(ignored);
            }
        });
    }
    /// Stops the deadline; true if it fired (the read was cut off by it).
    bool disarm() {
        ++state_->generation;
        timer_.cancel();
        return state_->fired;
    }

private:
    struct state {
        bool fired = false;
        std::uint64_t generation = 0;
        tcp::socket* socket = nullptr;
    };
    net::steady_timer timer_;
    std::shared_ptr<state> state_ = std::make_shared<state>();
};

template <class Stream>
net::awaitable<void> close_stream(Stream& stream, const session_config& cfg) {
    auto& lowest = beast::get_lowest_layer(stream);
    if constexpr (std::is_same_v<Stream, tls_stream>) {
        // close_notify, bounded: a peer that does not answer must not hold the coroutine.
        lowest.expires_after(std::min<duration>(cfg.write_timeout, std::chrono::seconds{2}));
        co_await stream.async_shutdown(tuple_awaitable);
    } else {
        beast::error_code ignored;
        lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
        // Lingering close: closing with unread input makes the kernel send a reset, which can
        // destroy the response (a 413, a 408) before the client reads it. Read and discard
        // what the client still sends, for at most a second and 1 MiB.
        lowest.expires_after(std::min<duration>(cfg.write_timeout, std::chrono::seconds{1}));
        std::array<char, 16 * 1024> sink{};
        std::size_t discarded = 0;
        while (discarded < 1024 * 1024) {
            const auto [ec, n] = co_await lowest.async_read_some(
                net::buffer(sink.data(), sink.size()), tuple_awaitable);
            if (ec) {
                break;
            }
            discarded += n;
        }
    }
    lowest.close();
}

template <class Stream>
net::awaitable<void> serve(std::shared_ptr<server::core> core, Stream& stream,
                           std::shared_ptr<live_connection> live) {
    constexpr bool secure = std::is_same_v<Stream, tls_stream>;
    const auto& cfg = core->config.session;
    auto& lowest = beast::get_lowest_layer(stream);
    beast::error_code ec;
    const auto peer = normalized(lowest.socket().remote_endpoint(ec).address());
    if (ec) {
        co_return;
    }
    live->close_socket = [&lowest] { lowest.close(); };

    if constexpr (secure) {
        if (core->draining.load()) {
            lowest.close();
            co_return;
        }
        lowest.expires_after(cfg.handshake_timeout);
        const auto [hs_ec] =
            co_await stream.async_handshake(net::ssl::stream_base::server, tuple_awaitable);
        if (hs_ec) {
            lowest.close();
            co_return;
        }
    }

    beast::flat_buffer buffer;
    request_context ctx;
    // Every step of this coroutine from here on runs with the request's log context current.
    live->log_slot->current = &ctx.log_context();
    struct clear_slot {
        log_context_slot& s;
        ~clear_slot() { s.current = nullptr; }
    } const clear{*live->log_slot};
    const steady_clock_source clock;
    read_deadline deadline{lowest.get_executor(), lowest.socket()};
    std::string head_bytes; // the response header, serialized; its capacity is reused
    for (std::uint64_t ordinal = 1;; ++ordinal) {
        // Between requests: idle. Wait for the first byte under the idle deadline, so a drain
        // can close this connection without cutting a request in half.
        if (buffer.size() == 0) {
            live->idle = true;
            if (core->draining.load()) {
                break;
            }
            lowest.expires_after(ordinal == 1 ? std::min(cfg.header_timeout, cfg.idle_timeout)
                                              : cfg.idle_timeout);
            const auto [read_ec, n] =
                co_await stream.async_read_some(buffer.prepare(4096), tuple_awaitable);
            if (read_ec) {
                break; // idle timeout, peer closed, or closed by a drain: no response owed
            }
            buffer.commit(n);
        }
        live->idle = false;

        bh::request_parser<bh::string_body> parser;
        parser.header_limit(cfg.header_limit);
        parser.body_limit(boost::none); // set from the header phase's verdict, before the body
        lowest.expires_never();
        deadline.arm(cfg.header_timeout);
        const auto [header_ec, header_bytes] =
            co_await bh::async_read_header(stream, buffer, parser, tuple_awaitable);
        const bool header_late = deadline.disarm();

        request_context::identity id;
        id.peer = peer;
        id.client = peer;
        id.secure = secure;
        id.start = clock.now(); // the one clock read every limiter and timer of this request uses
        id.body_limit = cfg.body_limit;
        id.ordinal = ordinal;
        id.ids = &core->ids;

        response res;
        bool close_after = false; // unread request bytes, or a failed read: cannot continue
        bool head = false;
        auto& req = parser.get();
        if (header_ec) {
            const unsigned status = header_late ? 408 : status_for_read_error(header_ec);
            if (status == 0) {
                break;
            }
            id.http_version = 11;
            id.keep_alive = false;
            ctx.reset(id);
            ctx.set_route("unmatched");
            ctx.reject({.status = status, .detail = detail_for(status)}, "session");
            ctx.sync_log_context();
            res = ctx.take_response();
            close_after = true;
        } else {
            id.http_version = req.version();
            id.method = req.method();
            id.keep_alive = req.keep_alive();
            id.client = cfg.client_address.trusted_proxies.empty()
                            ? peer
                            : normalized(core->resolver.resolve(peer, req));
            ctx.reset(id);
            head = req.method() == bh::verb::head;
            const auto match = core->routes.match(ctx, req);
            ctx.sync_log_context(); // this request's client and route, for the header phase
            // The middlewares accept or make the request id and set the trace: the log
            // context follows (the id is made here if none did, after they had their chance).
            const bool ambiguous = ambiguous_framing(req, parser.chunked());
            action verdict = action::proceed;
            bool header_failed = false;
            bool suspended = false;
            if (!ambiguous) {
                try {
                    if (core->pipeline.has_async_header()) {
                        // A hook that waits on I/O (a limit kept in Redis): awaited here,
                        // resumed on this connection's strand.
                        suspended = true;
                        verdict = co_await core->pipeline.async_on_header(ctx, req);
                    } else {
                        verdict = core->pipeline.on_header(ctx, req);
                    }
                } catch (...) {
                    // Answered like a handler's exception: the response and completion
                    // phases still run (gauges, logs), and the text stays server-side.
                    header_failed = true;
                    core->handler_exceptions.fetch_add(1, std::memory_order_relaxed);
                    if (core->config.on_handler_exception) {
                        core->config.on_handler_exception(ctx, std::current_exception());
                    }
                }
                (void)ctx.request_id();
                ctx.sync_log_context();
            }
            if (suspended && (core->closed.load() || !lowest.socket().is_open())) {
                // The server closed this connection while the hook waited: nobody to answer,
                // and the handler must not run for a request whose connection is gone.
                ctx.set_finish(clock.now());
                ctx.set_result(outcome::aborted, 0, 0, 0);
                core->pipeline.on_complete(ctx);
                ctx.release();
                break;
            }
            if (header_failed) {
                ctx.reject({.status = 500, .detail = internal_error_detail}, "header_phase");
                res = ctx.take_response();
                close_after = !parser.is_done();
            } else if (ambiguous) {
                // RFC 9112 section 6.1: a body framing the server cannot be sure of is refused
                // and the connection closed, or a proxy in front could be told a different
                // story about where this request ends (request smuggling).
                ctx.reject({.status = 400, .detail = detail_for(400)}, "session");
                res = ctx.take_response();
                close_after = true;
            } else if (verdict == action::respond) {
                res = ctx.take_response();
                close_after = !parser.is_done();
            } else if (match.matched == nullptr) {
                if (match.path_known) {
                    ctx.reject({.status = 405,
                                .detail = "This resource does not support the "
                                          "request's method."},
                               "router");
                    res = ctx.take_response();
                    res.set(bh::field::allow, match.allow);
                } else {
                    ctx.reject({.status = 404, .detail = "No resource at this path."}, "router");
                    res = ctx.take_response();
                }
                close_after = !parser.is_done();
            } else if (const auto length = parser.content_length();
                       length && *length > ctx.body_limit()) {
                // Refused before a body byte is read (and before 100 Continue invites it).
                ctx.reject({.status = 413, .detail = detail_for(413)}, "session");
                res = ctx.take_response();
                close_after = true;
            } else {
                bool body_ok = true;
                if (!parser.is_done() && req.version() >= 11 && expects_continue(req)) {
                    bh::response<bh::empty_body> go_on{bh::status::continue_, 11};
                    lowest.expires_after(cfg.write_timeout);
                    const auto [cont_ec, cont_n] =
                        co_await bh::async_write(stream, go_on, tuple_awaitable);
                    body_ok = !cont_ec;
                }
                beast::error_code body_ec;
                bool body_late = false;
                if (body_ok && !parser.is_done()) {
                    parser.body_limit(ctx.body_limit());
                    lowest.expires_never();
                    deadline.arm(cfg.body_timeout);
                    const auto [read_ec, n] =
                        co_await bh::async_read(stream, buffer, parser, tuple_awaitable);
                    body_late = deadline.disarm();
                    body_ec = read_ec;
                }
                if (!body_ok) {
                    ctx.set_finish(clock.now());
                    ctx.set_result(outcome::aborted, 0, 0, 0);
                    core->pipeline.on_complete(ctx);
                    ctx.release();
                    break;
                }
                if (body_ec) {
                    const unsigned status = body_late ? 408 : status_for_read_error(body_ec);
                    if (status == 0) {
                        ctx.set_finish(clock.now());
                        ctx.set_result(outcome::aborted, 0, 0, 0);
                        core->pipeline.on_complete(ctx);
                        ctx.release();
                        break;
                    }
                    ctx.reject({.status = status, .detail = detail_for(status)}, "session");
                    res = ctx.take_response();
                    close_after = true;
                } else if (core->pipeline.on_request(ctx, req) == action::respond) {
                    res = ctx.take_response();
                } else {
                    bool failed = false;
                    try {
                        if (match.matched->sync) {
                            res = match.matched->sync(ctx, req);
                        } else {
                            res = co_await match.matched->async(ctx, req);
                        }
                    } catch (...) {
                        failed = true;
                        core->handler_exceptions.fetch_add(1, std::memory_order_relaxed);
                        if (core->config.on_handler_exception) {
                            core->config.on_handler_exception(ctx, std::current_exception());
                        }
                    }
                    if (failed) {
                        // The exception's text stays in the server's logs.
                        ctx.reject({.status = 500, .detail = internal_error_detail}, "handler");
                        res = ctx.take_response();
                    }
                }
            }
        }

        try {
            core->pipeline.on_response(ctx, res);
        } catch (...) {
            // A response hook that throws must not cost the client its answer.
            ctx.reject({.status = 500, .detail = internal_error_detail}, "response_phase");
            res = ctx.take_response();
        }
        // The version first: Beast's keep-alive logic depends on it.
        res.version(ctx.http_version() == 10 ? 10 : 11);
        const bool keep =
            !close_after && ctx.keep_alive() && !asks_close(res) && !core->draining.load() &&
            (cfg.max_requests_per_connection == 0 || ordinal < cfg.max_requests_per_connection);
        res.keep_alive(keep);
        frame(res, head);
        core->requests.fetch_add(1, std::memory_order_relaxed); // before the client can see it
        lowest.expires_after(cfg.write_timeout);
        serialize_header(res, head_bytes);
        const std::array<net::const_buffer, 2> wire{
            net::buffer(head_bytes), net::buffer(res.body().data(), res.body().size())};
        const auto [write_ec, written] = co_await net::async_write(stream, wire, tuple_awaitable);
        ctx.set_finish(clock.now());
        ctx.set_result(write_ec ? outcome::write_failed : outcome::completed, res.result_int(),
                       req.body().size(), res.body().size());
        core->pipeline.on_complete(ctx);
        ctx.release();
        if (write_ec || !keep) {
            break;
        }
    }
    live->idle = false;
    co_await close_stream(stream, cfg);
}

template <class Stream>
net::awaitable<void> run(std::shared_ptr<server::core> core, Stream stream,
                         std::list<std::shared_ptr<live_connection>>::iterator registration,
                         graceful_shutdown::work work) {
    const auto live = *registration;
    try {
        co_await serve(core, stream, live);
    } catch (...) {
        // Out of memory or a bug: drop this connection, keep the server.
    }
    live->close_socket = nullptr;
    core->connection_closed(registration);
    work.reset(); // last: a drain may end (and the program exit) once this is gone
}

} // namespace

void start_session(const std::shared_ptr<server::core>& core, tcp::socket socket,
                   net::ssl::context* tls,
                   std::list<std::shared_ptr<live_connection>>::iterator registration,
                   graceful_shutdown::work work) {
    // The coroutine runs on the connection's strand, wrapped so each step makes the current
    // request's log context current on whichever thread runs it.
    const auto strand =
        with_log_context(net::any_io_executor{(*registration)->strand}, (*registration)->log_slot);
    if (tls != nullptr) {
        net::co_spawn(strand,
                      run(core, tls_stream{std::move(socket), *tls}, registration, std::move(work)),
                      net::detached);
    } else {
        net::co_spawn(strand,
                      run(core, tcp_stream{std::move(socket)}, registration, std::move(work)),
                      net::detached);
    }
}

} // namespace bulwark::http
