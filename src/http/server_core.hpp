// Private to bulwark::http: the state a server shares with its connections (server.cpp accepts,
// session.cpp serves).
#ifndef BULWARK_SRC_HTTP_SERVER_CORE_HPP
#define BULWARK_SRC_HTTP_SERVER_CORE_HPP

#include <bulwark/http/client_address.hpp>
#include <bulwark/http/log_context_executor.hpp>
#include <bulwark/http/request_id/request_id.hpp>
#include <bulwark/http/server.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>

namespace bulwark::http {

// One accepted connection, as the server sees it from outside its coroutine.
struct live_connection {
    boost::asio::strand<boost::asio::any_io_executor> strand;
    // Touched on the strand only.
    bool idle = true; // waiting for the first byte of a request
    std::function<void()> close_socket;
    // The log context of the request being served, read by the connection's
    // log_context_executor before every step of its coroutine (touched on the strand only).
    std::shared_ptr<log_context_slot> log_slot = std::make_shared<log_context_slot>();
};

struct listener {
    listener(boost::asio::any_io_executor ex, boost::asio::ssl::context* tls_context)
        : strand{boost::asio::make_strand(ex)}, acceptor{strand},
          gate{strand, boost::asio::steady_timer::time_point::max()}, tls{tls_context} {}

    boost::asio::strand<boost::asio::any_io_executor> strand;
    boost::asio::ip::tcp::acceptor acceptor;
    boost::asio::steady_timer gate; // waited on while at max_connections
    boost::asio::ssl::context* tls;
};

struct server::core {
    core(boost::asio::any_io_executor ex, server_config cfg, any_middleware p, router r)
        : executor{std::move(ex)}, config{std::move(cfg)}, pipeline{std::move(p)},
          routes{std::move(r)}, resolver{config.session.client_address} {}

    boost::asio::any_io_executor executor;
    server_config config;
    any_middleware pipeline;
    router routes;
    client_address_resolver resolver;
    request_id_generator ids;

    std::atomic<bool> draining{false};
    std::atomic<bool> closed{false};
    std::atomic<graceful_shutdown*> shutdown{nullptr}; // set by attach()

    std::mutex mutex; // guards listeners and connections
    std::vector<std::shared_ptr<listener>> listeners;
    std::list<std::shared_ptr<live_connection>> connections;

    // The counters of stats(), apart from the rest so that server::stats_reader() can share
    // them without keeping connections (and their strands) alive past the io_context.
    struct counters {
        std::atomic<std::size_t> active{0};
        std::atomic<std::uint64_t> accepted{0};
        std::atomic<std::uint64_t> requests{0};
        std::atomic<std::uint64_t> accept_paused{0};
        std::atomic<std::uint64_t> handler_exceptions{0};
    };
    std::shared_ptr<counters> stats = std::make_shared<counters>();
    std::atomic<std::size_t>& active = stats->active;
    std::atomic<std::uint64_t>& accepted = stats->accepted;
    std::atomic<std::uint64_t>& requests = stats->requests;
    std::atomic<std::uint64_t>& accept_paused = stats->accept_paused;
    std::atomic<std::uint64_t>& handler_exceptions = stats->handler_exceptions;

    // A connection ended: frees its slot and wakes listeners paused at the limit.
    void connection_closed(std::list<std::shared_ptr<live_connection>>::iterator it);
};

// Serves one accepted connection (session.cpp).
// `work` keeps a drain waiting until the connection has closed.
void start_session(const std::shared_ptr<server::core>& core, boost::asio::ip::tcp::socket socket,
                   boost::asio::ssl::context* tls,
                   std::list<std::shared_ptr<live_connection>>::iterator registration,
                   graceful_shutdown::work work);

} // namespace bulwark::http

#endif
