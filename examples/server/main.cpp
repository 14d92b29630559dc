// bulwark-example-server: the server scripts/demo runs.
//
// bulwark's ready-made HTTP/1.1 server (plain or TLS) with every middleware that exists wired
// in the recommended order (docs/pipeline-order.md): security headers, request ids, CORS,
// size limits, a per-client rate limit, a per-client limit shared by every instance through
// Redis (--redis), and an in-flight limit; problem+json for every error;
// liveness/readiness/startup health endpoints; graceful shutdown on SIGTERM/SIGINT (readiness
// fails first); Prometheus metrics of every component; W3C trace context propagation. Each later
// component is wired in here as it lands.
//
// Routes: GET /health/live, /health/ready, /health/startup   application/health+json, status
//                  only (an --internal-port listener serves them with details)
//         GET /            hello
//         GET /version     {"version": ...}
//         GET /metrics     Prometheus text format
//         POST /echo       the request body back
//         POST /test       the W3C trace-context test suite's service (--trace-test-endpoint)
//         GET /slow?ms=N   answers after N ms (at most 10000), without blocking the server
//         GET /fail        throws: shows that exception text never reaches the client
//
// Run with --help for the flags. --port 0 picks a free port; the first line of stdout names it.

#include <bulwark/bulwark.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/sinks/stdout_sinks.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace net = boost::asio;
namespace bh = boost::beast::http;
namespace http = bulwark::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

