#include <bulwark/core/error.hpp>
#include <bulwark/http/size_limit/size_limits.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <system_error>

namespace bh = boost::beast::http;
namespace http = bulwark::http;

namespace {

struct run {
    http::request_context ctx;
    http::action result;
    run(http::size_limits& mw, std::string target, std::string_view route,
        std::string content_length = {}, int extra_headers = 0) {
        ctx.reset({.body_limit = 555});
        ctx.set_route(route);
        http::request req{bh::verb::post, target, 11};
        if (!content_length.empty()) {
            req.set(bh::field::content_length, content_length);
        }
        for (int i = 0; i < extra_headers; ++i) {
            req.insert("X-H" + std::to_string(i), "v");
        }
        result = mw.on_header(ctx, req);
    }
};

} // namespace

TEST_CASE("URL over the limit gets 414; header count over the limit 431", "[size_limits]") {
    http::size_limits mw{{.max_url_bytes = 16, .max_header_count = 3}};
    run ok{mw, "/0123456789abcde", "/x"};
    CHECK(ok.result == http::action::proceed);
    run long_url{mw, "/0123456789abcdef", "/x"};
    REQUIRE(long_url.result == http::action::respond);
    CHECK(long_url.ctx.pending_response().result_int() == 414);
    CHECK(long_url.ctx.rejected_by() == "size_limits");
    run many{mw, "/", "/x", {}, 4};
    REQUIRE(many.result == http::action::respond);
    CHECK(many.ctx.pending_response().result_int() == 431);
    CHECK(mw.stats().uri_too_long == 1);
    CHECK(mw.stats().too_many_headers == 1);
}

TEST_CASE("body limit per route, raising or lowering the default", "[size_limits]") {
    //! [route_body]
    http::size_limits mw{
        {.max_body_bytes = 1000, .route_body_bytes = {{"/upload", 50'000'000}, {"/tiny", 10}}}};
    //! [route_body]
    CHECK(run{mw, "/", "/other"}.ctx.body_limit() == 1000);
    CHECK(run{mw, "/upload", "/upload"}.ctx.body_limit() == 50'000'000);
    CHECK(run{mw, "/tiny", "/tiny"}.ctx.body_limit() == 10);
    run over{mw, "/", "/other", "1001"};
    CHECK(over.result == http::action::proceed); // the session answers 413, before the body
    CHECK(over.ctx.body_limit() == 1000);
    CHECK(mw.stats().body_too_large == 1);
}

TEST_CASE("shadow mode changes nothing and counts", "[size_limits]") {
    http::size_limits mw{{.max_url_bytes = 4, .max_body_bytes = 10, .enforce = false}};
    run r{mw, "/long-url", "/x", "100"};
    CHECK(r.result == http::action::proceed);
    CHECK(r.ctx.body_limit() == 555); // the session's limit, untouched
    CHECK(r.ctx.shadow_rejections() == 2);
    CHECK(mw.stats().uri_too_long == 1);
    CHECK(mw.stats().body_too_large == 1);
}

TEST_CASE("invalid size limits are refused naming the field", "[size_limits]") {
    bulwark::config_issue issue;
    CHECK(http::size_limits::validate({.max_url_bytes = 0}, &issue) ==
          bulwark::error::invalid_config);
    CHECK(issue.field == "size_limits_config.max_url_bytes");
    CHECK(http::size_limits::validate({.max_header_count = 0}, &issue));
    CHECK(issue.field == "size_limits_config.max_header_count");
    CHECK(http::size_limits::validate({.route_body_bytes = {{"upload", 1}}}, &issue));
    CHECK(issue.field == "size_limits_config.route_body_bytes");
    CHECK_THROWS_AS(http::size_limits({.max_url_bytes = 0}), std::system_error);
}

TEST_CASE("header-phase rejections read no body bytes (beast::test::stream)", "[size_limits]") {
    // The header-first read of a session, against Beast's test stream: one byte per read, so
    // the stream's counter says exactly how many bytes the server has taken off the wire.
    boost::asio::io_context ioc;
    boost::beast::test::stream server{ioc};
    boost::beast::test::stream client{ioc};
    server.connect(client);
    server.read_size(1);
    const std::string header = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
    const std::string body(1000, 'b');
    boost::asio::write(client, boost::asio::buffer(header + body));

    http::size_limits limits{{.max_url_bytes = 4}}; // "/upload" is too long: 414
    bh::request_parser<bh::string_body> parser;
    boost::beast::flat_buffer buffer;
    bh::read_header(server, buffer, parser);
    http::request_context ctx;
    ctx.reset({.body_limit = 1 << 20});
    REQUIRE(limits.on_header(ctx, parser.get()) == http::action::respond);
    CHECK(ctx.pending_response().result_int() == 414);
    CHECK(server.nread_bytes() == header.size()); // not one body byte
    CHECK(buffer.size() == 0);
    CHECK_FALSE(parser.is_done()); // the body is still unread: the session must close
}
