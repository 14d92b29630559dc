#include <bulwark/core/detail/json_escape.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {
std::string escape(std::string_view in) {
    std::string out;
    bulwark::detail::append_json_string(out, in);
    return out;
}
} // namespace

TEST_CASE("plain text is quoted and copied", "[json]") {
    CHECK(escape("") == R"("")");
    CHECK(escape("hello, world") == R"("hello, world")");
    CHECK(escape("a/b <c> & 'd'") == R"("a/b <c> & 'd'")");
}

TEST_CASE("quotes, backslashes and control characters are escaped", "[json]") {
    CHECK(escape(R"(say "hi")") == R"("say \"hi\"")");
    CHECK(escape(R"(C:\path)") == R"("C:\\path")");
    CHECK(escape("a\nb\rc\td\be\ff") == R"("a\nb\rc\td\be\ff")");
    CHECK(escape(std::string_view{"\0\x01\x1f", 3}) == R"("\u0000\u0001\u001f")");
    CHECK(escape("\x7f") == "\"\x7f\""); // DEL is legal in a JSON string
}

TEST_CASE("well-formed UTF-8 passes through unchanged", "[json]") {
    CHECK(escape("caf\xC3\xA9") == "\"caf\xC3\xA9\"");           // U+00E9
    CHECK(escape("\xE2\x82\xAC 5") == "\"\xE2\x82\xAC 5\"");     // U+20AC
    CHECK(escape("\xF0\x9F\x98\x80") == "\"\xF0\x9F\x98\x80\""); // U+1F600
    CHECK(escape("\xF4\x8F\xBF\xBF") == "\"\xF4\x8F\xBF\xBF\""); // U+10FFFF
    CHECK(escape("\xED\x9F\xBF") == "\"\xED\x9F\xBF\"");         // U+D7FF
}

TEST_CASE("ill-formed UTF-8 becomes U+FFFD, one per bad byte", "[json]") {
    const std::string r = "\xEF\xBF\xBD";
    CHECK(escape("\x80") == "\"" + r + "\"");                         // stray continuation
    CHECK(escape("\xC0\xAF") == "\"" + r + r + "\"");                 // overlong '/'
    CHECK(escape("\xE0\x80\xAF") == "\"" + r + r + r + "\"");         // overlong
    CHECK(escape("\xED\xA0\x80") == "\"" + r + r + r + "\"");         // surrogate U+D800
    CHECK(escape("\xF4\x90\x80\x80") == "\"" + r + r + r + r + "\""); // above U+10FFFF
    CHECK(escape("ok\xE2\x82") == "\"ok" + r + r + "\"");             // truncated at the end
    CHECK(escape("\xFF\"") == "\"" + r + "\\\"\"");
}

TEST_CASE("appends to what the buffer holds", "[json]") {
    std::string out = "{\"k\":";
    bulwark::detail::append_json_string(out, "v");
    out.push_back('}');
    CHECK(out == R"({"k":"v"})");
}
