// bulwark-example-resilient-client: retry + circuit breaker + timeout + retry budget around a
// Beast HTTP client, against a deliberately flaky upstream started in the same process on
// 127.0.0.1 (an ephemeral port). The upstream answers each request by a fixed schedule:
//
//   requests 2-3    503          -> call 2 is retried and succeeds on its 3rd attempt
//   request  5      stalls 2 s   -> the 300 ms per-attempt timeout cancels it; call 3 retries
//   requests 7-9    503          -> the failure rate crosses 60%: the breaker opens and calls
//                                   fail fast; probes fail twice (the open wait doubles), then
//                                   request 10 answers and the breaker closes
//   all others      200
//
// Every logical call prints its outcome, its attempts and the breaker's state. The run stops
// once the breaker has closed again after call 10; exit status 0 if it did.

#include <bulwark/bulwark.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace net = boost::asio;
namespace bh = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using error_code = boost::system::error_code;

namespace {

// ---- the flaky upstream -----------------------------------------------------------------------

enum class behaviour { ok, unavailable, stall };

behaviour schedule(int request) {
    if (request == 2 || request == 3 || (request >= 7 && request <= 9)) {
        return behaviour::unavailable;
    }
    return request == 5 ? behaviour::stall : behaviour::ok;
}

net::awaitable<void> upstream_session(tcp::socket socket, int& counter) {
    boost::beast::flat_buffer buffer;
    bh::request<bh::string_body> req;
    auto [ec, n] = co_await bh::async_read(socket, buffer, req, net::as_tuple(net::use_awaitable));
    if (ec) {
        co_return;
    }
    const int number = ++counter;
    const behaviour b = schedule(number);
    if (b == behaviour::stall) {
        net::steady_timer timer{socket.get_executor(), 2s};
        co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
    bh::response<bh::string_body> res{
        b == behaviour::unavailable ? bh::status::service_unavailable : bh::status::ok, 11};
    res.body() = b == behaviour::unavailable ? "busy\n" : "hello\n";
    res.keep_alive(false);
    res.prepare_payload();
    co_await bh::async_write(socket, res, net::as_tuple(net::use_awaitable));
}

net::awaitable<void> upstream(tcp::acceptor& acceptor, int& counter) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
        if (ec) {
            co_return;
        }
        net::co_spawn(acceptor.get_executor(), upstream_session(std::move(socket), counter),
                      net::detached);
    }
}

// ---- one HTTP GET as an asynchronous operation: void(error_code) --------------------------------

// A 5xx answer is reported as a transient error, so the retry policy retries it and the breaker
// counts it as a failure; the status itself goes to the retry context.
struct http_get_state {
    tcp::socket socket;
    tcp::endpoint endpoint;
    bh::request<bh::string_body> request;
    bh::response<bh::string_body> response;
    boost::beast::flat_buffer buffer;
    unsigned* status;
    int step = 0;
};

template <class Token>
auto async_http_get(net::io_context& ioc, tcp::endpoint endpoint, unsigned* status, Token&& token) {
    auto state = std::make_shared<http_get_state>(
        http_get_state{tcp::socket{ioc}, endpoint, {}, {}, {}, status});
    state->request.method(bh::verb::get);
    state->request.target("/");
    state->request.version(11);
    state->request.set(bh::field::host, "127.0.0.1");
    return net::async_compose<std::decay_t<Token>, void(error_code)>(
        [state](auto& self, error_code ec = {}, std::size_t = 0) {
            if (ec) {
                self.complete(ec);
                return;
            }
            switch (state->step++) {
            case 0: state->socket.async_connect(state->endpoint, std::move(self)); return;
            case 1: bh::async_write(state->socket, state->request, std::move(self)); return;
            case 2:
                bh::async_read(state->socket, state->buffer, state->response, std::move(self));
                return;
            default:
                *state->status = state->response.result_int();
                self.complete(*state->status >= 500 ? error_code{net::error::try_again}
                                                    : error_code{});
            }
        },
        token, ioc);
}

// ---- the resilient client -----------------------------------------------------------------------

net::awaitable<void> client(net::io_context& ioc, tcp::endpoint endpoint, bool& closed_at_end) {
    const bulwark::retry_policy policy{{
        .max_attempts = 3,
        .backoff = {.initial = 20ms, .max = 200ms, .mode = bulwark::jitter::full},
        .idempotent = true, // a GET
    }};
    //! [resilient_client]
    bulwark::circuit_breaker breaker{{
        .failure_rate_threshold = 60,
        .window_size = 6,
        .minimum_calls = 6,
        .permitted_calls_in_half_open = 1,
        .wait_in_open = 500ms,
        .open_wait_multiplier = 2,
        .max_wait_in_open = 2s,
        .on_transition =
            [](bulwark::breaker_state from, bulwark::breaker_state to) {
                std::printf("  breaker: %s -> %s\n", bulwark::to_string(from),
                            bulwark::to_string(to));
            },
    }};
    bulwark::retry_budget budget; // at most ~20% extra load from retries (plus 10/s)

    for (int call = 1; call <= 40; ++call) {
        auto [ec, attempts] = co_await bulwark::async_retry(
            ioc.get_executor(), policy, budget,
            [&](bulwark::retry_context& ctx, auto token) {
                // Each attempt: only if the breaker allows it, and at most 300 ms. The inner
                // callables are stored in operations that outlive this call: capture by value.
                unsigned* status = &ctx.http_status;
                return bulwark::async_guarded(
                    ioc.get_executor(), breaker,
                    [&ioc, endpoint, status](auto guarded) {
                        return bulwark::with_timeout(
                            ioc.get_executor(), 300ms,
                            [&ioc, endpoint, status](auto timed) {
                                return async_http_get(ioc, endpoint, status, std::move(timed));
                            },
                            std::move(guarded));
                    },
                    std::move(token));
            },
            net::as_tuple(net::use_awaitable));
        //! [resilient_client]
        std::printf("call %2d: %-28s after %u attempt(s), breaker %s\n", call,
                    ec ? ec.message().c_str() : "ok", attempts,
                    bulwark::to_string(breaker.state()));
        std::fflush(stdout);
        if (call >= 10 && !ec && breaker.state() == bulwark::breaker_state::closed) {
            break; // recovered
        }
        // pace the calls a little, as a real client's traffic would
        net::steady_timer pause{ioc, 200ms};
        co_await pause.async_wait(net::as_tuple(net::use_awaitable));
    }
    closed_at_end = breaker.state() == bulwark::breaker_state::closed;
    std::printf("done: breaker %s, %llu calls rejected while open\n",
                bulwark::to_string(breaker.state()),
                static_cast<unsigned long long>(breaker.snapshot().not_permitted));
}

} // namespace

int main() {
    try {
        net::io_context ioc;
        tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
        int counter = 0;
        bool closed_at_end = false;
        net::co_spawn(ioc, upstream(acceptor, counter), net::detached);
        net::co_spawn(
            ioc,
            [&]() -> net::awaitable<void> {
                co_await client(ioc, acceptor.local_endpoint(), closed_at_end);
                acceptor.close();
            },
            net::detached);
        ioc.run();
        return closed_at_end ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bulwark-example-resilient-client: %s\n", e.what());
        return 1;
    }
}
