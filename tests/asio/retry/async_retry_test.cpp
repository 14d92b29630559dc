#include <bulwark/asio/retry/async_retry.hpp>
#include <bulwark/asio/retry/with_timeout.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <vector>

using namespace std::chrono_literals;
namespace net = boost::asio;
using error_code = boost::system::error_code;

namespace {

// An attempt that fails with `ec` on its first `failures` calls and then succeeds, completing
// through the executor like a real I/O operation.
struct flaky {
    net::io_context* ioc;
    int failures;
    error_code ec = net::error::connection_refused;
    std::shared_ptr<int> calls = std::make_shared<int>(0);
    unsigned status = 0;

    template <class Token>
    auto operator()(bulwark::retry_context& ctx, Token&& token) {
        const bool fail = (*calls)++ < failures;
        if (fail && status != 0) {
            ctx.http_status = status;
            ctx.retry_after = 1ms;
        }
        return net::post(
            *ioc, net::append(std::forward<Token>(token), fail && status == 0 ? ec : error_code{}));
    }
};

//! [policy]
const bulwark::retry_policy quick{
    {.max_attempts = 4, .backoff = {.initial = 1ms, .max = 2ms}, .idempotent = true}};
//! [policy]

} // namespace

TEST_CASE("async_retry with a callback retries transient failures", "[async_retry]") {
    net::io_context ioc;
    flaky attempt{&ioc, 2};
    std::optional<std::pair<error_code, unsigned>> result;
    bulwark::async_retry(ioc.get_executor(), quick, attempt,
                         [&](error_code ec, unsigned n) { result.emplace(ec, n); });
    ioc.run();
    REQUIRE(result);
    CHECK_FALSE(result->first);
    CHECK(result->second == 3);
    CHECK(*attempt.calls == 3);
}

TEST_CASE("async_retry stops at max_attempts with the last error", "[async_retry]") {
    net::io_context ioc;
    flaky attempt{&ioc, 100};
    std::optional<std::pair<error_code, unsigned>> result;
    bulwark::async_retry(ioc.get_executor(), quick, attempt,
                         [&](error_code ec, unsigned n) { result.emplace(ec, n); });
    ioc.run();
    REQUIRE(result);
    CHECK(result->first == net::error::connection_refused);
    CHECK(result->second == 4);
}

TEST_CASE("async_retry with use_future", "[async_retry]") {
    net::io_context ioc;
    flaky recovers{&ioc, 1};
    auto ok = bulwark::async_retry(ioc.get_executor(), quick, recovers, net::use_future);
    flaky hopeless{&ioc, 100};
    auto failed = bulwark::async_retry(ioc.get_executor(), quick, hopeless, net::use_future);
    ioc.run();
    CHECK(ok.get() == 2);
    CHECK_THROWS_AS(failed.get(), boost::system::system_error);
}

TEST_CASE("async_retry does not retry final errors", "[async_retry]") {
    net::io_context ioc;
    flaky attempt{&ioc, 100, net::error::access_denied};
    auto op = bulwark::async_retry(ioc.get_executor(), quick, attempt, net::deferred);
    std::optional<unsigned> attempts;
    std::move(op)([&](error_code ec, unsigned n) {
        CHECK(ec == net::error::access_denied);
        attempts = n;
    });
    ioc.run();
    CHECK(attempts == 1u);
}

TEST_CASE("async_retry with use_awaitable and HTTP statuses", "[async_retry]") {
    net::io_context ioc;
    flaky attempt{&ioc, 2};
    attempt.status = 503;
    flaky always_503{&ioc, 100};
    always_503.status = 503;
    bool done = false;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            const unsigned n = co_await bulwark::async_retry(ioc.get_executor(), quick, attempt,
                                                             net::use_awaitable);
            CHECK(n == 3);
            // failing on status alone: the error says why retrying stopped
            auto [ec, tries] = co_await bulwark::async_retry(ioc.get_executor(), quick, always_503,
                                                             net::as_tuple(net::use_awaitable));
            CHECK(ec == bulwark::error::retries_exhausted);
            CHECK(tries == 4);
            flaky hopeless{&ioc, 100};
            try {
                co_await bulwark::async_retry(ioc.get_executor(), quick, hopeless,
                                              net::use_awaitable);
                FAIL("no exception");
            } catch (const boost::system::system_error& e) {
                CHECK(e.code() == net::error::connection_refused);
            }
            done = true;
        },
        net::detached);
    ioc.run();
    CHECK(done);
}