namespace {

struct options {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;
    std::string tls_cert;
    std::string tls_key;
    double client_rate = 100;
    std::uint64_t max_body = 1024 * 1024;
    std::size_t max_connections = 10'000;
    std::uint32_t max_in_flight = 1024;
    std::chrono::seconds drain_timeout{25};
    std::vector<std::string> trusted_proxies;
    std::vector<std::string> cors_origins;
    std::string dependency_host; // --dependency HOST:PORT, readiness checks a TCP connect
    std::uint16_t dependency_port = 0;
    std::string redis_host; // --redis HOST:PORT: a per-client limit shared through Redis
    std::uint16_t redis_port = 0;
    std::uint64_t global_per_minute = 600;
    unsigned instances = 1;
    std::optional<unsigned short> internal_port;
    bool trace_test_endpoint = false;
    bool bare = false;
};

constexpr std::string_view usage =
    "usage: bulwark-example-server [options]\n"
    "  --address ADDRESS       IPv4 or IPv6 address to listen on (default 127.0.0.1)\n"
    "  --port PORT             TCP port, 0-65535; 0 picks a free one (default 8080)\n"
    "  --tls-cert FILE         PEM certificate chain: serve HTTPS (needs --tls-key)\n"
    "  --tls-key FILE          PEM private key of --tls-cert\n"
    "  --client-rate N         requests per second per client address, also the burst "
    "(default 100)\n"
    "  --redis HOST:PORT       also limit each client across every instance sharing this Redis\n"
    "                          (falls back to a local share when Redis is away)\n"
    "  --global-per-minute N   that shared limit: requests per minute per client, also the\n"
    "                          burst (default 600)\n"
    "  --instances N           instances sharing it, for the local fallback (default 1)\n"
    "  --max-body BYTES        request body limit (default 1048576)\n"
    "  --max-connections N     connections open at once (default 10000)\n"
    "  --max-in-flight N       requests processed at once, beyond it 503 (default 1024)\n"
    "  --drain-timeout SECONDS time in-flight requests get on shutdown (default 25)\n"
    "  --trusted-proxy CIDR    trust X-Forwarded-For from this network (repeatable; "
    "default none)\n"
    "  --cors-origin ORIGIN    allow this browser origin, e.g. https://app.example.com "
    "(repeatable)\n"
    "  --dependency HOST:PORT  readiness requires a TCP connect to HOST:PORT (default none)\n"
    "  --internal-port PORT    also serve /health/* with details and /metrics on PORT, same "
    "address (0 picks a free one; default off)\n"
    "  --trace-test-endpoint   serve POST /test for the W3C trace-context test suite (it calls\n"
    "                          URLs given in the request: never enable it where untrusted\n"
    "                          clients can reach it)\n"
    "  --bare                  no middlewares at all (the baseline of scripts/bench-http)\n";

template <class T>
bool parse_number(std::string_view text, T& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

// Returns false (after printing why) when the command line is not understood.
bool parse_options(int argc, char** argv, options& out) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            std::exit(0);
        }
        if (arg == "--bare") {
            out.bare = true;
            continue;
        }
        if (arg == "--trace-test-endpoint") {
            out.trace_test_endpoint = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "bulwark-example-server: " << arg << " needs a value\n" << usage;
            return false;
        }
        const std::string_view value = argv[++i];
        const auto bad = [&](std::string_view what) {
            std::cerr << "bulwark-example-server: " << arg << ": " << what << ": " << value << "\n";
            return false;
        };
        if (arg == "--address") {
            out.address = value;
        } else if (arg == "--port") {
            unsigned port = 0;
            if (!parse_number(value, port) || port > 65535) {
                return bad("not a port number");
            }
            out.port = static_cast<unsigned short>(port);
        } else if (arg == "--tls-cert") {
            out.tls_cert = value;
        } else if (arg == "--tls-key") {
            out.tls_key = value;
        } else if (arg == "--client-rate") {
            double rate = 0;
            if (!parse_number(value, rate) || bulwark::validate(bulwark::quota::per_second(rate))) {
                return bad("not a positive rate");
            }
            out.client_rate = rate;
        } else if (arg == "--max-body") {
            if (!parse_number(value, out.max_body)) {
                return bad("not a byte count");
            }
        } else if (arg == "--max-connections") {
            if (!parse_number(value, out.max_connections) || out.max_connections == 0) {
                return bad("not a positive count");
            }
        } else if (arg == "--max-in-flight") {
            if (!parse_number(value, out.max_in_flight) || out.max_in_flight == 0) {
                return bad("not a positive count");
            }
        } else if (arg == "--drain-timeout") {
            long seconds = 0;
            if (!parse_number(value, seconds) || seconds < 0) {
                return bad("not a number of seconds");
            }
            out.drain_timeout = std::chrono::seconds{seconds};
        } else if (arg == "--trusted-proxy") {
            out.trusted_proxies.emplace_back(value);
        } else if (arg == "--cors-origin") {
            out.cors_origins.emplace_back(value);
        } else if (arg == "--dependency") {
            const auto colon = value.rfind(':');
            unsigned port = 0;
            if (colon == std::string_view::npos || colon == 0 ||
                !parse_number(value.substr(colon + 1), port) || port == 0 || port > 65535) {
                return bad("not HOST:PORT");
            }
            out.dependency_host = value.substr(0, colon);
            out.dependency_port = static_cast<std::uint16_t>(port);
        } else if (arg == "--redis") {
            const auto colon = value.rfind(':');
            unsigned port = 0;
            if (colon == std::string_view::npos || colon == 0 ||
                !parse_number(value.substr(colon + 1), port) || port == 0 || port > 65535) {
                return bad("not HOST:PORT");
            }
            out.redis_host = value.substr(0, colon);
            out.redis_port = static_cast<std::uint16_t>(port);
        } else if (arg == "--global-per-minute") {
            if (!parse_number(value, out.global_per_minute) || out.global_per_minute == 0) {
                return bad("not a positive count");
            }
        } else if (arg == "--instances") {
            if (!parse_number(value, out.instances) || out.instances == 0) {
                return bad("not a positive count");
            }
        } else if (arg == "--internal-port") {
            unsigned port = 0;
            if (!parse_number(value, port) || port > 65535) {
                return bad("not a port number");
            }
            out.internal_port = static_cast<unsigned short>(port);
        } else {
            std::cerr << "bulwark-example-server: unknown option " << arg << "\n" << usage;
            return false;
        }
    }
    if (out.tls_cert.empty() != out.tls_key.empty()) {
        std::cerr << "bulwark-example-server: --tls-cert and --tls-key go together\n";
        return false;
    }
    return true;
}

http::response text_response(const http::request_context& ctx, std::string_view content_type,
                             std::string body) {
    http::response res{bh::status::ok, ctx.http_version()};
    res.set(bh::field::content_type, content_type);
    res.body() = std::move(body);
    return res;
}

