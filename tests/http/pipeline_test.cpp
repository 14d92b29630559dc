#include <bulwark/http/pipeline.hpp>
#include <bulwark/http/request_id/request_id.hpp>

#include <catch2/catch.hpp>

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
