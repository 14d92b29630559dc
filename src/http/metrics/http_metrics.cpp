#include <bulwark/core/error.hpp>
#include <bulwark/http/metrics/http_metrics.hpp>
#include <bulwark/http/server.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace bulwark::http {

namespace {

constexpr std::array<std::string_view, detail::method_labels> method_names = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER"};

// Slots of the lock-free table; at most 3/4 are used before lookups go to the locked map.
// Series are bounded by routes x methods x statuses actually seen: a few hundred in practice.
constexpr std::size_t table_slots = 4096;
constexpr std::size_t table_max_used = table_slots / 4 * 3;

void check_buckets(const std::vector<double>& bounds, const char* field) {
    if (!telemetry::valid_upper_bounds(bounds)) {
        throw_invalid_config(field, "must be a non-empty, strictly ascending list of finite "
                                    "numbers");
    }
}

std::string status_label(unsigned status) {
    return status == 0 ? std::string{"aborted"} : std::to_string(status);
}

} // namespace

std::string_view method_label(boost::beast::http::verb method) noexcept {
    return method_names[detail::method_index(method)];
}

// One (route, method, status) combination and its instruments. Immutable once published.
struct series_entry {
    const char* route_data = nullptr; // the pointer the route arrived with: the table's hash
    std::string route;
    std::size_t method = 0;
    unsigned status = 0;
    telemetry::striped_counter* requests = nullptr;
    telemetry::striped_histogram* duration = nullptr;
    telemetry::striped_histogram* request_size = nullptr;  // null without body sizes
    telemetry::striped_histogram* response_size = nullptr; // null without body sizes
};

struct http_metrics::state {
    telemetry::striped_family<telemetry::striped_counter>* requests = nullptr;
    telemetry::striped_family<telemetry::striped_histogram>* duration = nullptr;
    telemetry::striped_family<telemetry::striped_gauge>* active = nullptr;
    telemetry::striped_family<telemetry::striped_histogram>* request_size = nullptr;
    telemetry::striped_family<telemetry::striped_histogram>* response_size = nullptr;

    // The lock-free path: open addressing on (route pointer, method, status), entries compared
    // by content too, so a route string that moved or was reused is still told apart.
    std::array<std::atomic<const series_entry*>, table_slots> table{};
    std::atomic<std::size_t> used{0};

    // The slow path. `series` is the canonical entry of each (route, method, status) content;
    // `entries` owns them and the per-pointer copies the table holds (at most table_max_used),
    // so neither grows with requests, only with combinations.
    std::mutex mutex; // guards entries and series, and every insertion into the table
    std::deque<series_entry> entries;
    std::map<std::tuple<std::string, std::size_t, unsigned>, const series_entry*, std::less<>>
        series;

    static std::size_t hash(const char* data, std::size_t size, std::size_t method,
                            unsigned status) noexcept {
        auto h = reinterpret_cast<std::uintptr_t>(data) ^ (size << 48U);
        h ^= (static_cast<std::uintptr_t>(status) << 4U) ^ (method << 14U);
        h *= 0x9E3779B97F4A7C15ULL;
        return static_cast<std::size_t>(h >> 40U);
    }

    static bool same(const series_entry& e, std::string_view route, std::size_t method,
                     unsigned status) noexcept {
        return e.status == status && e.method == method && e.route.size() == route.size() &&
               std::memcmp(e.route.data(), route.data(), route.size()) == 0;
    }

    const series_entry& find(std::string_view route, std::size_t method, unsigned status) {
        const auto h = hash(route.data(), route.size(), method, status);
        for (std::size_t i = 0; i < table_slots; ++i) {
            const auto* e = table[(h + i) % table_slots].load(std::memory_order_acquire);
            if (e == nullptr) {
                break;
            }
            if (e->route_data == route.data() && same(*e, route, method, status)) {
                return *e;
            }
        }
        return add(route, method, status, h);
    }

    const series_entry& add(std::string_view route, std::size_t method, unsigned status,
                            std::size_t h) {
        std::lock_guard lock{mutex};
        auto it = series.find(std::tuple{route, method, status});
        if (it == series.end()) {
            auto& e = entries.emplace_back();
            e.route_data = route.data();
            e.route = std::string{route};
            e.method = method;
            e.status = status;
            const auto m = method_names[method];
            const auto s = status_label(status);
            e.requests = &requests->with({m, route, s});
            e.duration = &duration->with({m, route});
            if (request_size != nullptr) {
                e.request_size = &request_size->with({m, route});
                e.response_size = &response_size->with({m, route});
            }
            it = series.emplace(std::tuple{e.route, method, status}, &e).first;
        }
        const series_entry& canonical = *it->second;
        if (used.load(std::memory_order_relaxed) >= table_max_used) {
            // Route strings that keep moving (a session passing temporary buffers): served
            // from the map, nothing added.
            return canonical;
        }
        for (std::size_t i = 0; i < table_slots; ++i) {
            auto& slot = table[(h + i) % table_slots];
            const auto* current = slot.load(std::memory_order_relaxed);
            if (current == nullptr) {
                // The table is keyed by the route's address: publish an entry with this one.
                const series_entry* entry = &canonical;
                if (canonical.route_data != route.data()) {
                    auto& alias = entries.emplace_back(canonical);
                    alias.route_data = route.data();
                    entry = &alias;
                }
                slot.store(entry, std::memory_order_release);
                used.fetch_add(1, std::memory_order_relaxed);
                return *entry;
            }
            if (current->route_data == route.data() && same(*current, route, method, status)) {
                return *current; // another thread published it first
            }
        }
        return canonical;
    }
};

