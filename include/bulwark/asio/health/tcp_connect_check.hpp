#ifndef BULWARK_ASIO_HEALTH_TCP_CONNECT_CHECK_HPP
#define BULWARK_ASIO_HEALTH_TCP_CONNECT_CHECK_HPP

#include <bulwark/core/error.hpp>
#include <bulwark/core/health/check_result.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace bulwark {

/// Configuration of a tcp_connect_check.
struct tcp_connect_check_config {
    /// The host to connect to: a DNS name, an IPv4 address or an IPv6 address (with or without
    /// brackets). An IP address is used as is, without a DNS lookup. No default: must be set.
    std::string host = {};
    /// The TCP port. No default: 0 is invalid.
    std::uint16_t port = 0;
};

/**
 * Checks `c`: a non-empty host and a non-zero port.
 *
 * @return error::invalid_config with `issue` naming the field ("tcp_connect_check_config.host"
 *         or "tcp_connect_check_config.port"), or an empty error_code.
 */
[[nodiscard]] inline std::error_code validate(const tcp_connect_check_config& c,
                                              config_issue* issue = nullptr) noexcept {
    if (c.host.empty() || c.host == "[]") {
        return invalid_config(issue, "tcp_connect_check_config.host", "must not be empty");
    }
    if (c.port == 0) {
        return invalid_config(issue, "tcp_connect_check_config.port", "must not be 0");
    }
    return {};
}

namespace detail {

// Asio's messages are strerror's ("Connection refused"); bulwark's outputs are lower-case
// phrases. Acronyms ("SSL routines") keep their case: only a capital followed by a lower-case
// letter is lowered.
inline std::string probe_error_text(const boost::system::error_code& ec) {
    std::string s = ec.message();
    if (s.size() >= 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z') {
        s[0] = static_cast<char>(s[0] - 'A' + 'a');
    }
    return s;
}

// "10.0.0.7:5432", "[::1]:5432".
inline std::string probe_authority(std::string_view host, std::uint16_t port) {
    std::string s;
    const bool v6 = host.find(':') != std::string_view::npos;
    if (v6) {
        s += '[';
    }
    s += host;
    if (v6) {
        s += ']';
    }
    s += ':';
    s += std::to_string(port);
    return s;
}

inline std::string probe_authority(const boost::asio::ip::tcp::endpoint& e) {
    return probe_authority(e.address().to_string(), e.port());
}

// Where a probe connects, worked out once per check and shared by all its runs.
struct probe_address {
    std::string host;    // without IPv6 brackets
    std::uint16_t port;  // non-zero
    std::string service; // the port as text, for the resolver
    std::string authority;
    // Set when `host` is an IP address: connect to it without asking the resolver (whose
    // lookups cannot be cancelled, see health_probe).
    std::optional<boost::asio::ip::tcp::endpoint> numeric;

    probe_address(std::string_view h, std::uint16_t p) : port{p}, service{std::to_string(p)} {
        if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
            h = h.substr(1, h.size() - 2);
        }
        host = std::string{h};
        authority = probe_authority(host, port);
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address(host, ec);
        if (!ec) {
            numeric.emplace(address, port);
        }
    }
};

/**
 * The machinery shared by bulwark's I/O health checks: one run of a probe, owning its I/O
 * objects on a private strand, that completes the caller's handler exactly once.
 *
 * Cancellation does not wait for the I/O to unwind: the hook completes the handler with
 * fail("cancelled") at once, then closes the I/O objects on the strand. That is what makes it
 * prompt even during a DNS lookup, which Asio runs as a blocking getaddrinfo() on a private
 * thread and cannot interrupt; the lookup finishes in the background and its result is
 * dropped. The probe's own completion after a cancellation is dropped the same way.
 */
class health_probe : public std::enable_shared_from_this<health_probe> {
public:
    using handler_type = boost::asio::any_completion_handler<void(check_result)>;
    using strand_type = boost::asio::strand<boost::asio::any_io_executor>;

    explicit health_probe(const boost::asio::any_io_executor& ex)
        : io_ex_{ex}, strand_{boost::asio::make_strand(ex)},
          started_{std::chrono::steady_clock::now()} {}
    health_probe(const health_probe&) = delete;
    health_probe& operator=(const health_probe&) = delete;
    virtual ~health_probe() = default;

