#ifndef BULWARK_REDIS_CONNECTION_HPP
#define BULWARK_REDIS_CONNECTION_HPP

#include <bulwark/asio/error.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/retry/backoff.hpp>
#include <bulwark/redis/reply.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace bulwark::redis {

/// Configuration of a connection. Checked by validate(); the constructor throws naming the
/// field.
struct connection_config {
    /// Server host name or address. Default "127.0.0.1".
    std::string host = "127.0.0.1";
    /// Server port. Default 6379; 0 is invalid.
    std::uint16_t port = 6379;
    /// ACL user (Redis 6+) for `AUTH user password`; empty: `AUTH password` when a password
    /// is set.
    std::string username = {};
    /// Password; empty: no AUTH.
    std::string password = {};
    /// Database for SELECT. Default 0 (no SELECT). Redis Cluster has only database 0.
    unsigned database = 0;
    /// Name the connection reports in CLIENT LIST. Default "bulwark"; empty: not set. Only
    /// letters, digits and `-_.:` (Redis refuses spaces).
    std::string client_name = "bulwark";
    /// TLS (Redis 6+ `tls-port`, managed Redis services): a client context with the
    /// certificates to trust (and a client certificate for `tls-auth-clients`); null: plain
    /// TCP. The server's certificate is always verified, against `tls_server_name`. The
    /// context is shared, not copied, and must not change while connections use it.
    /// Default null.
    std::shared_ptr<boost::asio::ssl::context> tls = nullptr;
    /// The name the server's certificate must carry, also sent as SNI; empty: `host`.
    std::string tls_server_name = {};
    /// Longest a connection attempt (resolve, connect, handshake) may take. Default 1 s.
    duration connect_timeout = std::chrono::seconds{1};
    /// Longest a command may wait for its reply, counted from async_exec. Default 250 ms.
    duration command_timeout = std::chrono::milliseconds{250};
    /// Most commands queued or awaiting a reply; past it async_exec fails at once with
    /// error::store_busy. Default 4096; at least 1.
    std::size_t max_pending = 4096;
    /// Delay between reconnection attempts. Default 50 ms doubling to 5 s, full jitter.
    backoff_config reconnect = {.initial = std::chrono::milliseconds{50},
                                .max = std::chrono::seconds{5}};
};

/// Checks `c`: host, port, client_name, timeouts, max_pending and the reconnect backoff.
[[nodiscard]] BULWARK_REDIS_API std::error_code validate(const connection_config& c,
                                                         config_issue* issue = nullptr) noexcept;

/// What a connection has done, for metrics and tests.
struct connection_stats {
    bool connected = false;
    std::uint64_t connects = 0;         ///< successful connections (the first one included)
    std::uint64_t connect_failures = 0; ///< attempts that failed (refused, timed out, AUTH)
    std::uint64_t disconnects = 0;      ///< established connections that broke
    std::uint64_t commands = 0;         ///< commands written
    std::uint64_t replies = 0;          ///< replies read
    std::uint64_t timeouts = 0;         ///< commands completed with store_timeout
    std::uint64_t rejected = 0;         ///< failed at once: not connected or busy
    std::uint64_t pending = 0;          ///< queued or awaiting a reply now
    std::error_code last_error = {};    ///< why the last attempt or connection failed
};

namespace detail {

// A pending operation's completion, type-erased (Boost 1.81 has no any_completion_handler):
// the handler and a work guard on its executor, completed by a post to that executor.
template <class... Args>
class completion_op {
public:
    virtual ~completion_op() = default;
    completion_op() = default;
    completion_op(const completion_op&) = delete;
    completion_op& operator=(const completion_op&) = delete;
    // Completes through the handler's executor, never inline.
    virtual void complete(Args... args) && = 0;
};

template <class Handler, class Executor, class... Args>
class completion_op_impl final : public completion_op<Args...> {
public:
    completion_op_impl(Handler&& h, const Executor& io)
        : handler_{std::move(h)}, work_{boost::asio::get_associated_executor(handler_, io)} {}

    void complete(Args... args) && override {
        auto ex = work_.get_executor();
        // The guard travels with the posted handler: released before the post, it could be
        // the last work of the handler's io_context, which would then stop without running it.
        boost::asio::post(ex,
                          [h = std::move(handler_), w = std::move(work_),
                           ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); });
    }

private:
    Handler handler_;
    boost::asio::executor_work_guard<std::decay_t<decltype(boost::asio::get_associated_executor(
        std::declval<Handler&>(), std::declval<const Executor&>()))>>
        work_;
};

