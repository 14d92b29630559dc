// redis::gcra_limiter against a redis-server the benchmark starts on 127.0.0.1 (Debian's
// package; the benchmarks are skipped with a message when it is missing).
//
//   redis_gcra/inflight:N            decisions/s and p50/p99 latency with N decisions in flight
//                                    on one connection, 10000 keys under their limit (every
//                                    decision is a script run in Redis)
//   redis_gcra_over_limit/cache:C    one client far over its limit, 64 in flight: with the
//                                    over-limit cache (C=1) refusals need no round trip
//   redis_gcra_lease/lease:K         16 busy clients, 64 in flight: a round trip takes up to K
//                                    tokens and the rest are spent locally (K=1: no leasing)
//   naive_sync_incr_expire           the naive baseline: a blocking hiredis connection sending
//                                    INCR then EXPIRE (a fixed window, two round trips, one
//                                    request at a time: what a hand-written limiter does)
//
// Latency is from async_try_acquire to the completion handler, on the connection's thread.
#include <bulwark/redis/rate_limit/gcra_limiter.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <hiredis/hiredis.h>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <support/redis_server.hpp>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
namespace redis = bulwark::redis;

constexpr int batch = 2000; // decisions per benchmark iteration
constexpr int key_count = 10'000;

// One redis-server and an io_context thread for the whole binary, started on first use.
struct redis_env {
    bulwark::test::redis_server server;
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        io.get_executor()};
    std::thread thread{[this] { io.run(); }};
    redis::connection store{io.get_executor(),
                            {.port = server.port(), .command_timeout = 2s, .max_pending = 8192}};
    std::vector<std::string> keys;

    redis_env() {
        store.start();
        const auto deadline = steady::now() + 10s;
        while (!store.connected() && steady::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
        for (int i = 0; i < key_count; ++i) {
            keys.push_back("client-" + std::to_string(i));
        }
    }
    ~redis_env() {
        store.stop();
        work.reset();
        thread.join();
    }
    redis_env(const redis_env&) = delete;
    redis_env& operator=(const redis_env&) = delete;
};

redis_env* env(benchmark::State& state) {
    static std::unique_ptr<redis_env> e = []() -> std::unique_ptr<redis_env> {
        try {
            return std::make_unique<redis_env>();
        } catch (const std::exception&) {
            return nullptr;
        }
    }();
    if (!e || !e->store.connected()) {
        state.SkipWithError("redis-server is not available (scripts/setup installs it)");
        return nullptr;
    }
    return e.get();
}

// Keeps `in_flight` decisions outstanding until `total` have completed; records each latency.
class driver {
public:
    driver(redis::gcra_limiter& limiter, const std::vector<std::string>& keys, int in_flight,
           std::vector<std::int64_t>& latencies)
        : limiter_{limiter}, keys_{keys}, in_flight_{in_flight}, latencies_{latencies} {}

    // Runs one batch and returns how many decisions were allowed.
    int run(int total) {
        {
            const std::lock_guard lock{mutex_};
            issued_ = 0;
            completed_ = 0;
            allowed_ = 0;
            total_ = total;
        }
        for (int i = 0; i < std::min(in_flight_, total); ++i) {
            issue();
        }
        std::unique_lock lock{mutex_};
        done_.wait(lock, [&] { return completed_ >= total_; });
        return allowed_;
    }

private:
    // Starts one more decision unless `total` have been started (the initial window and the
    // completions race to start the next ones).
    void issue() {
        int n = 0;
        {
            const std::lock_guard lock{mutex_};
            if (issued_ >= total_) {
                return;
            }
            n = issued_++;
        }
        const auto& key = keys_[static_cast<std::size_t>(n) % keys_.size()];
        const auto start = steady::now();
        limiter_.async_try_acquire(key, 1, [this, start](bulwark::rate_decision d) {
            const auto ns = (steady::now() - start).count();
            bool more = false;
            {
                const std::lock_guard lock{mutex_};
                latencies_.push_back(ns);
                allowed_ += d.allowed ? 1 : 0;
                ++completed_;
                more = issued_ < total_;
                if (completed_ >= total_) {
                    done_.notify_one();
                }
            }
            if (more) {
                issue();
            }
        });
    }

    redis::gcra_limiter& limiter_;
    const std::vector<std::string>& keys_;
    int in_flight_;
    std::vector<std::int64_t>& latencies_;
    std::mutex mutex_;
    std::condition_variable done_;
    int issued_ = 0, completed_ = 0, allowed_ = 0, total_ = 0;
};

