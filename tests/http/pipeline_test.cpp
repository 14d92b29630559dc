#include <bulwark/http/pipeline.hpp>
#include <bulwark/http/request_id/request_id.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bh = boost::beast::http;
namespace http = bulwark::http;

namespace {

//! [middleware]
// Appends "<name>:<phase>" to a shared log for every hook it implements.
struct logger {
    std::string name;
    std::vector<std::string>* log;
    bool respond_in_header = false;

    //! [reject]
    http::action on_header(http::request_context& ctx, http::request_header&) {
        log->push_back(name + ":header");
        if (respond_in_header) {
            return ctx.reject({.status = 403, .detail = "no"}, "logger");
        }
        return http::action::proceed;
    }
    //! [reject]
    http::action on_request(http::request_context&, http::request&) {
        log->push_back(name + ":request");
        return http::action::proceed;
    }
    void on_response(http::request_context&, http::response& res) {
        log->push_back(name + ":response");
        res.insert("X-Seen", name);
    }
    void on_complete(http::request_context&) noexcept { log->push_back(name + ":complete"); }
};
//! [middleware]

// Only a response hook: the other phases must skip it.
struct header_setter {
    void on_response(http::request_context&, http::response& res) { res.set("X-Only", "1"); }
};

// Only a completion hook.
struct counter {
    int* count;
    void on_complete(http::request_context&) noexcept { ++*count; }
};

// An asynchronous header hook that really suspends (it resumes from a posted handler).
struct async_logger {
    std::string name;
    std::vector<std::string>* log;
    bool respond_in_header = false;

    boost::asio::awaitable<http::action> async_on_header(http::request_context& ctx,
                                                         http::request_header&) {
        log->push_back(name + ":header-start");
        co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                   boost::asio::use_awaitable);
        log->push_back(name + ":header");
        if (respond_in_header) {
            co_return ctx.reject({.status = 429, .detail = "later"}, "async_logger");
        }
        co_return http::action::proceed;
    }
    void on_response(http::request_context&, http::response& res) {
        log->push_back(name + ":response");
        res.insert("X-Seen", name);
    }
};

// Runs an awaitable header phase to its end on a fresh io_context; rethrows its exception.
template <class Phase>
http::action run_header(Phase&& phase) {
    boost::asio::io_context io;
    std::optional<http::action> result;
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::forward<Phase>(phase)(),
                          [&](std::exception_ptr e, http::action a) {
                              error = e;
                              result = a;
                          });
    io.run();
    if (error) {
        std::rethrow_exception(error);
    }
    REQUIRE(result);
    return *result;
}

struct fixture {
    http::request req{bh::verb::get, "/", 11};
    http::request_context ctx;
    http::response res{bh::status::ok, 11};
    fixture() { ctx.reset({}); }
};

} // namespace

static_assert(http::header_middleware<logger>);
static_assert(!http::header_middleware<header_setter>);
static_assert(http::response_middleware<header_setter>);
static_assert(http::completion_middleware<counter>);
static_assert(!http::middleware<int>);
static_assert(http::async_header_middleware<async_logger>);
static_assert(!http::header_middleware<async_logger>);
static_assert(http::middleware<async_logger>);
// A pipeline with an asynchronous hook has no synchronous header phase to call by mistake.
static_assert(!http::header_middleware<http::pipeline<logger, async_logger>>);
static_assert(http::async_header_middleware<http::pipeline<logger, async_logger>>);
static_assert(http::header_middleware<http::pipeline<logger>>);

TEST_CASE("pipeline phases run in order, the response phase in reverse", "[pipeline]") {
    std::vector<std::string> log;
    int completions = 0;
    http::pipeline p{logger{"a", &log}, header_setter{}, logger{"b", &log}, counter{&completions}};
    fixture f;
    CHECK(p.on_header(f.ctx, f.req) == http::action::proceed);
    CHECK(p.on_request(f.ctx, f.req) == http::action::proceed);
    p.on_response(f.ctx, f.res);
    p.on_complete(f.ctx);
    CHECK(log == std::vector<std::string>{"a:header", "b:header", "a:request", "b:request",
                                          "b:response", "a:response", "a:complete", "b:complete"});
    CHECK(completions == 1);
    CHECK(f.res["X-Only"] == "1");
    // Reverse order: b decorated first, a last.
    auto it = f.res.find("X-Seen");
    REQUIRE(it != f.res.end());
    CHECK(it->value() == "b");
    CHECK(std::next(it)->value() == "a");
}