http_metrics::http_metrics(telemetry::metrics_registry& registry, http_metrics_config config) {
    namespace names = telemetry::metric_names;
    check_buckets(config.duration_buckets, "http_metrics_config.duration_buckets");
    if (config.body_sizes) {
        check_buckets(config.size_buckets, "http_metrics_config.size_buckets");
    }
    auto s = std::make_shared<state>();
    s->requests = &registry.counter(names::http_server_requests_total,
                                    "HTTP requests answered, by method, route template and "
                                    "status (aborted: no response was sent)",
                                    {"method", "route", "status"});
    s->duration =
        &registry.histogram(names::http_server_request_duration_seconds,
                            "Seconds from the complete request header to the response written",
                            {"method", "route"}, config.duration_buckets, 1e-9);
    s->active =
        &registry.gauge(names::http_server_active_requests,
                        "HTTP requests between their header and their completion", {"method"});
    if (config.body_sizes) {
        s->request_size = &registry.histogram(names::http_server_request_body_size_bytes,
                                              "Request body bytes received", {"method", "route"},
                                              config.size_buckets, 1);
        s->response_size = &registry.histogram(names::http_server_response_body_size_bytes,
                                               "Response body bytes sent", {"method", "route"},
                                               config.size_buckets, 1);
    }
    for (std::size_t i = 0; i < detail::method_labels; ++i) {
        active_[i] = &s->active->with({method_names[i]});
    }
    state_ = std::move(s);
}

void http_metrics::on_complete(request_context& ctx) noexcept {
    if (auto* gauge = static_cast<telemetry::striped_gauge*>(ctx.active_series())) {
        gauge->decrement();
        ctx.set_active_series(nullptr);
    }
    const std::string_view route = ctx.route().empty() ? "unmatched" : ctx.route();
    try {
        const auto& e = state_->find(route, detail::method_index(ctx.method()), ctx.status());
        e.requests->add(1);
        const auto ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(ctx.finish() - ctx.start())
                .count();
        e.duration->observe(static_cast<double>(ns) * 1e-9);
        if (e.request_size != nullptr) {
            e.request_size->observe(static_cast<double>(ctx.request_body_bytes()));
            e.response_size->observe(static_cast<double>(ctx.response_body_bytes()));
        }
    } catch (...) {
        // Out of memory resolving a new series: this request goes uncounted rather than the
        // completion hook throwing.
    }
}

std::size_t http_metrics::series() const noexcept {
    std::lock_guard lock{state_->mutex};
    return state_->series.size();
}

telemetry::collect_hook instrument(telemetry::metrics_registry& registry, const server& s) {
    namespace names = telemetry::metric_names;
    auto& open =
        registry.gauge(names::http_server_open_connections, "HTTP connections open now", {});
    auto& accepted =
        registry.counter(names::http_server_connections_total, "HTTP connections accepted", {});
    auto& exceptions = registry.counter(names::http_server_handler_exceptions_total,
                                        "Exceptions thrown by handlers (answered with 500)", {});
    struct seen {
        std::uint64_t accepted = 0;
        std::uint64_t exceptions = 0;
        std::int64_t open = 0;
    };
    return registry.on_collect([read = s.stats_reader(), open = &open.with({}),
                                accepted = &accepted.with({}), exceptions = &exceptions.with({}),
                                last = seen{}]() mutable {
        const auto st = read();
        const auto now_open = static_cast<std::int64_t>(st.active);
        open->add(now_open - last.open);
        accepted->add(st.accepted - last.accepted);
        exceptions->add(st.handler_exceptions - last.exceptions);
        last = {st.accepted, st.handler_exceptions, now_open};
    });
}

namespace {

// bulwark_ratelimit_decisions_total, for the limiter `name` (which must not be empty).
telemetry::striped_family<telemetry::striped_counter>&
decisions_family(telemetry::metrics_registry& registry, std::string_view name) {
    if (name.empty()) {
        throw_invalid_config("instrument.name", "must name the limiter");
    }
    return registry.counter(telemetry::metric_names::ratelimit_decisions_total,
                            "Rate-limit decisions, by limiter and result", {"limiter", "result"});
}

} // namespace

namespace detail {

telemetry::collect_hook instrument_decisions(telemetry::metrics_registry& registry,
                                             std::string_view name, bool enforce,
                                             std::function<rate_limit_stats()> read) {
    auto& family = decisions_family(registry, name);
    auto* allowed = &family.with({name, "allowed"});
    auto* limited = &family.with({name, enforce ? "limited" : "shadow_limited"});
    auto* unkeyed = &family.with({name, "unkeyed"});
    return registry.on_collect(
        [read = std::move(read), allowed, limited, unkeyed, last = rate_limit_stats{}]() mutable {
            const auto st = read();
            allowed->add(st.allowed - last.allowed);
            limited->add(st.limited - last.limited);
            unkeyed->add(st.unkeyed - last.unkeyed);
            last = st;
        });
}

} // namespace detail

telemetry::collect_hook instrument(telemetry::metrics_registry& registry,
                                   const in_flight_limit& limit, std::string_view name) {
    auto& family = decisions_family(registry, name);
    auto* allowed = &family.with({name, "allowed"});
    auto* limited = &family.with({name, limit.config().enforce ? "limited" : "shadow_limited"});
    return registry.on_collect([limit, allowed, limited, last = in_flight_limit_stats{}]() mutable {
        const auto st = limit.stats();
        allowed->add(st.admitted - last.admitted);
        limited->add(st.refused - last.refused);
        last = st;
    });
}

} // namespace bulwark::http
