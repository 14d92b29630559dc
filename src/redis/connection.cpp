#include <bulwark/redis/connection.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <deque>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <mutex>
#include <optional>
#include <random>
#include <tuple>

namespace bulwark::redis {

namespace net = boost::asio;
using net::ip::tcp;
using namespace net::experimental::awaitable_operators;

// ---------------------------------------------------------------------------------------------
// command

command& command::arg(std::string_view value) {
    char len[24];
    const auto r = std::to_chars(len, len + sizeof len, value.size());
    body_ += '$';
    body_.append(len, r.ptr);
    body_ += "\r\n";
    body_.append(value);
    body_ += "\r\n";
    ++argc_;
    return *this;
}

command& command::append_signed(std::int64_t value) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, value);
    return arg(std::string_view{digits, static_cast<std::size_t>(r.ptr - digits)});
}

command& command::append_unsigned(std::uint64_t value) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, value);
    return arg(std::string_view{digits, static_cast<std::size_t>(r.ptr - digits)});
}

std::string_view command::argument(std::size_t index) const noexcept {
    // body_ is "$<len>\r\n<bytes>\r\n" per argument.
    const std::string_view b{body_};
    std::size_t at = 0;
    for (std::size_t i = 0; at < b.size(); ++i) {
        const auto eol = b.find("\r\n", at);
        if (b[at] != '$' || eol == std::string_view::npos) {
            return {};
        }
        std::size_t len = 0;
        const auto r = std::from_chars(b.data() + at + 1, b.data() + eol, len);
        if (r.ec != std::errc{} || eol + 2 + len > b.size()) {
            return {};
        }
        if (i == index) {
            return b.substr(eol + 2, len);
        }
        at = eol + 2 + len + 2;
    }
    return {};
}

void command::encode(std::string& out) const {
    char n[24];
    const auto r = std::to_chars(n, n + sizeof n, argc_);
    out += '*';
    out.append(n, r.ptr);
    out += "\r\n";
    out += body_;
}

// ---------------------------------------------------------------------------------------------
// config