TEST_CASE("a header-phase response stops the phase; later phases still see the response",
          "[pipeline]") {
    std::vector<std::string> log;
    http::pipeline p{logger{"a", &log, true}, logger{"b", &log}};
    fixture f;
    CHECK(p.on_header(f.ctx, f.req) == http::action::respond);
    REQUIRE(f.ctx.has_response());
    CHECK(f.ctx.rejected_by() == "logger");
    auto res = f.ctx.take_response();
    CHECK(res.result_int() == 403);
    CHECK(res[bh::field::content_type] == "application/problem+json");
    CHECK(res.body().find(std::string{f.ctx.request_id()}) != std::string::npos);
    p.on_response(f.ctx, res);
    CHECK(log == std::vector<std::string>{"a:header", "b:response", "a:response"});
}

TEST_CASE("any_middleware and middleware_chain keep the phase semantics", "[pipeline]") {
    std::vector<std::string> log;
    int completions = 0;
    //! [chain]
    http::middleware_chain chain;
    chain.add(logger{"a", &log}).add(header_setter{}).add(counter{&completions});
    chain.add(http::pipeline{logger{"b", &log}, logger{"c", &log}});
    //! [chain]
    CHECK(chain.size() == 4);
    fixture f;
    CHECK(chain.on_header(f.ctx, f.req) == http::action::proceed);
    chain.on_response(f.ctx, f.res);
    chain.on_complete(f.ctx);
    CHECK(log == std::vector<std::string>{"a:header", "b:header", "c:header", "c:response",
                                          "b:response", "a:response", "a:complete", "b:complete",
                                          "c:complete"});
    CHECK(completions == 1);

    http::any_middleware erased{counter{&completions}};
    CHECK(erased.target<counter>() != nullptr);
    CHECK(erased.target<logger>() == nullptr);
    CHECK(erased.on_header(f.ctx, f.req) == http::action::proceed); // no hook: proceeds
    erased.on_complete(f.ctx);
    CHECK(completions == 2);
}

TEST_CASE("pipeline::get reaches a middleware by index and by type", "[pipeline]") {
    int completions = 0;
    http::pipeline p{header_setter{}, counter{&completions}};
    CHECK(p.get<1>().count == &completions);
    CHECK(p.get<counter>().count == &completions);
}

TEST_CASE("request_context: lazy id, tighten-only body limit, most restrictive decision",
          "[pipeline]") {
    http::request_id_generator ids{0x0123456789abcdefULL};
    http::request_context ctx;
    ctx.reset({.body_limit = 1000, .ids = &ids});
    CHECK_FALSE(ctx.has_request_id());
    CHECK(ctx.request_id() == "0123456789abcdef-1");
    CHECK(ctx.request_id() == "0123456789abcdef-1"); // stable once made
    ctx.limit_body(2000);
    CHECK(ctx.body_limit() == 1000);
    ctx.limit_body(10);
    CHECK(ctx.body_limit() == 10);

    ctx.record_rate_limit({.allowed = true, .remaining = 5, .limit = 10}, "a");
    ctx.record_rate_limit({.allowed = true, .remaining = 2, .limit = 10}, "b");
    CHECK(ctx.rate_limit()->policy == "b");
    ctx.record_rate_limit({.allowed = true, .remaining = 7, .limit = 10}, "c");
    CHECK(ctx.rate_limit()->policy == "b");
    ctx.record_rate_limit({.allowed = false, .remaining = 0, .limit = 10}, "d");
    CHECK(ctx.rate_limit()->policy == "d");
    ctx.record_rate_limit({.allowed = false, .remaining = 0, .limit = 5}, "e");
    CHECK(ctx.rate_limit()->policy == "d"); // the first refusal stays

    ctx.reset({.ids = &ids});
    CHECK_FALSE(ctx.rate_limit());
    CHECK(ctx.request_id() == "0123456789abcdef-2");
}

