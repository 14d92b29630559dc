#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server_core.hpp"

namespace bulwark::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

net::awaitable<void> accept_loop(std::shared_ptr<server::core> core, std::shared_ptr<listener> l) {
    for (;;) {
        if (core->draining.load() || core->closed.load()) {
            co_return;
        }
        if (core->active.load() >= core->config.max_connections) {
            // Backpressure: stop accepting; the kernel's backlog holds new clients. A closing
            // connection cancels the gate (posted to this strand, so no wake-up is lost).
            core->accept_paused.fetch_add(1, std::memory_order_relaxed);
            l->gate.expires_at(net::steady_timer::time_point::max());
            co_await l->gate.async_wait(net::as_tuple(net::use_awaitable));
            continue;
        }
        auto strand = net::make_strand(core->executor);
        auto [ec, socket] =
            co_await l->acceptor.async_accept(strand, net::as_tuple(net::use_awaitable));
        if (ec) {
            if (ec == net::error::operation_aborted || !l->acceptor.is_open()) {
                co_return; // closed: draining or shutting down
            }
            // Out of descriptors, a connection reset before accept, ...: keep serving the
            // others, but do not spin on a persistent error.
            net::steady_timer pause{l->strand, std::chrono::milliseconds{50}};
            co_await pause.async_wait(net::as_tuple(net::use_awaitable));
            continue;
        }
        if (core->draining.load() || core->closed.load()) {
            // Accepted just as the server began draining or closing: not served.
            boost::system::error_code ignored;
            socket.close(ignored);
            co_return;
        }
        auto* shutdown = core->shutdown.load();
        auto work = shutdown != nullptr ? shutdown->track() : graceful_shutdown::work{};
        core->accepted.fetch_add(1, std::memory_order_relaxed);
        core->active.fetch_add(1);
        std::list<std::shared_ptr<live_connection>>::iterator it;
        {
            const std::lock_guard lock{core->mutex};
            core->connections.push_front(
                std::make_shared<live_connection>(live_connection{strand, true, {}}));
            it = core->connections.begin();
        }
        start_session(core, std::move(socket), l->tls, it, std::move(work));
    }
}

void close_listeners(server::core& core) {
    std::vector<std::shared_ptr<listener>> listeners;
    {
        const std::lock_guard lock{core.mutex};
        listeners = core.listeners;
    }
    for (const auto& l : listeners) {
        net::post(l->strand, [l] {
            boost::system::error_code ignored;
            l->acceptor.close(ignored);
            l->gate.cancel();
        });
    }
}

// Runs `f` on every connection's strand, `only_idle` limiting it to connections between
// requests.
void for_each_connection(server::core& core, bool only_idle) {
    std::vector<std::shared_ptr<live_connection>> connections;
    {
        const std::lock_guard lock{core.mutex};
        connections.assign(core.connections.begin(), core.connections.end());
    }
    for (const auto& c : connections) {
        net::post(c->strand, [c, only_idle] {
            if ((!only_idle || c->idle) && c->close_socket) {
                c->close_socket();
            }
        });
    }
}

void begin_drain(const std::shared_ptr<server::core>& core) {
    if (core->draining.exchange(true)) {
        return;
    }
    close_listeners(*core);
    for_each_connection(*core, true);
}

} // namespace

void server::core::connection_closed(std::list<std::shared_ptr<live_connection>>::iterator it) {
    std::vector<std::shared_ptr<listener>> paused;
    {
        const std::lock_guard lock{mutex};
        connections.erase(it);
        paused = listeners;
    }
    if (active.fetch_sub(1) == config.max_connections) {
        for (const auto& l : paused) {
            net::post(l->strand, [l] { l->gate.cancel(); });
        }
    }
}

server::server(net::any_io_executor executor, server_config config, any_middleware pipeline,
               router routes) {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue.field, issue.reason);
    }
    core_ = std::make_shared<core>(std::move(executor), std::move(config), std::move(pipeline),
                                   std::move(routes));
}

server::~server() {
    close();
}

std::error_code server::validate(const server_config& config, config_issue* issue) {
    const auto& s = config.session;
    if (config.max_connections == 0) {
        return invalid_config(issue, "server_config.max_connections", "must be at least 1");
    }
    if (s.header_limit < 64) {
        return invalid_config(issue, "server_config.session.header_limit",
                              "must be at least 64 bytes (a request line and a Host header)");
    }
    const std::pair<duration, std::string_view> deadlines[] = {
        {s.header_timeout, "server_config.session.header_timeout"},
        {s.body_timeout, "server_config.session.body_timeout"},
        {s.idle_timeout, "server_config.session.idle_timeout"},
        {s.write_timeout, "server_config.session.write_timeout"},
        {s.handshake_timeout, "server_config.session.handshake_timeout"},
    };
    for (const auto& [value, field] : deadlines) {
        if (value <= duration::zero()) {
            return invalid_config(issue, field,
                                  "must be positive (a deadline keeps a slow "
                                  "client from holding the connection forever)");
        }
    }
    if (auto ec = client_address_resolver::validate(s.client_address, issue)) {
        return ec;
    }
    return {};
}

namespace {

// Binds, listens and starts accepting; `tls` null for plain HTTP.
tcp::endpoint open_listener(const std::shared_ptr<server::core>& core,
                            const tcp::endpoint& endpoint, net::ssl::context* tls) {
    auto l = std::make_shared<listener>(core->executor, tls);
    l->acceptor.open(endpoint.protocol());
    l->acceptor.set_option(tcp::acceptor::reuse_address(true));
    l->acceptor.bind(endpoint);
    l->acceptor.listen(net::socket_base::max_listen_connections);
    const auto bound = l->acceptor.local_endpoint();
    {
        const std::lock_guard lock{core->mutex};
        core->listeners.push_back(l);
    }
    net::co_spawn(l->strand, accept_loop(core, l), net::detached);
    return bound;
}

} // namespace

tcp::endpoint server::listen(const tcp::endpoint& endpoint) {
    return open_listener(core_, endpoint, nullptr);
}

tcp::endpoint server::listen(const tcp::endpoint& endpoint, net::ssl::context& tls) {
    return open_listener(core_, endpoint, &tls);
}

void server::attach(graceful_shutdown& shutdown) {
    core_->shutdown.store(&shutdown);
    shutdown.on_drain([weak = std::weak_ptr<core>{core_}] {
        if (const auto c = weak.lock()) {
            begin_drain(c);
        }
    });
}

void server::drain() {
    begin_drain(core_);
}

bool server::draining() const noexcept {
    return core_->draining.load();
}

void server::close() {
    core_->draining.store(true);
    if (core_->closed.exchange(true)) {
        return;
    }
    close_listeners(*core_);
    for_each_connection(*core_, false);
}

namespace {
// Generic so that it can read the (private) server::core.
constexpr auto stats_of = [](const auto& c) noexcept -> server_stats {
    return {c.accepted.load(std::memory_order_relaxed), c.active.load(),
            c.requests.load(std::memory_order_relaxed),
            c.accept_paused.load(std::memory_order_relaxed),
            c.handler_exceptions.load(std::memory_order_relaxed)};
};
} // namespace

server_stats server::stats() const noexcept {
    return stats_of(*core_->stats);
}

std::function<server_stats()> server::stats_reader() const {
    return [c = core_->stats] { return stats_of(*c); };
}

any_middleware& server::pipeline() noexcept {
    return core_->pipeline;
}

} // namespace bulwark::http