TEST_CASE("async_retry asks the retry budget before each retry", "[async_retry]") {
    net::io_context ioc;
    bulwark::retry_budget budget{{.retry_ratio = 0.0, .min_retries_per_second = 0}};
    flaky attempt{&ioc, 100};
    std::optional<unsigned> attempts;
    bulwark::async_retry(ioc.get_executor(), quick, budget, attempt,
                         [&](error_code ec, unsigned n) {
                             CHECK(ec == net::error::connection_refused);
                             attempts = n;
                         });
    ioc.run();
    CHECK(attempts == 1u); // no retry was affordable
    CHECK(budget.snapshot().requests == 1);
}

TEST_CASE("terminal cancellation stops a backoff wait at once", "[async_retry][cancel]") {
    net::io_context ioc;
    const bulwark::retry_policy slow{
        {.max_attempts = 5,
         .backoff = {.initial = 1h, .max = 1h, .mode = bulwark::jitter::none},
         .idempotent = true}};
    flaky attempt{&ioc, 100};
    net::cancellation_signal signal;
    std::optional<std::pair<error_code, unsigned>> result;
    bulwark::async_retry(ioc.get_executor(), slow, attempt,
                         net::bind_cancellation_slot(signal.slot(), [&](error_code ec, unsigned n) {
                             result.emplace(ec, n);
                         }));
    ioc.poll(); // first attempt fails; the op now waits an hour
    CHECK_FALSE(result);
    signal.emit(net::cancellation_type::terminal);
    ioc.run(); // returns at once: nothing is left waiting
    REQUIRE(result);
    CHECK(result->first == net::error::operation_aborted);
    CHECK(result->second == 1);
}

TEST_CASE("terminal cancellation reaches the attempt in flight", "[async_retry][cancel]") {
    net::io_context ioc;
    net::steady_timer never{ioc, 1h};
    net::cancellation_signal signal;
    std::optional<std::pair<error_code, unsigned>> result;
    bulwark::async_retry(
        ioc.get_executor(), quick,
        [&](bulwark::retry_context&, auto token) { return never.async_wait(std::move(token)); },
        net::bind_cancellation_slot(signal.slot(),
                                    [&](error_code ec, unsigned n) { result.emplace(ec, n); }));
    ioc.poll();
    signal.emit(net::cancellation_type::terminal);
    ioc.run();
    REQUIRE(result);
    CHECK(result->first == net::error::operation_aborted);
    CHECK(result->second == 1);
}

TEST_CASE("with_timeout cancels a slow operation and reports timed_out", "[with_timeout]") {
    net::io_context ioc;
    net::steady_timer slow{ioc, 1h};
    std::optional<error_code> timed;
    bulwark::with_timeout(
        ioc.get_executor(), 5ms, [&](auto token) { return slow.async_wait(std::move(token)); },
        [&](error_code ec) { timed = ec; });
    net::steady_timer fast{ioc, 0ms};
    std::optional<error_code> quick_result;
    bulwark::with_timeout(
        ioc.get_executor(), 1h, [&](auto token) { return fast.async_wait(std::move(token)); },
        [&](error_code ec) { quick_result = ec; });
    ioc.run(); // returns: the hour-long timers were cancelled
    REQUIRE(timed);
    CHECK(*timed == net::error::timed_out);
    REQUIRE(quick_result);
    CHECK_FALSE(*quick_result);
}