// The query parameter `name` of a target, or "".
std::string_view query_param(std::string_view target, std::string_view name) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) {
        return {};
    }
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
            pair[name.size()] == '=') {
            return pair.substr(name.size() + 1);
        }
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    }
    return {};
}

//! [trace_test]
// The service side of the W3C trace-context test suite (github.com/w3c/trace-context/test):
// POST /test with a JSON array of {"url": ..., "arguments": ...}; each url is called in turn,
// POST with the arguments as its JSON body, carrying this request's trace context through
// http::client. It calls whatever URLs it is given, so it is off unless asked for.
net::awaitable<http::response> trace_test(http::request_context& ctx, http::request& req) {
    constexpr std::size_t max_calls = 16;
    boost::system::error_code ec;
    const auto doc = boost::json::parse(req.body(), ec);
    if (ec || !doc.is_array() || doc.as_array().size() > max_calls) {
        ctx.reject({.status = 400,
                    .detail = "Expected a JSON array of at most 16 {\"url\", \"arguments\"} "
                              "objects."});
        co_return ctx.take_response();
    }
    const auto ex = co_await net::this_coro::executor;
    for (const auto& entry : doc.as_array()) {
        const auto* object = entry.if_object();
        const auto* url = object != nullptr ? object->if_contains("url") : nullptr;
        const auto target = url != nullptr && url->is_string()
                                ? http::parse_http_url(url->get_string())
                                : std::nullopt;
        if (!target || target->https) {
            ctx.reject({.status = 400, .detail = "Each entry needs an http:// \"url\"."});
            co_return ctx.take_response();
        }
        const http::client upstream{
            ex, {.host = target->host, .port = target->port, .timeout = std::chrono::seconds{5}}};
        http::request call{bh::verb::post, target->target, 11};
        call.set(bh::field::content_type, "application/json");
        const auto* arguments = object->if_contains("arguments");
        call.body() = arguments != nullptr ? boost::json::serialize(*arguments) : "[]";
        // A failed call is the test harness's business: it checks what reached it.
        (void)co_await upstream.send(std::move(call), &ctx, net::as_tuple(net::use_awaitable));
    }
    co_return text_response(ctx, "text/plain; charset=utf-8", "");
}
//! [trace_test]

//! [routes]
http::router make_routes(const bulwark::telemetry::metrics_registry& metrics,
                         const bulwark::health_registry& health, bool trace_test_endpoint) {
    http::router routes;
    // Status only ({"status":"pass"}): what a probe needs, nothing an attacker can use.
    http::add_health_routes(routes, health);
    routes.get("/", [](http::request_context& ctx, http::request&) {
        return text_response(ctx, "text/plain; charset=utf-8",
                             "bulwark " + std::string{bulwark::version()} + " example server\n");
    });
    routes.get("/version", [](http::request_context& ctx, http::request&) {
        return text_response(ctx, "application/json",
                             "{\"version\":\"" + std::string{bulwark::version()} + "\"}\n");
    });
    //! [metrics_route]
    // Prometheus text format: bulwark's instruments and your own, in one scrape.
    routes.get("/metrics", [&metrics](http::request_context& ctx, http::request&) {
        return text_response(ctx, "text/plain; version=0.0.4; charset=utf-8", metrics.serialize());
    });
    //! [metrics_route]
    routes.post("/echo", [](http::request_context& ctx, http::request& req) {
        return text_response(ctx, "application/octet-stream", std::move(req.body()));
    });
    // A coroutine handler: the wait does not block the connection's thread.
    routes.get(
        "/slow",
        [](http::request_context& ctx, http::request& req) -> net::awaitable<http::response> {
            unsigned ms = 0;
            if (!parse_number(query_param(req.target(), "ms"), ms) || ms > 10'000) {
                ms = 1000;
            }
            net::steady_timer timer{co_await net::this_coro::executor,
                                    std::chrono::milliseconds{ms}};
            co_await timer.async_wait(net::use_awaitable);
            co_return text_response(ctx, "text/plain; charset=utf-8",
                                    "waited " + std::to_string(ms) + " ms\n");
        });
    if (trace_test_endpoint) {
        routes.post("/test", trace_test);
    }
    // The client sees a 500 problem+json; the message goes to on_handler_exception only.
    routes.get("/fail", [](http::request_context&, http::request&) -> http::response {
        throw std::runtime_error("simulated failure: connection string postgres://admin:secret@db");
    });
    return routes;
}
//! [routes]