std::error_code validate(const connection_config& c, config_issue* issue) noexcept {
    if (c.host.empty()) {
        return invalid_config(issue, "connection_config.host", "must not be empty");
    }
    if (c.port == 0) {
        return invalid_config(issue, "connection_config.port", "must be from 1 to 65535");
    }
    for (const char ch : c.client_name) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
                        ch == ':';
        if (!ok) {
            return invalid_config(issue, "connection_config.client_name",
                                  "only letters, digits and -_.: are allowed");
        }
    }
    if (c.connect_timeout <= duration::zero()) {
        return invalid_config(issue, "connection_config.connect_timeout", "must be positive");
    }
    if (c.command_timeout <= duration::zero()) {
        return invalid_config(issue, "connection_config.command_timeout", "must be positive");
    }
    if (c.max_pending == 0) {
        return invalid_config(issue, "connection_config.max_pending", "must be at least 1");
    }
    if (const auto ec = backoff::validate(c.reconnect, issue)) {
        if (issue != nullptr) {
            issue->field = "connection_config.reconnect";
        }
        return ec;
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// reply conversion

namespace {

struct reader_deleter {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;

struct reply_deleter {
    void operator()(void* r) const noexcept { freeReplyObject(r); }
};

reply convert(const redisReply& r) {
    reply out;
    switch (r.type) {
    case REDIS_REPLY_STRING:
        out.type = reply::kind::string;
        out.text.assign(r.str, r.len);
        break;
    case REDIS_REPLY_STATUS:
        out.type = reply::kind::status;
        out.text.assign(r.str, r.len);
        break;
    case REDIS_REPLY_ERROR:
        out.type = reply::kind::error;
        out.text.assign(r.str, r.len);
        break;
    case REDIS_REPLY_INTEGER:
        out.type = reply::kind::integer;
        out.integer = r.integer;
        break;
    case REDIS_REPLY_ARRAY:
        out.type = reply::kind::array;
        out.elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i) {
            out.elements.push_back(convert(*r.element[i]));
        }
        break;
    default: out.type = reply::kind::nil; break;
    }
    return out;
}

using steady = std::chrono::steady_clock;

} // namespace

// ---------------------------------------------------------------------------------------------
// impl

// Whether a command gets exactly one reply, which the in-order matching of replies needs.
bool one_reply(const command& cmd) noexcept {
    if (cmd.argument_count() == 0) {
        return false; // Redis ignores an empty request: no reply at all
    }
    const auto equals = [](std::string_view arg, std::string_view upper) {
        return arg.size() == upper.size() &&
               std::equal(arg.begin(), arg.end(), upper.begin(), [](char a, char b) {
                   return (a >= 'a' && a <= 'z' ? static_cast<char>(a - 'a' + 'A') : a) == b;
               });
    };
    const auto name = cmd.argument(0);
    for (const std::string_view n :
         {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
          "MONITOR", "QUIT", "RESET", "HELLO"}) {
        if (equals(name, n)) {
            return false;
        }
    }
    // CLIENT REPLY OFF|SKIP silences the replies the matching counts on.
    return !(equals(name, "CLIENT") && equals(cmd.argument(1), "REPLY"));
}

class connection::impl : public std::enable_shared_from_this<impl> {
public:
    impl(executor_type ex, connection_config c)
        : strand_{net::make_strand(ex)}, config_{std::move(c)}, backoff_{config_.reconnect},
          socket_{strand_}, write_signal_{strand_}, timeout_timer_{strand_},
          backoff_timer_{strand_}, random_{std::random_device{}()} {}

    // --- on any thread -----------------------------------------------------------------------

    void start() {
        net::post(strand_, [self = shared_from_this()] {
            if (self->started_ || self->stopped_) {
                return;
            }
            self->started_ = true;
            net::co_spawn(self->strand_, self->run(), net::detached);
        });
    }

    void stop() {
        net::post(strand_, [self = shared_from_this()] {
            self->stopped_ = true;
            self->close_connection(net::error::operation_aborted);
            self->backoff_timer_.cancel();
        });
    }

    void submit(command cmd, std::unique_ptr<detail::exec_op> op) {
        // The timeout counts from the call, including the wait for the strand.
        const auto deadline = steady::now() + config_.command_timeout;
        net::post(strand_, [self = shared_from_this(), cmd = std::move(cmd), op = std::move(op),
                            deadline]() mutable { self->enqueue(cmd, std::move(op), deadline); });
    }

    connection_stats stats() const {
        connection_stats s;
        s.connected = connected_.load(std::memory_order_relaxed);
        // acquire: pairs with the release increments, so last_error (written before them) is
        // the error of the failure counted.
        s.connects = connects_.load(std::memory_order_acquire);
        s.connect_failures = connect_failures_.load(std::memory_order_acquire);
        s.disconnects = disconnects_.load(std::memory_order_acquire);
        s.commands = commands_.load(std::memory_order_relaxed);
        s.replies = replies_.load(std::memory_order_relaxed);
        s.timeouts = timeouts_.load(std::memory_order_relaxed);
        s.rejected = rejected_.load(std::memory_order_relaxed);
        s.pending = pending_count_.load(std::memory_order_relaxed);
        const std::lock_guard lock{error_mutex_};
        s.last_error = last_error_;
        return s;
    }

    [[nodiscard]] bool connected() const noexcept {
        return connected_.load(std::memory_order_relaxed);
    }

    const connection_config& config() const noexcept { return config_; }

private:
    struct entry {
        std::unique_ptr<detail::exec_op> op; // null once timed out (the reply is discarded)
        steady::time_point deadline;
    };

    // --- on the strand -----------------------------------------------------------------------

    static void finish(std::unique_ptr<detail::exec_op> op, boost::system::error_code ec,
                       reply r = {}) {
        std::move(*op).complete(ec, std::move(r));
    }

    void enqueue(const command& cmd, std::unique_ptr<detail::exec_op> op,
                 steady::time_point deadline) {
        if (stopped_) {
            finish(std::move(op), net::error::operation_aborted);
            return;
        }
        if (!one_reply(cmd)) {
            finish(std::move(op), net::error::invalid_argument);
            return;
        }
        if (!ready_) {
            rejected_.fetch_add(1, std::memory_order_relaxed);
            finish(std::move(op), make_boost_error_code(error::store_not_connected));
            return;
        }
        if (pending_.size() >= config_.max_pending) {
            rejected_.fetch_add(1, std::memory_order_relaxed);
            finish(std::move(op), make_boost_error_code(error::store_busy));
            return;
        }
        // Deadlines stay in queue order, so the timed-out entries are always a prefix.
        if (!pending_.empty()) {
            deadline = std::max(deadline, pending_.back().deadline);
        }
        entry e{std::move(op), deadline};
        const auto written = out_.size();
        try {
            cmd.encode(out_);
            pending_.push_back(std::move(e)); // strong guarantee: e keeps the op on failure
        } catch (...) {
            out_.resize(written); // no half-encoded command may reach the socket
            finish(std::move(e.op), make_boost_error_code(error::store_busy));
            return;
        }
        pending_count_.store(pending_.size(), std::memory_order_relaxed);
        commands_.fetch_add(1, std::memory_order_relaxed);
        if (writer_idle_) {
            write_signal_.cancel();
        }
        if (pending_.size() == 1) {
            timeout_timer_.cancel(); // it waits for nothing: re-arm for this deadline
        }
    }

    // The first real cause of a connection's end (not the cancellation of its other loops).
    void note_error(boost::system::error_code ec) {
        if (!conn_error_ && ec && ec != net::error::operation_aborted) {
            conn_error_ = ec;
        }
    }

    void record_error(boost::system::error_code ec) {
        const std::lock_guard lock{error_mutex_};
        last_error_ = static_cast<std::error_code>(ec);
    }

    // Fails everything in flight with `fail_with` and closes the socket; the loops then end.
    void close_connection(boost::system::error_code fail_with) {
        if (ready_ && !stopped_) {
            record_error(conn_error_ ? conn_error_ : fail_with);
            disconnects_.fetch_add(1, std::memory_order_release);
        }
        ready_ = false;
        conn_error_ = {};
        connected_.store(false, std::memory_order_relaxed);
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        write_signal_.cancel();
        timeout_timer_.cancel();
        auto pending = std::move(pending_);
        pending_.clear();
        abandoned_ = 0;
        out_.clear();
        pending_count_.store(0, std::memory_order_relaxed);
        for (auto& e : pending) {
            if (e.op) {
                finish(std::move(e.op), fail_with);
            }
        }
    }

    net::awaitable<void> run() {
        const auto self = shared_from_this();
        unsigned attempt = 0;
        duration previous{};
        while (!stopped_) {
            try {
                const auto ec = co_await connect_once();
                if (stopped_) {
                    boost::system::error_code ignored;
                    socket_.close(ignored);
                    break;
                }
                if (!ec) {
                    attempt = 0;
                    previous = {};
                    ready_ = true;
                    conn_error_ = {};
                    connected_.store(true, std::memory_order_relaxed);
                    connects_.fetch_add(1, std::memory_order_release);
                    co_await (read_loop() || write_loop() || timeout_loop());
                    close_connection(make_boost_error_code(error::store_connection_lost));
                } else {
                    record_error(ec);
                    connect_failures_.fetch_add(1, std::memory_order_release);
                    boost::system::error_code ignored;
                    socket_.close(ignored);
                }
            } catch (...) {
                // Out of memory somewhere in the loops: drop this connection, keep trying.
                close_connection(make_boost_error_code(error::store_connection_lost));
            }
            if (stopped_) {
                break;
            }
            ++attempt;
            const auto delay = backoff_.delay(attempt, previous, backoff::unit_interval(random_()));
            previous = delay;
            backoff_timer_.expires_after(delay);
            co_await backoff_timer_.async_wait(net::as_tuple(net::use_awaitable));
        }
    }

    // Resolve, connect and handshake within connect_timeout (name resolution itself cannot be
    // interrupted in Boost 1.81: a hanging resolver delays the attempt beyond it).
    net::awaitable<boost::system::error_code> connect_once() {
        net::steady_timer deadline{strand_};
        deadline.expires_after(config_.connect_timeout);
        auto result = co_await (connect_and_handshake() ||
                                deadline.async_wait(net::as_tuple(net::use_awaitable)));
        if (result.index() == 1) {
            co_return make_boost_error_code(error::store_timeout);
        }
        co_return std::get<0>(result);
    }

    net::awaitable<boost::system::error_code> connect_and_handshake() {
        co_await net::this_coro::throw_if_cancelled(false);
        tcp::resolver resolver{strand_};
        const std::string port = std::to_string(config_.port);
        auto [rec, endpoints] =
            co_await resolver.async_resolve(config_.host, port, net::as_tuple(net::use_awaitable));
        if (rec) {
            co_return rec;
        }
        socket_ = tcp::socket{strand_};
        auto [cec, ep] =
            co_await net::async_connect(socket_, endpoints, net::as_tuple(net::use_awaitable));
        if (cec) {
            co_return cec;
        }
        boost::system::error_code ignored;
        socket_.set_option(tcp::no_delay{true}, ignored);
        tls_.reset();
        if (config_.tls) {
            // A fresh TLS session per connection, verified against the configured name.
            tls_.emplace(socket_, *config_.tls);
            const std::string& name =
                config_.tls_server_name.empty() ? config_.host : config_.tls_server_name;
            tls_->set_verify_mode(net::ssl::verify_peer);
            tls_->set_verify_callback(net::ssl::host_name_verification{name});
            boost::system::error_code not_ip;
            (void)net::ip::make_address(name, not_ip);
            if (not_ip) { // SNI carries host names only
                SSL_set_tlsext_host_name(tls_->native_handle(), name.c_str());
            }
            auto [hec] = co_await tls_->async_handshake(net::ssl::stream_base::client,
                                                        net::as_tuple(net::use_awaitable));
            if (hec) {
                co_return hec;
            }
        }
        reader_.reset(redisReaderCreate());
        if (!reader_) {
            co_return make_boost_error_code(error::store_connection_lost);
        }

        // The handshake: AUTH, SELECT and CLIENT SETNAME pipelined in one write. An error
        // reply to AUTH or SELECT fails the attempt; one to CLIENT SETNAME (an ACL without
        // +client|setname, a managed Redis without CLIENT) only leaves the name unset.
        std::string hello;
        std::size_t expected = 0;
        if (!config_.password.empty()) {
            if (config_.username.empty()) {
                command{"AUTH", config_.password}.encode(hello);
            } else {
                command{"AUTH", config_.username, config_.password}.encode(hello);
            }
            ++expected;
        }
        if (config_.database != 0) {
            command{"SELECT", config_.database}.encode(hello);
            ++expected;
        }
        const std::size_t must_succeed = expected;
        if (!config_.client_name.empty()) {
            command{"CLIENT", "SETNAME", config_.client_name}.encode(hello);
            ++expected;
        }
        if (expected == 0) {
            co_return boost::system::error_code{};
        }
        auto [wec, written] = co_await write_all(net::buffer(hello));
        if (wec) {
            co_return wec;
        }
        std::size_t got = 0;
        bool refused = false;
        while (got < expected) {
            auto [ec, n] = co_await read_some(net::buffer(read_buf_));
            if (ec) {
                co_return ec;
            }
            if (redisReaderFeed(reader_.get(), read_buf_.data(), n) != REDIS_OK) {
                co_return make_boost_error_code(error::store_protocol_error);
            }
            for (;;) {
                void* raw = nullptr;
                if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
                    co_return make_boost_error_code(error::store_protocol_error);
                }
                if (raw == nullptr) {
                    break;
                }
                const std::unique_ptr<void, reply_deleter> owned{raw};
                if (got < must_succeed &&
                    static_cast<redisReply*>(raw)->type == REDIS_REPLY_ERROR) {
                    refused = true;
                }
                ++got;
            }
        }
        if (refused) {
            co_return make_boost_error_code(error::store_auth_failed);
        }
        co_return boost::system::error_code{};
    }

    // Whether the awaitable operators asked this coroutine to stop (another loop ended). The
    // loops turn throw_if_cancelled off, so a cancelled wait returns and they check here.
    static net::awaitable<bool> cancelled() {
        const auto state = co_await net::this_coro::cancellation_state;
        co_return state.cancelled() != net::cancellation_type::none;
    }

    // The socket, or the TLS stream over it.
    net::awaitable<std::tuple<boost::system::error_code, std::size_t>>
    read_some(net::mutable_buffer b) {
        if (tls_) {
            co_return co_await tls_->async_read_some(b, net::as_tuple(net::use_awaitable));
        }
        co_return co_await socket_.async_read_some(b, net::as_tuple(net::use_awaitable));
    }
    net::awaitable<std::tuple<boost::system::error_code, std::size_t>>
    write_all(net::const_buffer b) {
        if (tls_) {
            co_return co_await net::async_write(*tls_, b, net::as_tuple(net::use_awaitable));
        }
        co_return co_await net::async_write(socket_, b, net::as_tuple(net::use_awaitable));
    }

    net::awaitable<void> read_loop() {
        co_await net::this_coro::throw_if_cancelled(false);
        for (;;) {
            auto [ec, n] = co_await read_some(net::buffer(read_buf_));
            if (ec) {
                note_error(ec);
                co_return;
            }
            if (redisReaderFeed(reader_.get(), read_buf_.data(), n) != REDIS_OK) {
                note_error(make_boost_error_code(error::store_protocol_error));
                close_connection(make_boost_error_code(error::store_protocol_error));
                co_return;
            }
            for (;;) {
                void* raw = nullptr;
                if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
                    note_error(make_boost_error_code(error::store_protocol_error));
                    close_connection(make_boost_error_code(error::store_protocol_error));
                    co_return;
                }
                if (raw == nullptr) {
                    break;
                }
                const std::unique_ptr<void, reply_deleter> owned{raw};
                if (pending_.empty()) {
                    // A reply nobody asked for: the stream is out of step.
                    note_error(make_boost_error_code(error::store_protocol_error));
                    close_connection(make_boost_error_code(error::store_protocol_error));
                    co_return;
                }
                replies_.fetch_add(1, std::memory_order_relaxed);
                auto e = std::move(pending_.front());
                pending_.pop_front();
                pending_count_.store(pending_.size(), std::memory_order_relaxed);
                if (!e.op) {
                    --abandoned_; // the late reply of a timed-out command
                    continue;
                }
                reply r;
                try {
                    r = convert(*static_cast<redisReply*>(raw));
                } catch (...) {
                    // Out of memory copying the reply: this caller still gets an answer.
                    finish(std::move(e.op), make_boost_error_code(error::store_connection_lost));
                    throw; // run() replaces the connection
                }
                finish(std::move(e.op), {}, std::move(r));
            }
        }
    }

    net::awaitable<void> write_loop() {
        co_await net::this_coro::throw_if_cancelled(false);
        std::string writing;
        for (;;) {
            if (out_.empty()) {
                writer_idle_ = true;
                write_signal_.expires_at(steady::time_point::max());
                co_await write_signal_.async_wait(net::as_tuple(net::use_awaitable));
                writer_idle_ = false;
                if (!ready_ || co_await cancelled()) {
                    co_return;
                }
                continue;
            }
            writing.swap(out_);
            out_.clear();
            auto [ec, n] = co_await write_all(net::buffer(writing));
            if (ec) {
                note_error(ec);
                co_return;
            }
            if (co_await cancelled()) {
                co_return;
            }
            writing.clear();
        }
    }

    // Completes overdue commands with store_timeout, and ends (so the connection is replaced)
    // when the oldest reply is overdue by a second command_timeout: a stuck or vanished peer.
    net::awaitable<void> timeout_loop() {
        co_await net::this_coro::throw_if_cancelled(false);
        for (;;) {
            auto wake = steady::time_point::max();
            if (abandoned_ < pending_.size()) {
                wake = pending_[abandoned_].deadline;
            }
            if (abandoned_ > 0) {
                wake = std::min(wake, pending_.front().deadline + config_.command_timeout);
            }
            timeout_timer_.expires_at(wake);
            co_await timeout_timer_.async_wait(net::as_tuple(net::use_awaitable));
            if (!ready_ || co_await cancelled()) {
                co_return;
            }
            const auto now = steady::now();
            while (abandoned_ < pending_.size() && pending_[abandoned_].deadline <= now) {
                timeouts_.fetch_add(1, std::memory_order_relaxed);
                finish(std::move(pending_[abandoned_].op),
                       make_boost_error_code(error::store_timeout));
                ++abandoned_;
            }
            if (abandoned_ > 0 && pending_.front().deadline + config_.command_timeout <= now) {
                note_error(make_boost_error_code(error::store_timeout));
                co_return;
            }
        }
    }

    net::strand<executor_type> strand_;
    connection_config config_;
    backoff backoff_;
    tcp::socket socket_;
    std::optional<net::ssl::stream<tcp::socket&>> tls_; // over socket_, when config_.tls
    net::steady_timer write_signal_;
    net::steady_timer timeout_timer_;
    net::steady_timer backoff_timer_;
    std::mt19937_64 random_;
    reader_ptr reader_;
    std::array<char, 16384> read_buf_{};

    std::deque<entry> pending_;            // written or in out_, answered in this order
    std::size_t abandoned_ = 0;            // timed-out entries: always a prefix of pending_
    std::string out_;                      // encoded commands not yet written
    boost::system::error_code conn_error_; // why the current connection ended
    bool started_ = false;
    bool stopped_ = false;
    bool ready_ = false;
    bool writer_idle_ = false;

    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> connects_{0};
    std::atomic<std::uint64_t> connect_failures_{0};
    std::atomic<std::uint64_t> disconnects_{0};
    std::atomic<std::uint64_t> commands_{0};
    std::atomic<std::uint64_t> replies_{0};
    std::atomic<std::uint64_t> timeouts_{0};
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> pending_count_{0};
    mutable std::mutex error_mutex_;
    std::error_code last_error_;
};

// ---------------------------------------------------------------------------------------------
// connection

connection::connection(executor_type ex, connection_config config) : executor_{ex} {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue);
    }
    impl_ = std::make_shared<impl>(std::move(ex), std::move(config));
}

connection::~connection() {
    impl_->stop();
}

void connection::start() {
    impl_->start();
}

void connection::stop() {
    impl_->stop();
}

void connection::submit(const std::shared_ptr<impl>& state, command cmd,
                        std::unique_ptr<detail::exec_op> op) {
    state->submit(std::move(cmd), std::move(op));
}

connection_stats connection::stats() const {
    return impl_->stats();
}

bool connection::connected() const noexcept {
    return impl_->connected();
}

bool connection::state_connected(const impl& state) noexcept {
    return state.connected();
}

const connection_config& connection::config() const noexcept {
    return impl_->config();
}

} // namespace bulwark::redis
