#include <bulwark/asio/circuit_breaker/async_guarded.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <optional>

using namespace std::chrono_literals;
namespace net = boost::asio;
using error_code = boost::system::error_code;
using bulwark::breaker_state;

namespace {
const bulwark::circuit_breaker_config two_calls{
    .window_size = 2, .minimum_calls = 2, .permitted_calls_in_half_open = 1, .wait_in_open = 1h};

// An operation completing through the executor with `ec`, counting its runs.
struct fake_call {
    net::io_context* ioc;
    error_code ec;
    int* runs;
    template <class Token>
    auto operator()(Token&& token) {
        ++*runs;
        return net::post(*ioc, net::append(std::forward<Token>(token), ec));
    }
};
} // namespace

TEST_CASE("async_guarded runs the call and records failures until the breaker opens",
          "[async_guarded]") {
    net::io_context ioc;
    bulwark::circuit_breaker breaker{two_calls};
    int runs = 0;
    std::vector<error_code> results;
    for (int i = 0; i < 3; ++i) {
        bulwark::async_guarded(ioc.get_executor(), breaker,
                               fake_call{&ioc, net::error::connection_refused, &runs},
                               [&](error_code ec) { results.push_back(ec); });
        ioc.run();
        ioc.restart();
    }
    CHECK(runs == 2); // the third call was never started
    REQUIRE(results.size() == 3);
    CHECK(results[0] == net::error::connection_refused);
    CHECK(results[2] == bulwark::error::circuit_open);
    CHECK(breaker.state() == breaker_state::open);
}

TEST_CASE("async_guarded with use_future, deferred, use_awaitable and as_tuple",
          "[async_guarded]") {
    net::io_context ioc;
    bulwark::circuit_breaker breaker{two_calls};
    int runs = 0;
    auto future = bulwark::async_guarded(ioc.get_executor(), breaker, fake_call{&ioc, {}, &runs},
                                         net::use_future);
    auto deferred = bulwark::async_guarded(ioc.get_executor(), breaker, fake_call{&ioc, {}, &runs},
                                           net::deferred);
    std::optional<error_code> from_deferred;
    std::move(deferred)([&](error_code ec) { from_deferred = ec; });
    bool coroutine_done = false;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            co_await bulwark::async_guarded(ioc.get_executor(), breaker, fake_call{&ioc, {}, &runs},
                                            net::use_awaitable);
            breaker.force_open();
            auto [ec] = co_await bulwark::async_guarded(ioc.get_executor(), breaker,
                                                        fake_call{&ioc, {}, &runs},
                                                        net::as_tuple(net::use_awaitable));
            CHECK(ec == bulwark::error::circuit_open);
            coroutine_done = true;
        },
        net::detached);
    ioc.run();
    CHECK_NOTHROW(future.get());
    REQUIRE(from_deferred);
    CHECK_FALSE(*from_deferred);
    CHECK(coroutine_done);
    CHECK(runs == 3);
}

TEST_CASE("a cancelled guarded call is recorded as ignored", "[async_guarded][cancel]") {
    net::io_context ioc;
    bulwark::circuit_breaker breaker{two_calls};
    net::steady_timer never{ioc, 1h};
    net::cancellation_signal signal;
    std::optional<error_code> result;
    bulwark::async_guarded(
        ioc.get_executor(), breaker, [&](auto token) { return never.async_wait(std::move(token)); },
        net::bind_cancellation_slot(signal.slot(), [&](error_code ec) { result = ec; }));
    ioc.poll();
    signal.emit(net::cancellation_type::terminal);
    ioc.run();
    REQUIRE(result);
    CHECK(*result == net::error::operation_aborted);
    CHECK(breaker.snapshot().calls == 0); // ignored, not a failure
}