void report_latency(benchmark::State& state, std::vector<std::int64_t>& latencies) {
    if (latencies.empty()) {
        return;
    }
    const auto at = [&](double q) {
        const auto i = static_cast<std::size_t>(q * static_cast<double>(latencies.size() - 1));
        std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(i),
                         latencies.end());
        return static_cast<double>(latencies[i]) / 1000.0;
    };
    state.counters["p50_us"] = at(0.50);
    state.counters["p99_us"] = at(0.99);
}

// Runs batches through `limiter` with `in_flight` outstanding over `keys`, and reports the
// rate, the share of decisions allowed and sent to Redis, and the latency percentiles.
void drive(benchmark::State& state, redis::gcra_limiter& limiter,
           const std::vector<std::string>& keys, int in_flight) {
    std::vector<std::int64_t> latencies;
    latencies.reserve(1 << 20);
    driver d{limiter, keys, in_flight, latencies};
    std::int64_t allowed = 0;
    for (auto _ : state) {
        allowed += d.run(batch);
    }
    const auto total = static_cast<double>(state.iterations() * batch);
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["allowed_pct"] = 100.0 * static_cast<double>(allowed) / total;
    state.counters["store_pct"] =
        100.0 * static_cast<double>(limiter.stats().store_decisions) / total;
    report_latency(state, latencies);
}

// A fresh limit name per run, so every run starts from empty buckets.
std::string fresh_name(std::string_view prefix) {
    static int run_id = 0;
    return std::string{prefix} + std::to_string(++run_id);
}

void bm_redis_gcra(benchmark::State& state) {
    auto* e = env(state);
    if (e == nullptr) {
        return;
    }
    redis::gcra_limiter limiter{
        e->store, bulwark::quota::per_second(1'000'000), {.name = fresh_name("bench-")}};
    drive(state, limiter, e->keys, static_cast<int>(state.range(0)));
}
BENCHMARK(bm_redis_gcra)->ArgName("inflight")->Arg(1)->Arg(64)->UseRealTime();

void bm_redis_gcra_over_limit(benchmark::State& state) {
    auto* e = env(state);
    if (e == nullptr) {
        return;
    }
    // One token a minute: after the first decision the client is over its limit.
    redis::gcra_limiter limiter{
        e->store,
        bulwark::quota::per_minute(1),
        {.name = fresh_name("bench-over-"), .over_limit_cache = state.range(0) != 0}};
    drive(state, limiter, {"abuser"}, 64);
}
BENCHMARK(bm_redis_gcra_over_limit)->ArgName("cache")->Arg(0)->Arg(1)->UseRealTime();

void bm_redis_gcra_lease(benchmark::State& state) {
    auto* e = env(state);
    if (e == nullptr) {
        return;
    }
    redis::gcra_limiter limiter{e->store,
                                bulwark::quota::per_second(1'000'000),
                                {.name = fresh_name("bench-lease-"),
                                 .lease = static_cast<std::uint64_t>(state.range(0)),
                                 .lease_ttl = 100ms}};
    drive(state, limiter, {e->keys.begin(), e->keys.begin() + 16}, 64);
}
BENCHMARK(bm_redis_gcra_lease)->ArgName("lease")->Arg(1)->Arg(10)->UseRealTime();

void bm_naive_sync_incr_expire(benchmark::State& state) {
    auto* e = env(state);
    if (e == nullptr) {
        return;
    }
    redisContext* c = redisConnect("127.0.0.1", e->server.port());
    if (c == nullptr || c->err != 0) {
        state.SkipWithError("hiredis could not connect");
        if (c != nullptr) {
            redisFree(c);
        }
        return;
    }
    std::vector<std::int64_t> latencies;
    latencies.reserve(1 << 20);
    std::size_t n = 0;
    std::int64_t allowed = 0;
    for (auto _ : state) {
        for (int i = 0; i < batch; ++i) {
            const auto& key = e->keys[n++ % e->keys.size()];
            const auto start = steady::now();
            // A fixed window of one second: INCR, and EXPIRE when the window is new.
            auto* r =
                static_cast<redisReply*>(redisCommand(c, "INCR naive:%b", key.data(), key.size()));
            long long count = r != nullptr ? r->integer : 0;
            freeReplyObject(r);
            if (count == 1) {
                freeReplyObject(redisCommand(c, "EXPIRE naive:%b 1", key.data(), key.size()));
            }
            allowed += count <= 1'000'000 ? 1 : 0;
            latencies.push_back((steady::now() - start).count());
        }
    }
    redisFree(c);
    benchmark::DoNotOptimize(allowed);
    state.SetItemsProcessed(state.iterations() * batch);
    report_latency(state, latencies);
}
BENCHMARK(bm_naive_sync_incr_expire)->UseRealTime();

} // namespace
