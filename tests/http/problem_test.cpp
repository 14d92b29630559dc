#include <bulwark/http/problem.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace json = boost::json;
namespace bh = boost::beast::http;
using bulwark::http::problem;

namespace {
json::object parse(const std::string& text) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    INFO(text);
    REQUIRE_FALSE(ec);
    REQUIRE(value.is_object());
    return value.as_object();
}
} // namespace

TEST_CASE("a default problem is a 500 with the standard members only", "[problem]") {
    const auto text = bulwark::http::to_json({});
    CHECK(text == R"({"type":"about:blank","title":"Internal Server Error","status":500})");
}

TEST_CASE("optional members appear when set, in RFC 9457 order", "[problem]") {
    const auto text = bulwark::http::to_json({.status = 429,
                                              .detail = "Too many requests.",
                                              .instance = "/orders/7",
                                              .request_id = "req-42"});
    const auto obj = parse(text);
    CHECK(obj.at("type") == "about:blank");
    CHECK(obj.at("title") == "Too Many Requests");
    CHECK(obj.at("status") == 429);
    CHECK(obj.at("detail") == "Too many requests.");
    CHECK(obj.at("instance") == "/orders/7");
    CHECK(obj.at("requestId") == "req-42");
    CHECK(obj.size() == 6);
    CHECK(text.find("\"type\"") < text.find("\"title\""));
    CHECK(text.find("\"status\"") < text.find("\"detail\""));
}

TEST_CASE("a custom type and title are kept", "[problem]") {
    const auto obj = parse(bulwark::http::to_json(
        {.status = 413, .type = "https://example.com/probs/too-big", .title = "Too big"}));
    CHECK(obj.at("type") == "https://example.com/probs/too-big");
    CHECK(obj.at("title") == "Too big");
    CHECK(obj.at("status") == 413);
}

TEST_CASE("hostile text stays inside its JSON string", "[problem]") {
    const std::string detail = "\"},\"status\":200,\"x\":\"\n\x01\xFF";
    const auto obj = parse(bulwark::http::to_json({.status = 400, .detail = detail}));
    CHECK(obj.at("status") == 400);
    CHECK(obj.size() == 4);
    CHECK(obj.at("detail").as_string().starts_with("\"},\"status\":200"));
}

TEST_CASE("status outside 400-599 becomes 500 and unnamed codes get a class title", "[problem]") {
    CHECK(parse(bulwark::http::to_json({.status = 200})).at("status") == 500);
    CHECK(parse(bulwark::http::to_json({.status = 99})).at("status") == 500);
    CHECK(parse(bulwark::http::to_json({.status = 600})).at("status") == 500);
    CHECK(parse(bulwark::http::to_json({.status = 460})).at("title") == "Client Error");
    CHECK(parse(bulwark::http::to_json({.status = 555})).at("title") == "Server Error");
}

TEST_CASE("make_problem_response builds a complete problem+json response", "[problem]") {
    const auto res =
        bulwark::http::make_problem_response({.status = 404, .request_id = "abc"}, 11, false);
    CHECK(res.result_int() == 404);
    CHECK(res.version() == 11);
    CHECK(res[bh::field::content_type] == "application/problem+json");
    CHECK(res[bh::field::cache_control] == "no-store");
    CHECK(res[bh::field::content_length] == std::to_string(res.body().size()));
    CHECK_FALSE(res.keep_alive());
    CHECK(res[bh::field::connection] == "close");
    const auto obj = parse(res.body());
    CHECK(obj.at("title") == "Not Found");
    CHECK(obj.at("requestId") == "abc");

    const auto kept = bulwark::http::make_problem_response({.status = 503}, 11, true);
    CHECK(kept.keep_alive());
    CHECK(kept.find(bh::field::connection) == kept.end());
}