using exec_op = completion_op<boost::system::error_code, reply>;

} // namespace detail

/**
 * One pipelined connection to a Redis server, driven by an io_context: no thread of its own.
 *
 * Commands from any thread are written in order, several per write when they queue up, and
 * answered in order (Redis answers a connection's commands in the order it received them), so
 * one connection carries thousands of concurrent requests. The protocol is parsed by hiredis's
 * reader; all I/O is Asio's.
 *
 * Failure behaviour, chosen for callers that must decide quickly (a rate limiter in a request
 * path):
 * - Commands are never queued while there is no connection: async_exec fails at once with
 *   error::store_not_connected. The caller's fallback decides, not a growing queue.
 * - Each command has `command_timeout` from async_exec to its reply, then fails with
 *   error::store_timeout. The server may still run it (a timed-out INCR may have counted).
 * - A connection whose oldest reply is overdue by a second `command_timeout` is treated as
 *   dead (a black-holed peer sends no reset) and replaced.
 * - At most `max_pending` commands are queued or in flight; past it, error::store_busy.
 * - A broken connection fails everything it carried with error::store_connection_lost and
 *   reconnects with `reconnect` backoff until stop().
 *
 * An error reply from the server (`-ERR ...`) completes with no error_code and a reply of
 * kind::error.
 *
 * @par Thread Safety
 * Every member function may be called from any thread. Completion handlers run on their
 * associated executor (the connection's by default), never inside async_exec.
 *
 * @par Lifetime
 * The connection stops when destroyed: pending commands fail with operation_aborted.
 */
class connection {
public:
    using executor_type = boost::asio::any_io_executor;

    /// Does not connect yet: call start(). Throws std::system_error naming a bad config field.
    BULWARK_REDIS_API connection(executor_type ex, connection_config config);
    BULWARK_REDIS_API ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Starts connecting (and reconnecting after failures) in the background.
    BULWARK_REDIS_API void start();
    /// Closes the connection; pending and later commands fail with operation_aborted.
    BULWARK_REDIS_API void stop();

    /**
     * Sends `cmd`; completes with `void(boost::system::error_code, reply)`.
     *
     * Errors: error::store_not_connected, store_busy, store_timeout, store_connection_lost,
     * store_protocol_error, boost::asio::error::operation_aborted after stop(), and
     * boost::asio::error::invalid_argument for a command that does not get exactly one reply
     * (an empty command, SUBSCRIBE and its kin, MONITOR, QUIT, RESET, HELLO, CLIENT REPLY).
     * Not cancellable: it completes within `command_timeout` of the call.
     *
     * State set with a command (SELECT, AUTH, CLIENT SETNAME) is lost when the connection is
     * replaced: put it in the connection_config, which the handshake applies every time.
     */
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_exec(command cmd, Token&& token = {}) {
        // The initiation holds the state, not `this`: a lazy token (deferred, use_awaitable)
        // may initiate after the connection object is gone (the command then fails).
        return boost::asio::async_initiate<Token, void(boost::system::error_code, reply)>(
            [state = impl_, ex = executor_](auto handler, command c) {
                using op_type = detail::completion_op_impl<decltype(handler), executor_type,
                                                           boost::system::error_code, reply>;
                submit(state, std::move(c), std::make_unique<op_type>(std::move(handler), ex));
            },
            token, std::move(cmd));
    }

    [[nodiscard]] BULWARK_REDIS_API connection_stats stats() const;
    [[nodiscard]] BULWARK_REDIS_API bool connected() const noexcept;
    [[nodiscard]] executor_type get_executor() const noexcept { return executor_; }
    [[nodiscard]] BULWARK_REDIS_API const connection_config& config() const noexcept;

    class impl;

private:
    friend class gcra_limiter; // submits on the shared state, which outlives this object

    BULWARK_REDIS_API static void submit(const std::shared_ptr<impl>& state, command cmd,
                                         std::unique_ptr<detail::exec_op> op);
    [[nodiscard]] BULWARK_REDIS_API static bool state_connected(const impl& state) noexcept;

    executor_type executor_;
    std::shared_ptr<impl> impl_;
};

} // namespace bulwark::redis

#endif