//! [pipeline]
// The recommended order (docs/pipeline-order.md): decorators first, so their response phase
// runs last and covers every response; then rejections from cheapest to dearest.
auto make_pipeline(const options& opts, bulwark::telemetry::metrics_registry& metrics,
                   std::vector<bulwark::telemetry::collect_hook>& hooks,
                   bulwark::telemetry::json_logger& log, http::middleware_chain global) {
    //! [rate_limit]
    auto per_client = http::per_client_rate_limit(bulwark::quota::per_second(opts.client_rate),
                                                  {.policy = "per-client"});
    //! [rate_limit]
    http::in_flight_limit in_flight{{.max_in_flight = opts.max_in_flight}};
    // Copies share their counters: these read the ones in the pipeline at scrape time.
    hooks.push_back(http::instrument(metrics, per_client, "per-client"));
    hooks.push_back(http::instrument(metrics, in_flight, "in-flight"));
    return http::pipeline{
        // First, so that it sees every request, rejections included.
        http::http_metrics{metrics},
        // Then the server span, so that every later middleware and the handler have it.
        http::tracing{},
        // Then the access log: its header phase notes the target of every request, rejected
        // ones included; it writes after the response, with the ids the others set.
        http::access_log{log, {.headers = {"referer"}}},
        http::security_headers{bulwark::security_headers_config::json_api()},
        http::request_id{},
        http::cors{{.allowed_origins = opts.cors_origins}},
        http::size_limits{{.max_body_bytes = opts.max_body}},
        std::move(per_client),
        // The limit shared through Redis, when configured: after the local limits (they
        // decide with the request's start time), before the in-flight limit. Empty: nothing.
        std::move(global),
        std::move(in_flight),
    };
}
//! [pipeline]

using my_pipeline = decltype(make_pipeline(
    options{}, std::declval<bulwark::telemetry::metrics_registry&>(),
    std::declval<std::vector<bulwark::telemetry::collect_hook>&>(),
    std::declval<bulwark::telemetry::json_logger&>(), http::middleware_chain{}));

#if BULWARK_HAS_REDIS
//! [global_limit]
// A per-client limit shared by every instance: its state lives in Redis. The chain holds it
// (or nothing), so the pipeline's type does not depend on the flag; with it, the session
// awaits the header phase. Its breaker, decisions and readiness are instrumented.
http::middleware_chain make_global_limit(const options& opts, bulwark::redis::connection& store,
                                         bulwark::telemetry::metrics_registry& metrics,
                                         std::vector<bulwark::telemetry::collect_hook>& hooks,
                                         bulwark::health_monitor& monitor) {
    bulwark::redis::gcra_limiter_config config{.name = "per-client",
                                               .expected_instances = opts.instances};
    bulwark::telemetry::instrument(config.breaker, metrics, "redis:per-client");
    auto limiter = std::make_shared<bulwark::redis::gcra_limiter>(
        store, bulwark::quota::per_minute(static_cast<double>(opts.global_per_minute)),
        std::move(config));
    hooks.push_back(
        bulwark::telemetry::instrument(metrics, "per-client-global", limiter->stats_reader()));
    // Readiness warns (non-critical) while the limit runs on its local fallback.
    monitor.add({.name = "redis:per-client",
                 .critical = false,
                 .timeout = 1s,
                 .interval = 5s,
                 .component_type = "datastore"},
                limiter->health_check());
    http::middleware_chain chain;
    chain.add(
        http::rate_limit<bulwark::redis::gcra_limiter>{limiter, {.policy = "per-client-global"}});
    return chain;
}
//! [global_limit]
#endif

