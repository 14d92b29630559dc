#include <bulwark/core/error.hpp>
#include <bulwark/http/router.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <system_error>

#include "support/config_error.hpp"

namespace bh = boost::beast::http;
namespace http = bulwark::http;

using bulwark::test::config_error;

namespace {

http::response ok(http::request_context&, http::request&) {
    return {bh::status::ok, 11};
}

// Parameters point into the request's target: the request lives as long as the probe.
struct probe {
    http::request req;
    http::request_context ctx;
    http::route_match match;
    probe(const http::router& r, bh::verb method, const std::string& target)
        : req{method, target, 11} {
        ctx.reset({});
        match = r.match(ctx, req);
    }
};

} // namespace

TEST_CASE("literal routes, parameters and rest parameters", "[router]") {
    http::router r;
    r.get("/", ok).get("/users/me", ok).get("/users/{id}", ok).get("/users/{id}/posts/{post}", ok);
    r.get("/static/{path...}", ok);

    probe root{r, bh::verb::get, "/?x=1"};
    REQUIRE(root.match.matched != nullptr);
    CHECK(root.ctx.route() == "/");

    probe me{r, bh::verb::get, "/users/me"};
    CHECK(me.ctx.route() == "/users/me"); // a literal wins over a template

    probe user{r, bh::verb::get, "/users/42?full=1"};
    CHECK(user.ctx.route() == "/users/{id}");
    CHECK(user.ctx.path_param("id") == "42");

    probe post{r, bh::verb::get, "/users/7/posts/9"};
    CHECK(post.ctx.route() == "/users/{id}/posts/{post}");
    CHECK(post.ctx.path_param("id") == "7");
    CHECK(post.ctx.path_param("post") == "9");
    CHECK(post.ctx.path_param("nope").empty());

    probe file{r, bh::verb::get, "/static/css/site.css"};
    CHECK(file.ctx.route() == "/static/{path...}");
    CHECK(file.ctx.path_param("path") == "css/site.css");

    for (const char* target : {"/users/", "/users", "/users/1/2", "/static/", "/usersx/1"}) {
        probe miss{r, bh::verb::get, target};
        INFO(target);
        CHECK(miss.match.matched == nullptr);
        CHECK(miss.ctx.route() == "unmatched");
    }
}

TEST_CASE("405 lists the path's methods; GET routes answer HEAD", "[router]") {
    http::router r;
    r.get("/items", ok).post("/items", ok).put("/items/{id}", ok);
    probe del{r, bh::verb::delete_, "/items"};
    CHECK(del.match.matched == nullptr);
    CHECK(del.match.path_known);
    CHECK(del.match.allow == "GET, HEAD, POST");
    probe templated{r, bh::verb::get, "/items/3"};
    CHECK(templated.match.path_known);
    CHECK(templated.match.allow == "PUT");
    probe head{r, bh::verb::head, "/items"};
    REQUIRE(head.match.matched != nullptr);
    CHECK(head.match.matched->method == bh::verb::get);
    probe none{r, bh::verb::get, "/other"};
    CHECK_FALSE(none.match.path_known);

    http::router locks;
    locks.add(bh::verb::unlock, "/doc", ok).add(bh::verb::lock, "/doc", ok);
    locks.add(bh::verb::head, "/doc", ok).get("/doc", ok);
    probe allow{locks, bh::verb::post, "/doc"};
    CHECK(allow.match.allow == "UNLOCK, LOCK, HEAD, GET"); // whole tokens, each once
}

TEST_CASE("malformed templates and duplicates are refused naming the field", "[router]") {
    for (const char* bad :
         {"", "users", "/a/{", "/a/{}", "/a/{x...}/b", "/a/{x}/{x}", "/a/b{c}", "/a/{x-y}"}) {
        INFO(bad);
        http::router r;
        CHECK_THAT(config_error([&] { r.get(bad, ok); }), Catch::Contains("router.path_template"));
    }
    http::router r;
    r.get("/a", ok);
    CHECK_THAT(config_error([&] { r.get("/a", ok); }), Catch::Contains("registered twice"));
    CHECK_NOTHROW(r.post("/a", ok));
}