TEST_CASE("with_timeout per attempt inside async_retry", "[with_timeout][async_retry]") {
    net::io_context ioc;
    int calls = 0;
    std::vector<std::unique_ptr<net::steady_timer>> timers;
    std::optional<std::pair<error_code, unsigned>> result;
    //! [retry_with_timeout]
    bulwark::async_retry(
        ioc.get_executor(), quick,
        [&](bulwark::retry_context&, auto token) {
            // the first two attempts stall, the third answers at once
            timers.push_back(std::make_unique<net::steady_timer>(ioc, ++calls < 3 ? 1h : 0ms));
            auto& timer = *timers.back();
            return bulwark::with_timeout(
                ioc.get_executor(), 5ms,
                [&timer](auto t) { return timer.async_wait(std::move(t)); }, std::move(token));
        },
        [&](error_code ec, unsigned n) { result.emplace(ec, n); });
    //! [retry_with_timeout]
    ioc.run();
    REQUIRE(result);
    CHECK_FALSE(result->first); // timed_out is transient: retried
    CHECK(result->second == 3);
}

TEST_CASE("cancelling a coroutine stops its async_retry during backoff", "[async_retry][cancel]") {
    net::io_context ioc;
    const bulwark::retry_policy slow{
        {.max_attempts = 5,
         .backoff = {.initial = 1h, .max = 1h, .mode = bulwark::jitter::none},
         .idempotent = true}};
    flaky attempt{&ioc, 100};
    net::cancellation_signal signal;
    std::optional<std::pair<error_code, unsigned>> result;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            const auto [ec, n] = co_await bulwark::async_retry(ioc.get_executor(), slow, attempt,
                                                               net::as_tuple(net::use_awaitable));
            result.emplace(ec, n);
        },
        net::bind_cancellation_slot(signal.slot(), net::detached));
    ioc.poll();
    signal.emit(net::cancellation_type::terminal);
    ioc.run();
    REQUIRE(result);
    CHECK(result->first == net::error::operation_aborted);
    CHECK(result->second == 1);
}

TEST_CASE("cancelling with_timeout cancels the operation at once", "[with_timeout][cancel]") {
    net::io_context ioc;
    net::steady_timer slow{ioc, 1h};
    net::cancellation_signal signal;
    std::optional<error_code> result;
    bulwark::with_timeout(
        ioc.get_executor(), 1h, [&](auto token) { return slow.async_wait(std::move(token)); },
        net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { result = ec; }));
    ioc.poll();
    signal.emit(net::cancellation_type::terminal);
    ioc.run(); // returns at once: both branches were cancelled
    REQUIRE(result);
    CHECK(*result == net::error::operation_aborted); // cancelled, not timed out
}

TEST_CASE("async_retry reports what became of every attempt", "[async_retry]") {
    using r = bulwark::retry_attempt_result;
    std::vector<std::pair<unsigned, r>> seen;
    auto config = quick.config();
    config.on_attempt = [&](unsigned attempt, r result) { seen.emplace_back(attempt, result); };
    const bulwark::retry_policy policy{config};
    const auto run = [&](flaky attempt, bulwark::retry_budget* budget = nullptr) {
        net::io_context ioc;
        attempt.ioc = &ioc;
        seen.clear();
        if (budget != nullptr) {
            bulwark::async_retry(ioc.get_executor(), policy, *budget, attempt,
                                 [](error_code, unsigned) {});
        } else {
            bulwark::async_retry(ioc.get_executor(), policy, attempt, [](error_code, unsigned) {});
        }
        ioc.run();
        return seen;
    };
    using v = std::vector<std::pair<unsigned, r>>;
    CHECK(run(flaky{nullptr, 2}) == v{{1, r::retried}, {2, r::retried}, {3, r::success}});
    CHECK(run(flaky{nullptr, 100}) ==
          v{{1, r::retried}, {2, r::retried}, {3, r::retried}, {4, r::failed}});
    // A final error is not retried.
    CHECK(run(flaky{nullptr, 1, net::error::access_denied}) == v{{1, r::failed}});
    // A retryable HTTP status that stays: failed at the end, not success.
    CHECK(run(flaky{nullptr, 100, {}, std::make_shared<int>(0), 503}).back() ==
          std::pair{4U, r::failed});
    bulwark::retry_budget broke{{.retry_ratio = 0.0, .min_retries_per_second = 0}};
    CHECK(run(flaky{nullptr, 100}, &broke) == v{{1, r::budget_exhausted}});
}
