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

TEST_CASE("every byte at every position of a word-sized scan is escaped the same way", "[json]") {
    // The scan reads eight bytes at a time: each byte value in every lane of the first,
    // second and the partial last word gives what the byte alone would give.
    const auto alone = [](unsigned b) -> std::string {
        switch (b) {
        case '"': return R"(\")";
        case '\\': return R"(\\)";
        case '\b': return R"(\b)";
        case '\f': return R"(\f)";
        case '\n': return R"(\n)";
        case '\r': return R"(\r)";
        case '\t': return R"(\t)";
        default: break;
        }
        if (b < 0x20) {
            static constexpr char hex[] = "0123456789abcdef";
            return std::string{"\\u00"} + hex[b >> 4] + hex[b & 0xF];
        }
        if (b >= 0x80) {
            return "\xEF\xBF\xBD"; // a lone byte >= 0x80 is never well-formed
        }
        return std::string(1, static_cast<char>(b));
    };
    for (unsigned b = 0; b < 256; ++b) {
        for (std::size_t pos = 0; pos < 21; ++pos) {
            std::string in(21, 'x');
            in[pos] = static_cast<char>(b);
            const std::string expected =
                "\"" + in.substr(0, pos) + alone(b) + in.substr(pos + 1) + "\"";
            INFO("byte " << b << " at " << pos);
            REQUIRE(escape(in) == expected);
        }
    }
}