//! [health]
// The checks run on their own thread, so a blocked event loop is measured from outside it;
// probes never run a check, they read the last results.
void add_health_checks(bulwark::health_monitor& monitor, bulwark::event_loop_lag& loop_lag,
                       const options& opts) {
    // Liveness: only what a restart can fix. A stuck event loop is that.
    monitor.add({.name = "eventloop:lag",
                 .groups = {"liveness"},
                 .timeout = 1s,
                 .interval = 5s,
                 .component_type = "system"},
                loop_lag.as_check());
    // Readiness: a full disk degrades (warn, still 200) but does not take the instance out.
    monitor.add({.name = "disk:free",
                 .critical = false,
                 .timeout = 1s,
                 .interval = 30s,
                 .component_type = "system"},
                bulwark::disk_space_check{{.path = "."}});
    // Readiness: the dependency must accept connections.
    if (!opts.dependency_host.empty()) {
        const auto id = opts.dependency_host + ":" + std::to_string(opts.dependency_port);
        monitor.add(
            {.name = "dependency:connect", .timeout = 1s, .interval = 5s, .component_id = id},
            bulwark::tcp_connect_check{
                monitor.get_executor(),
                {.host = opts.dependency_host, .port = opts.dependency_port}});
    }
}
//! [health]

// Drops clients whose bucket is full again, so the rate limiter's table holds active clients.
net::awaitable<void> clean_up(http::server& server) {
    net::steady_timer timer{co_await net::this_coro::executor};
    for (;;) {
        timer.expires_after(60s);
        co_await timer.async_wait(net::use_awaitable);
        if (auto* p = server.pipeline().target<my_pipeline>()) {
            p->get<7>().limiter().retain_recent();
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    options opts;
    if (!parse_options(argc, argv, opts)) {
        return 2;
    }
    try {
        net::io_context ioc{1};
        //! [metrics_setup]
        // One registry for bulwark's instruments and the application's own (registry()).
        bulwark::telemetry::metrics_registry metrics;
        bulwark::telemetry::register_build_info(metrics.registry());
        std::vector<bulwark::telemetry::collect_hook> metric_hooks;
        //! [metrics_setup]
        //! [health_setup]
        bulwark::health_registry_config health_config;
        bulwark::telemetry::instrument(health_config, metrics); // check status and duration
        bulwark::health_registry health{std::move(health_config)};
        // A passive startup check: the application records it when it is ready to serve.
        const auto warmup = health.add({.name = "warmup", .groups = {"startup"}});
        net::thread_pool health_thread{1};
        bulwark::health_monitor monitor{health_thread.get_executor(), health};
        bulwark::event_loop_lag loop_lag{ioc.get_executor()}; // watches the serving loop
        add_health_checks(monitor, loop_lag, opts);
        //! [health_setup]

        //! [logging]
        // JSON lines on stderr (stdout carries the startup banner), every string redacted.
        bulwark::telemetry::json_logger log{
            {.name = "example-server",
             .sinks = {std::make_shared<spdlog::sinks::stderr_sink_mt>()}}};
        metric_hooks.push_back(bulwark::telemetry::instrument(metrics, log)); // drops, redactions
        //! [logging]

        // --redis: the connection, and the shared limit in a chain (empty without the flag).
        http::middleware_chain global;
        std::function<void()> stop_redis;
#if BULWARK_HAS_REDIS
        std::optional<bulwark::redis::connection> redis;
        if (!opts.redis_host.empty()) {
            redis.emplace(ioc.get_executor(),
                          bulwark::redis::connection_config{.host = opts.redis_host,
                                                            .port = opts.redis_port});
            redis->start();
            global = make_global_limit(opts, *redis, metrics, metric_hooks, monitor);
            stop_redis = [&redis] { redis->stop(); };
        }
#else
        if (!opts.redis_host.empty()) {
            std::cerr << "bulwark-example-server: --redis: built without bulwark::redis\n";
            return 2;
        }
#endif

        //! [server]
        http::server_config config;
        config.max_connections = opts.max_connections;
        config.session.body_limit = opts.max_body;
        config.session.client_address.trusted_proxies = opts.trusted_proxies;
        // The request's context (ids, route) is current here: the line carries it.
        config.on_handler_exception = [&log](http::request_context&, std::exception_ptr e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log.error("handler failed", {{"exception", ex.what()}});
            } catch (...) {
                log.error("handler failed");
            }
        };
        http::any_middleware stack =
            opts.bare ? http::any_middleware{http::pipeline<>{}}
                      : http::any_middleware{
                            make_pipeline(opts, metrics, metric_hooks, log, std::move(global))};
        http::server server{ioc.get_executor(), config, std::move(stack),
                            make_routes(metrics, health, opts.trace_test_endpoint)};
        metric_hooks.push_back(http::instrument(metrics, server)); // connections, exceptions
        //! [server]

        std::optional<net::ssl::context> tls;
        tcp::endpoint local;
        const tcp::endpoint endpoint{net::ip::make_address(opts.address), opts.port};
        if (!opts.tls_cert.empty()) {
            tls.emplace(net::ssl::context::tls_server);
            tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                             net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                             net::ssl::context::no_tlsv1_1);
            tls->use_certificate_chain_file(opts.tls_cert);
            tls->use_private_key_file(opts.tls_key, net::ssl::context::pem);
            local = server.listen(endpoint, *tls);
        } else {
            local = server.listen(endpoint);
        }

        //! [internal]
        // The internal listener: health with details, and metrics, for operators only (bind it
        // where only the cluster or the host can reach it). No middlewares: probes from the
        // kubelet or a monitoring system are never rate limited.
        std::optional<http::server> internal;
        tcp::endpoint internal_local;
        if (opts.internal_port) {
            http::router internal_routes;
            http::add_health_routes(internal_routes, health,
                                    {.details = http::health_details::always,
                                     .service = {.version = "1",
                                                 .release_id = std::string{bulwark::version()},
                                                 .service_id = "bulwark-example-server"}});
            internal_routes.get("/metrics", [&metrics](http::request_context& ctx, http::request&) {
                return text_response(ctx, "text/plain; version=0.0.4; charset=utf-8",
                                     metrics.serialize());
            });
            internal.emplace(ioc.get_executor(), http::server_config{}, http::pipeline<>{},
                             std::move(internal_routes));
            internal_local =
                internal->listen({net::ip::make_address(opts.address), *opts.internal_port});
        }
        //! [internal]

        //! [shutdown]
        // SIGTERM/SIGINT: readiness fails at once (load balancers stop sending), the server
        // stops accepting, closes idle connections, lets in-flight requests finish for up to
        // --drain-timeout, then exits 0. Liveness stays up throughout.
        bulwark::graceful_shutdown shutdown{ioc.get_executor(),
                                            {.drain_timeout = opts.drain_timeout}};
        shutdown.on_drain([&health] { health.drain(); });
        server.attach(shutdown);
        shutdown.async_wait_drained([&](boost::system::error_code ec) {
            if (ec == bulwark::error::deadline_exceeded) {
                std::cerr << "bulwark-example-server: drain deadline passed; closing "
                          << server.stats().active << " connection(s)\n";
            }
            server.close();
            if (internal) {
                internal->close();
            }
            if (stop_redis) {
                stop_redis(); // after the server: no decision is left waiting on Redis
            }
            ioc.stop();
        });
        //! [shutdown]
        shutdown.on_drain([] { std::cout << "bulwark-example-server: draining" << std::endl; });

        net::co_spawn(ioc, clean_up(server), net::detached);
        loop_lag.start();
        monitor.start();
        // Listening and set up: startup has passed. A real service would record this once its
        // caches are warm or its migrations have run.
        health.record(warmup, bulwark::check_result::pass(), std::chrono::system_clock::now(),
                      bulwark::duration::zero());
        std::cout << "bulwark-example-server " << bulwark::version() << " listening on "
                  << (tls ? "https" : "http") << "://"
                  << (local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                              : local.address().to_string())
                  << ":" << local.port() << (opts.bare ? " (bare: no middlewares)" : "");
        if (internal) {
            std::cout << "; internal on http://"
                      << (internal_local.address().is_v6()
                              ? "[" + internal_local.address().to_string() + "]"
                              : internal_local.address().to_string())
                      << ":" << internal_local.port();
        }
        std::cout << std::endl;
        ioc.run();
        monitor.stop();
        loop_lag.stop();
        health_thread.join();
        std::cout << "bulwark-example-server: stopped" << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "bulwark-example-server: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