TEST_CASE("serialize_header writes Beast's bytes for the status line and fields", "[pipeline]") {
    http::response res{bh::status::too_many_requests, 11};
    res.set(bh::field::retry_after, "7");
    res.insert("X-Custom", "a b");
    res.body() = "body";
    res.prepare_payload();
    std::string out = "stale contents";
    http::serialize_header(res, out);
    CHECK(out == "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nX-Custom: a b\r\n"
                 "Content-Length: 4\r\n\r\n");
    res.version(10);
    res.reason("Slow Down");
    http::serialize_header(res, out);
    CHECK(out.rfind("HTTP/1.0 429 Slow Down\r\n", 0) == 0);
}

TEST_CASE("an asynchronous header hook is awaited in order among the synchronous ones",
          "[pipeline]") {
    std::vector<std::string> log;
    http::pipeline p{logger{"a", &log}, async_logger{"b", &log}, logger{"c", &log},
                     async_logger{"d", &log}, logger{"e", &log}};
    CHECK(p.has_async_header());
    fixture f;
    CHECK(run_header([&] { return p.async_on_header(f.ctx, f.req); }) == http::action::proceed);
    CHECK(log == std::vector<std::string>{"a:header", "b:header-start", "b:header", "c:header",
                                          "d:header-start", "d:header", "e:header"});

    SECTION("a refusal from the asynchronous hook stops the phase") {
        log.clear();
        p.get<1>().respond_in_header = true;
        fixture g;
        CHECK(run_header([&] { return p.async_on_header(g.ctx, g.req); }) == http::action::respond);
        CHECK(log == std::vector<std::string>{"a:header", "b:header-start", "b:header"});
        CHECK(g.ctx.rejected_by() == "async_logger");
        auto res = g.ctx.take_response();
        CHECK(res.result_int() == 429);
        p.on_response(g.ctx, res);
        CHECK(log.back() == "a:response"); // every response hook still runs, in reverse
    }
    SECTION("a synchronous pipeline awaited gives the same answer as called") {
        std::vector<std::string> sync_log;
        http::pipeline q{logger{"x", &sync_log}, logger{"y", &sync_log}};
        CHECK_FALSE(q.has_async_header());
        fixture g;
        CHECK(run_header([&] { return q.async_on_header(g.ctx, g.req); }) == http::action::proceed);
        CHECK(sync_log == std::vector<std::string>{"x:header", "y:header"});
    }
}

TEST_CASE("type-erased stacks await asynchronous header hooks and refuse a synchronous call",
          "[pipeline]") {
    std::vector<std::string> log;
    fixture f;

    http::any_middleware sync_erased{logger{"s", &log}};
    CHECK_FALSE(sync_erased.has_async_header());

    http::any_middleware erased{http::pipeline{logger{"a", &log}, async_logger{"b", &log}}};
    CHECK(erased.has_async_header());
    // Calling the synchronous phase of an asynchronous middleware would skip its check.
    CHECK_THROWS_AS(erased.on_header(f.ctx, f.req), std::logic_error);
    http::any_middleware bare{async_logger{"z", &log}};
    CHECK(bare.has_async_header());
    CHECK_THROWS_AS(bare.on_header(f.ctx, f.req), std::logic_error);
    log.clear();
    CHECK(run_header([&] { return erased.async_on_header(f.ctx, f.req); }) ==
          http::action::proceed);
    CHECK(log == std::vector<std::string>{"a:header", "b:header-start", "b:header"});

    http::middleware_chain chain;
    chain.add(logger{"c", &log});
    CHECK_FALSE(chain.has_async_header());
    chain.add(async_logger{"d", &log}).add(logger{"e", &log});
    CHECK(chain.has_async_header());
    CHECK_THROWS_AS(chain.on_header(f.ctx, f.req), std::logic_error);
    log.clear();
    CHECK(run_header([&] { return chain.async_on_header(f.ctx, f.req); }) == http::action::proceed);
    CHECK(log == std::vector<std::string>{"c:header", "d:header-start", "d:header", "e:header"});

    // A chain inside a pipeline: the pipeline asks it at run time.
    http::pipeline outer{logger{"o", &log}, std::move(chain)};
    CHECK(outer.has_async_header());
    log.clear();
    CHECK(run_header([&] { return outer.async_on_header(f.ctx, f.req); }) == http::action::proceed);
    CHECK(log == std::vector<std::string>{"o:header", "c:header", "d:header-start", "d:header",
                                          "e:header"});
    CHECK_THROWS_AS(outer.on_header(f.ctx, f.req), std::logic_error);
}