    // Takes the caller's handler, hooks its cancellation slot and starts run() on the strand
    // (never inside the initiating function).
    static void start(const std::shared_ptr<health_probe>& probe, handler_type handler) {
        // swap, not move assignment: Boost 1.81's any_completion_handler::operator=(&&) recurses
        // without end (fixed in 1.82).
        probe->handler_.swap(handler);
        probe->slot_ = boost::asio::get_associated_cancellation_slot(probe->handler_);
        if (probe->slot_.is_connected()) {
            probe->slot_.template emplace<cancel_hook>(probe);
        }
        boost::asio::post(probe->strand_, [probe] {
            if (!probe->finished()) {
                probe->run();
            }
        });
    }

protected:
    // Starts the I/O; runs on the strand.
    virtual void run() = 0;
    // Closes every I/O object so that pending operations end; runs on the strand.
    virtual void cancel_io() = 0;

    // Delivers `result` unless the run already completed (or was cancelled); thread-safe.
    // The handler runs through its associated executor, after the cancellation slot is
    // cleared, as Asio's own operations do.
    bool finish(check_result result) {
        if (done_.exchange(true, std::memory_order_acq_rel)) {
            return false;
        }
        auto handler = std::move(handler_);
        auto target = boost::asio::get_associated_executor(handler, io_ex_);
        boost::asio::post(io_ex_,
                          boost::asio::bind_executor(std::move(target),
                                                     [handler = std::move(handler), slot = slot_,
                                                      result = std::move(result)]() mutable {
                                                         slot.clear();
                                                         std::move(handler)(std::move(result));
                                                     }));
        return true;
    }

    [[nodiscard]] bool finished() const noexcept { return done_.load(std::memory_order_acquire); }

    // Milliseconds since the operation was initiated, fractional.
    [[nodiscard]] double elapsed_ms() const noexcept {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                         started_)
            .count();
    }

    [[nodiscard]] const strand_type& strand() const noexcept { return strand_; }

private:
    struct cancel_hook {
        // Weak: the slot may outlive the probe (a signal kept for the next run).
        explicit cancel_hook(const std::shared_ptr<health_probe>& p) : probe{p} {}
        std::weak_ptr<health_probe> probe;

        void operator()(boost::asio::cancellation_type type) const {
            // Abandoning a probe has no side effect, so every cancellation type is honoured.
            if ((type & (boost::asio::cancellation_type::terminal |
                         boost::asio::cancellation_type::partial |
                         boost::asio::cancellation_type::total)) ==
                boost::asio::cancellation_type::none) {
                return;
            }
            if (auto p = probe.lock(); p && p->finish(check_result::fail("cancelled"))) {
                boost::asio::post(p->strand_, [p] { p->cancel_io(); });
            }
        }
    };

    boost::asio::any_io_executor io_ex_;
    strand_type strand_;
    std::chrono::steady_clock::time_point started_;
    std::atomic<bool> done_{false};
    handler_type handler_;
    boost::asio::cancellation_slot slot_;
};

// One run of a tcp_connect_check.
class tcp_connect_probe final : public health_probe {
public:
    tcp_connect_probe(const boost::asio::any_io_executor& ex,
                      std::shared_ptr<const probe_address> address)
        : health_probe{ex}, address_{std::move(address)}, resolver_{strand()}, socket_{strand()} {}

private:
    using tcp = boost::asio::ip::tcp;

    std::shared_ptr<tcp_connect_probe> self() {
        return std::static_pointer_cast<tcp_connect_probe>(shared_from_this());
    }

    void run() override {
        if (address_->numeric) {
            tried_ = *address_->numeric;
            socket_.async_connect(
                *address_->numeric,
                [self = self()](const boost::system::error_code& ec) { self->on_connect(ec); });
            return;
        }
        resolver_.async_resolve(
            address_->host, address_->service, tcp::resolver::numeric_service,
            [self = self()](const boost::system::error_code& ec, tcp::resolver::results_type r) {
                self->on_resolve(ec, std::move(r));
            });
    }

    void on_resolve(const boost::system::error_code& ec, const tcp::resolver::results_type& r) {
        if (finished()) {
            return;
        }
        if (ec) {
            finish(
                check_result::fail("resolve " + address_->authority + ": " + probe_error_text(ec)));
            return;
        }
        // In the resolver's order, as getaddrinfo sorted them (RFC 6724); the condition records
        // which endpoint a failure belongs to.
        boost::asio::async_connect(
            socket_, r,
            [this](const boost::system::error_code&, const tcp::endpoint& next) {
                tried_ = next;
                return !finished();
            },
            [self = self()](const boost::system::error_code& error, const tcp::endpoint&) {
                self->on_connect(error);
            });
    }

