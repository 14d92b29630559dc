#include <bulwark/http/request_id/request_id.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bh = boost::beast::http;
namespace http = bulwark::http;

TEST_CASE("incoming ids are validated: charset and length", "[request_id]") {
    CHECK(http::is_valid_request_id("9f86d081-884c-7d65"));
    CHECK(http::is_valid_request_id("01HZX3J6Q8C4T5V7W9Y1Z3B5D7"));
    CHECK(http::is_valid_request_id("abc+/=@:._-"));
    CHECK(http::is_valid_request_id(std::string(128, 'a')));
    CHECK_FALSE(http::is_valid_request_id(""));
    CHECK_FALSE(http::is_valid_request_id(std::string(129, 'a')));
    CHECK_FALSE(http::is_valid_request_id("has space"));
    CHECK_FALSE(http::is_valid_request_id("quote\""));
    CHECK_FALSE(http::is_valid_request_id("new\nline"));
    CHECK_FALSE(http::is_valid_request_id("caf\xc3\xa9"));
}

TEST_CASE("generated ids are unique across threads and carry the instance prefix", "[request_id]") {
    http::request_id_generator ids{0xfedcba9876543210ULL};
    std::vector<std::vector<std::string>> made(4);
    std::vector<std::thread> threads;
    for (auto& out : made) {
        threads.emplace_back([&ids, &out] {
            std::array<char, http::request_id_generator::max_size> buf{};
            for (int i = 0; i < 2000; ++i) {
                const auto n = ids.generate(buf);
                out.emplace_back(buf.data(), n);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::set<std::string> all;
    for (const auto& out : made) {
        for (const auto& id : out) {
            CHECK(id.rfind("fedcba9876543210-", 0) == 0);
            CHECK(http::is_valid_request_id(id));
            all.insert(id);
        }
    }
    CHECK(all.size() == 8000);
    http::request_id_generator a;
    http::request_id_generator b;
    std::array<char, http::request_id_generator::max_size> x{};
    std::array<char, http::request_id_generator::max_size> y{};
    const auto nx = a.generate(x);
    const auto ny = b.generate(y);
    CHECK(std::string_view(x.data(), nx) != std::string_view(y.data(), ny)); // random prefixes
}

TEST_CASE("the middleware accepts a valid incoming id and echoes it", "[request_id]") {
    http::request_id_generator ids{1};
    http::request_id mw;
    http::request_context ctx;
    http::response res{bh::status::ok, 11};

    SECTION("valid incoming id kept") {
        ctx.reset({.ids = &ids});
        http::request req{bh::verb::get, "/", 11};
        req.set("X-Request-Id", "abc-123");
        CHECK(mw.on_header(ctx, req) == http::action::proceed);
        mw.on_response(ctx, res);
        CHECK(res["X-Request-Id"] == "abc-123");
    }
    SECTION("invalid incoming id replaced, never echoed") {
        ctx.reset({.ids = &ids});
        http::request req{bh::verb::get, "/", 11};
        req.set("X-Request-Id", "<script>");
        CHECK(mw.on_header(ctx, req) == http::action::proceed);
        mw.on_response(ctx, res);
        CHECK(res["X-Request-Id"] == "0000000000000001-1");
    }
    SECTION("untrusted incoming ids ignored; custom header") {
        http::request_id strict{{.header = "X-Correlation-Id", .trust_incoming = false}};
        ctx.reset({.ids = &ids});
        http::request req{bh::verb::get, "/", 11};
        req.set("X-Correlation-Id", "chosen-by-client");
        CHECK(strict.on_header(ctx, req) == http::action::proceed);
        strict.on_response(ctx, res);
        CHECK(res["X-Correlation-Id"] == "0000000000000001-1");
    }
}