    void on_connect(const boost::system::error_code& ec) {
        if (finished()) {
            return;
        }
        if (ec) {
            std::string out = "connect " + address_->authority;
            if (!address_->numeric && tried_) {
                out += " (" + probe_authority(*tried_) + ")";
            }
            out += ": " + probe_error_text(ec);
            finish(check_result::fail(std::move(out)));
            return;
        }
        const double ms = elapsed_ms();
        boost::system::error_code ignored;
        socket_.close(ignored);
        finish(check_result::pass().observed(ms, "ms"));
    }

    void cancel_io() override {
        resolver_.cancel();
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    std::shared_ptr<const probe_address> address_;
    tcp::resolver resolver_;
    tcp::socket socket_;
    std::optional<tcp::endpoint> tried_;
};

struct initiate_tcp_connect_check {
    template <class Handler>
    void operator()(Handler&& handler, const boost::asio::any_io_executor& ex,
                    const std::shared_ptr<const probe_address>& address) const {
        // Type-erased from here on: every token and handler type shares one instantiation of
        // the probe.
        health_probe::start(std::make_shared<tcp_connect_probe>(ex, address),
                            health_probe::handler_type{std::forward<Handler>(handler)});
    }
};

} // namespace detail

/**
 * A health check that a TCP service accepts connections: resolves the host (an IP address
 * without a DNS lookup), connects to the resolved endpoints in order until one accepts, closes
 * the connection at once and reports how long that took.
 *
 * It is an asynchronous initiating function with the completion signature
 * `void(bulwark::check_result)`, the form health_monitor accepts:
 * - `pass`, observed value the resolve + connect time in "ms" (fractional);
 * - `fail` with an output such as "connect 127.0.0.1:5432: connection refused",
 *   "connect db:5432 (10.0.0.7:5432): connection timed out" (the last endpoint tried) or
 *   "resolve db:5432: host not found (authoritative)";
 * - `fail("cancelled")` on cancellation.
 * The operation never throws and its handler is invoked exactly once, through the handler's
 * associated executor (never inside the initiating function).
 *
 * A connect that succeeds says only that something listens: the kernel completes the handshake
 * before the service accepts. Use a protocol-level check (http_get_check, a database ping)
 * where that matters.
 *
 * The check has no timeout of its own: health_monitor cancels a run that exceeds the check's
 * `timeout`. Called directly, bind a cancellation slot to the token and emit on it from a
 * timer.
 *
 * @par Per-Operation Cancellation
 * Supports `terminal`, `partial` and `total` cancellation at every stage: the handler is
 * invoked with fail("cancelled") promptly, and the socket is closed. A DNS lookup in progress
 * cannot be interrupted (Asio runs getaddrinfo() on a private thread); its result is discarded
 * when it arrives, and until then the io_context has work. Emit the signal from the handler's
 * executor, as Asio requires of every operation.
 *
 * @par Thread Safety
 * Copies are cheap (the parsed address is shared, immutable) and independent; any number of
 * runs, of one object or of copies, may be in progress at once, each with its own socket.
 *
 * @par Example
 * @code
 * bulwark::tcp_connect_check postgres{ex, {.host = "10.0.0.7", .port = 5432}};
 * bulwark::check_result r = co_await postgres(boost::asio::use_awaitable);
 * @endcode
 */
class tcp_connect_check {
public:
    using executor_type = boost::asio::any_io_executor;

    /// @throws std::system_error (error::invalid_config) naming the offending field.
    tcp_connect_check(executor_type ex, tcp_connect_check_config config)
        : ex_{std::move(ex)}, config_{std::make_shared<const tcp_connect_check_config>(
                                  checked(std::move(config)))},
          address_{std::make_shared<const detail::probe_address>(config_->host, config_->port)} {}

    /// Starts one run; see the class documentation for the results. There is deliberately no
    /// default token: health_monitor tells a synchronous check from an asynchronous one by
    /// whether it can be called without arguments.
    template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(check_result)) CompletionToken>
    auto operator()(CompletionToken&& token) const {
        return boost::asio::async_initiate<CompletionToken, void(check_result)>(
            detail::initiate_tcp_connect_check{}, token, ex_, address_);
    }

    /// The executor the socket and resolver of each run use.
    [[nodiscard]] const executor_type& get_executor() const noexcept { return ex_; }
    [[nodiscard]] const tcp_connect_check_config& config() const noexcept { return *config_; }

private:
    static tcp_connect_check_config checked(tcp_connect_check_config c) {
        config_issue issue;
        if (validate(c, &issue)) {
            throw_invalid_config(issue);
        }
        return c;
    }

    executor_type ex_;
    std::shared_ptr<const tcp_connect_check_config> config_;
    std::shared_ptr<const detail::probe_address> address_;
};

} // namespace bulwark

#endif
