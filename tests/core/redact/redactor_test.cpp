// The redactor, detector by detector: what each finds, the look-alikes it leaves, the modes,
// the allowlist, custom detectors, field names, failing closed, and no allocation when clean.
#include <bulwark/core/redact/redactor.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <support/count_allocations.hpp>

namespace {

using bulwark::detector;
using bulwark::redact_mode;
using bulwark::redact_status;
using bulwark::redactor;
using bulwark::redactor_config;

std::string redact(const redactor& r, std::string_view in) {
    return r.redact(in);
}

const redactor& defaults() {
    static const redactor r;
    return r;
}

// A deterministic stand-in for HMAC: distinct inputs give distinct digests, equal give equal.
class fake_mac final : public bulwark::keyed_hash {
public:
    [[nodiscard]] std::array<std::uint8_t, 32> digest(std::string_view value) const override {
        std::array<std::uint8_t, 32> out{};
        std::uint64_t h = 1469598103934665603ULL;
        for (const char c : value) {
            h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
        }
        for (std::size_t i = 0; i < out.size(); ++i) {
            out[i] = static_cast<std::uint8_t>(h >> ((i % 8) * 8));
        }
        return out;
    }
};

class recording_mac final : public bulwark::keyed_hash {
public:
    mutable std::string last;
    [[nodiscard]] std::array<std::uint8_t, 32> digest(std::string_view value) const override {
        last = value;
        return {};
    }
};

class throwing_mac final : public bulwark::keyed_hash {
public:
    [[nodiscard]] std::array<std::uint8_t, 32> digest(std::string_view) const override {
        throw std::runtime_error("hsm unavailable");
    }
};

} // namespace

TEST_CASE("email addresses are masked; look-alikes are not", "[redact]") {
    const auto& r = defaults();
    CHECK(redact(r, "login ok user=alice.smith+tag@mail.example.co.uk from web") ==
          "login ok user=[REDACTED:email] from web");
    CHECK(redact(r, "contact BOB_99@Example.ORG.") == "contact [REDACTED:email].");
    CHECK(redact(r, "{\"email\":\"a@b.io\"}") == "{\"email\":\"[REDACTED:email]\"}");
    for (const char* clean : {"user@localhost", "ping @channel now", "a@b.c", "x@1.2",
                              "git@host:repo", "@mention", "foo@.com", "foo@bar-.com"}) {
        INFO(clean);
        CHECK(redact(r, clean) == clean);
    }
}

TEST_CASE("cards: Luhn, IIN and printed shapes", "[redact]") {
    const auto& r = defaults();
    CHECK(redact(r, "card=4111111111111111 ok") == "card=[REDACTED:card] ok");
    CHECK(redact(r, "pan 4111 1111 1111 1111.") == "pan [REDACTED:card].");
    CHECK(redact(r, "pan 4111-1111-1111-1111") == "pan [REDACTED:card]");
    CHECK(redact(r, "amex 3782 822463 10005 x") == "amex [REDACTED:card] x");
    CHECK(redact(r, "mc 2223003122003222") == "mc [REDACTED:card]");
    // A card inside a longer run of groups.
    CHECK(redact(r, "qty 2 4111 1111 1111 1111") == "qty 2 [REDACTED:card]");
    for (const char* clean : {
             "order 4111111111111112", // fails Luhn
             "order 1234567812345678", // fails Luhn
             "ts 1732356932123456789", // epoch ns: IIN 1
             "at 20261123101532",      // compact date: 20xx is no IIN
             "id 7992739871300000",    // IIN 7
             "4111 1111 1111 111",     // 15 digits in a Visa grouping: Luhn fails
             "uuid 12345678-1234-1234-1234-123456789012",
             "sha 4111111111111111abc", // inside a word
             "v_4111111111111111",      // after '_'
         }) {
        INFO(clean);
        CHECK(redact(r, clean) == clean);
    }
}

TEST_CASE("IBANs: registry length and mod 97, with or without spaces", "[redact]") {
    const auto& r = defaults();
    CHECK(redact(r, "iban DE89370400440532013000 paid") == "iban [REDACTED:iban] paid");
    CHECK(redact(r, "to GB82 WEST 1234 5698 7654 32.") == "to [REDACTED:iban].");
    CHECK(redact(r, "MT84MALT011000012345MTLCAST001S") == "[REDACTED:iban]");
    CHECK(redact(r, "NO9386011117947") == "[REDACTED:iban]");
    for (const char* clean :
         {"DE89370400440532013001", "DE8937040044053201300", "DE893704004405320130001",
          "XX89370400440532013000", "SKU AB12-CD34", "GB82 WEST 1234 5698 7654"}) {
        INFO(clean);
        CHECK(redact(r, clean) == clean);
    }
}

TEST_CASE("phones: E.164 and separated national formats, conservatively", "[redact]") {
    const auto& r = defaults();
    CHECK(redact(r, "sms to +14155552671 sent") == "sms to [REDACTED:phone] sent");
    CHECK(redact(r, "tel +44 20 7946 0958") == "tel [REDACTED:phone]");
    CHECK(redact(r, "tel=+1 (415) 555-2671;") == "tel=[REDACTED:phone];");
    CHECK(redact(r, "call (415) 555-2671 now") == "call [REDACTED:phone] now");
    CHECK(redact(r, "call 415-555-2671") == "call [REDACTED:phone]");
    CHECK(redact(r, "call 415.555.2671") == "call [REDACTED:phone]");
    CHECK(redact(r, "uk 020 7946 0958") == "uk [REDACTED:phone]");
    CHECK(redact(r, "fr 06 12 34 56 78") == "fr [REDACTED:phone]");
    for (const char* clean :
         {"tz +0100", "x+14155552671", "v1.2.3", "call 555 123 4567", "07700900123", "2026-11-23",
          "(123) 456-7890", "+1234567", "1.5.2026"}) {
        INFO(clean);
        CHECK(redact(r, clean) == clean);
    }
}

TEST_CASE("IP addresses: dotted quads and IPv6 text forms", "[redact]") {
    const auto& r = defaults();
    CHECK(redact(r, "from 203.0.113.42:51234") == "from [REDACTED:ipv4]:51234");
    CHECK(redact(r, "net 10.0.0.0/8") == "net [REDACTED:ipv4]/8");
    CHECK(redact(r, "peer 2001:db8:85a3::8a2e:370:7334 ok") == "peer [REDACTED:ipv6] ok");
    CHECK(redact(r, "[2001:db8::1]:8443") == "[[REDACTED:ipv6]]:8443");
    CHECK(redact(r, "link fe80::1%eth0") == "link [REDACTED:ipv6]%eth0");
    CHECK(redact(r, "lo ::1 up") == "lo [REDACTED:ipv6] up");
    CHECK(redact(r, "mapped ::ffff:192.0.2.128") == "mapped [REDACTED:ipv6]");
    CHECK(redact(r, "2001:0db8:0000:0000:0000:ff00:0042:8329") == "[REDACTED:ipv6]");
    for (const char* clean : {"1.2.3.456", "999.1.1.1", "at 10:15:32.123Z", "mac 00:1a:2b:3c:4d:5e",
                              "std::vector<int>", "ab::cd", "1.2.3", "v1.2.3.4", "12:30"}) {
        INFO(clean);
        CHECK(redact(r, clean) == clean);
    }
}

TEST_CASE("tokens: JWT, Bearer, Basic, AWS key ids", "[redact]") {
    const auto& r = defaults();
    const std::string jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
                            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    CHECK(redact(r, "jwt " + jwt + " end") == "jwt [REDACTED:jwt] end");
    CHECK(redact(r, "hdr Bearer " + jwt) == "hdr Bearer [REDACTED:bearer]");
    CHECK(redact(r, "Basic dXNlcjpwYXNzd29yZA==") == "Basic [REDACTED:basic]");
    CHECK(redact(r, "key AKIAIOSFODNN7EXAMPLE used") == "key [REDACTED:aws_key] used");
    for (const char* clean :
         {"Basic authentication failed", "Bearer token missing", "AKIAIOSFODNN7EXAMPL",
          "AKIAIOSFODNN7EXAMPLE1", "eyJhbGciOiJIUzI1NiJ9", "eyJ.abc.def"}) {
        INFO(clean);
        CHECK(redact(r, clean) == clean);
    }
}

TEST_CASE("secrets by key name in logfmt, query strings, headers and JSON", "[redact]") {
    const auto& r = defaults();
    CHECK(redact(r, "db_password=hunter2 user=bob") == "db_password=[REDACTED:secret] user=bob");
    CHECK(redact(r, "GET /cb?code=1&access_token=abc.def&x=1") ==
          "GET /cb?code=1&access_token=[REDACTED:secret]&x=1");
    CHECK(redact(r, "X-Api-Key: k_12345") == "X-Api-Key: [REDACTED:secret]");
    CHECK(redact(r, "Authorization: Bearer abc123def") ==
          "Authorization: Bearer [REDACTED:secret]");
    CHECK(redact(r, R"({"clientSecret": "s3 cr\"et", "n":1})") ==
          R"({"clientSecret": "[REDACTED:secret]", "n":1})");
    // An unquoted JSON value is quoted again so the line stays JSON; null stays null.
    CHECK(redact(r, R"({"pin_token":1234,"refresh_token":null})") ==
          R"({"pin_token":"[REDACTED:secret]","refresh_token":null})");
    // Escaped JSON inside a JSON string.
    CHECK(redact(r, R"({"msg":"{\"password\":\"p@ss\"}"})") ==
          R"({"msg":"{\"password\":\"[REDACTED:secret]\"}"})");
    // Cookie headers are redacted to the end of the line: every cookie in them.
    CHECK(redact(r, "Cookie: sid=abc; theme=dark\nnext") == "Cookie: [REDACTED:secret]\nnext");
    for (const char* clean :
         {"token_count=3", "max_tokens=100", "password_policy=strict", "tokenizer=bpe",
          "password=", R"({"token": ""})", "https://example.com/a"}) {
        INFO(clean);
        CHECK(redact(r, clean) == clean);
    }
}

TEST_CASE("SSNs: dashed, issued ranges only", "[redact]") {
    const auto& r = defaults();
    CHECK(redact(r, "ssn 536-22-8731 on file") == "ssn [REDACTED:ssn] on file");
    for (const char* clean : {"900-12-3456", "000-12-3456", "666-12-3456", "536-00-8731",
                              "536-22-0000", "078-05-1120", "536228731", "536 22 8731"}) {
        INFO(clean);
        CHECK(redact(r, clean) == clean);
    }
}

TEST_CASE("partial mode keeps only the documented part", "[redact]") {
    const redactor r{redactor_config{.modes = bulwark::detector_modes::all(redact_mode::partial)}};
    CHECK(redact(r, "4111 1111 1111 1111") == "[REDACTED:card:1111]");
    CHECK(redact(r, "bob@example.com") == "[REDACTED:email:example.com]");
    CHECK(redact(r, "203.0.113.42") == "[REDACTED:ipv4:203.0.113.0/24]");
    CHECK(redact(r, "2001:db8:85a3::8a2e:370:7334") == "[REDACTED:ipv6:2001:db8:85a3::/48]");
    CHECK(redact(r, "DE89370400440532013000") == "[REDACTED:iban:3000]");
    CHECK(redact(r, "+44 20 7946 0958") == "[REDACTED:phone:0958]");
    CHECK(redact(r, "AKIAIOSFODNN7EXAMPLE") == "[REDACTED:aws_key]"); // nothing safe to keep
    const redactor r16{
        redactor_config{.modes = {.ipv4 = redact_mode::partial, .ipv6 = redact_mode::partial},
                        .ipv4_prefix_bits = 16,
                        .ipv6_prefix_bits = 32}};
    CHECK(redact(r16, "203.0.113.42 fe80::1") ==
          "[REDACTED:ipv4:203.0.0.0/16] [REDACTED:ipv6:fe80:0::/32]");
}

TEST_CASE("pseudonymize: equal values give equal tokens, after normalization", "[redact]") {
    const redactor r{
        redactor_config{.modes = bulwark::detector_modes::all(redact_mode::pseudonymize),
                        .pseudonymizer = std::make_shared<fake_mac>()}};
    const auto a = redact(r, "4111 1111 1111 1111");
    const auto b = redact(r, "4111-1111-1111-1111");
    const auto c = redact(r, "5555555555554444");
    CHECK(a.rfind("[HMAC:card:", 0) == 0);
    CHECK(a.size() == std::string_view{"[HMAC:card:]"}.size() + 16);
    CHECK(a == b);
    CHECK(a != c);
    CHECK(redact(r, "Bob@Example.com") == redact(r, "bob@example.com"));
    CHECK(redact(r, "bob@example.com") != redact(r, "alice@example.com"));

    // What is hashed: the label, then the normalized value (digits of a phone).
    auto recorder = std::make_shared<recording_mac>();
    const redactor rec{
        redactor_config{.modes = {.phone = redact_mode::pseudonymize}, .pseudonymizer = recorder}};
    (void)redact(rec, "call +1 (415) 555-2671");
    CHECK(recorder->last == "phone:14155552671");

    const redactor wide{redactor_config{.modes = {.email = redact_mode::pseudonymize},
                                        .pseudonymizer = std::make_shared<fake_mac>(),
                                        .pseudonym_hex_chars = 32}};
    CHECK(redact(wide, "a@b.io").size() == std::string_view{"[HMAC:email:]"}.size() + 32);
}

TEST_CASE("a redaction that cannot complete fails closed", "[redact]") {
    const redactor r{redactor_config{.modes = {.email = redact_mode::pseudonymize},
                                     .pseudonymizer = std::make_shared<throwing_mac>()}};
    std::string out = "untouched";
    CHECK(r.redact("mail bob@example.com now", out) == redact_status::failed);
    CHECK_THROWS_AS(r.redact("mail bob@example.com now"), std::runtime_error);
    // Lines the failing part never sees still pass.
    CHECK(r.redact("nothing here", out) == redact_status::clean);

    bulwark::custom_detector boom{.name = "boom", .prefix = "boom_", .min_length = 1};
    boom.validator = [](std::string_view) -> bool { throw std::logic_error("validator bug"); };
    const redactor v{redactor_config{.custom = {boom}}};
    CHECK(v.redact("x boom_abc y", out) == redact_status::failed);
}

TEST_CASE("modes off, allowlist, counts and find", "[redact]") {
    const redactor r{redactor_config{
        .modes = {.ipv4 = redact_mode::off},
        .allowlist = {"support@example.com", "@docs.example.org", "4242424242424242"}}};
    CHECK(redact(r, "ip 10.0.0.1") == "ip 10.0.0.1");
    CHECK(redact(r, "mail support@example.com or x@Docs.Example.org or y@example.com") ==
          "mail support@example.com or x@Docs.Example.org or [REDACTED:email]");
    CHECK(redact(r, "test card 4242424242424242 real 4111111111111111") ==
          "test card 4242424242424242 real [REDACTED:card]");

    bulwark::redaction_counts counts;
    std::string out;
    REQUIRE(defaults().redact("a@b.io c@d.io 4111111111111111 ok", out, &counts) ==
            redact_status::redacted);
    CHECK(counts.by_detector[static_cast<std::size_t>(detector::email)] == 2);
    CHECK(counts.by_detector[static_cast<std::size_t>(detector::card)] == 1);
    CHECK(counts.total() == 3);

    std::vector<bulwark::redaction_match> matches;
    defaults().find("to a@b.io via 10.0.0.1", matches);
    REQUIRE(matches.size() == 2);
    CHECK(matches[0] == bulwark::redaction_match{3, 9, static_cast<std::size_t>(detector::email)});
    CHECK(matches[1] == bulwark::redaction_match{14, 22, static_cast<std::size_t>(detector::ipv4)});
}

TEST_CASE("custom detectors: prefix, body, lengths, validator", "[redact]") {
    bulwark::custom_detector gh{
        .name = "github_token", .prefix = "ghp_", .min_length = 36, .max_length = 36};
    bulwark::custom_detector stripe{.name = "stripe_key", .prefix = "sk_live_", .min_length = 24};
    stripe.validator = [](std::string_view m) { return m.find("TEST") == std::string_view::npos; };
    const redactor r{redactor_config{.custom = {gh, stripe}}};
    CHECK(r.detector_count() == bulwark::builtin_detector_count + 2);
    CHECK(r.detector_name(bulwark::builtin_detector_count + 1) == "stripe_key");
    const std::string token = "ghp_" + std::string(36, 'a');
    CHECK(redact(r, "push with " + token + " ok") == "push with [REDACTED:github_token] ok");
    CHECK(redact(r, "ghp_" + std::string(35, 'a')) == "ghp_" + std::string(35, 'a')); // short
    CHECK(redact(r, "xghp_" + std::string(36, 'a')) ==
          "xghp_" + std::string(36, 'a')); // no boundary
    CHECK(redact(r, "sk_live_" + std::string(24, 'Z')) == "[REDACTED:stripe_key]");
    CHECK(redact(r, "sk_live_TEST" + std::string(24, 'Z')) ==
          "sk_live_TEST" + std::string(24, 'Z'));
}

TEST_CASE("sensitive_field matches key names by normalized suffix", "[redact]") {
    const redactor r{redactor_config{.extra_secret_keys = {"otp"}}};
    for (const char* yes :
         {"password", "db_password", "DB-PASSWORD", "dbPassword", "x-api-key", "client_secret",
          "accessToken", "AWS_SECRET_ACCESS_KEY", "set-cookie", "otp", "user.otp"}) {
        INFO(yes);
        CHECK(r.sensitive_field(yes));
    }
    for (const char* no :
         {"token_count", "max_tokens", "password_policy", "user", "email", "route", ""}) {
        INFO(no);
        CHECK_FALSE(r.sensitive_field(no));
    }
    const redactor bare{redactor_config{.builtin_secret_keys = false}};
    CHECK_FALSE(bare.sensitive_field("password"));
    CHECK(redact(bare, "password=x") == "password=x");
}

TEST_CASE("config errors name their field", "[redact][config]") {
    const auto field_of = [](const redactor_config& c) {
        bulwark::config_issue issue;
        return validate(c, &issue) ? std::string{issue.field} : std::string{};
    };
    CHECK(field_of({}).empty());
    CHECK(field_of({.modes = {.email = redact_mode::pseudonymize}}) ==
          "redactor_config.pseudonymizer");
    CHECK(field_of({.extra_secret_keys = {"bad key"}}) == "redactor_config.extra_secret_keys");
    CHECK(field_of({.allowlist = {""}}) == "redactor_config.allowlist");
    CHECK(field_of({.custom = {{.name = "email", .prefix = "x"}}}) ==
          "redactor_config.custom.name");
    CHECK(field_of({.custom = {{.name = "a", .prefix = "x"}, {.name = "a", .prefix = "y"}}}) ==
          "redactor_config.custom.name");
    CHECK(field_of({.custom = {{.name = "a", .prefix = ""}}}) == "redactor_config.custom.prefix");
    CHECK(field_of({.custom = {{.name = "a", .prefix = "x", .min_length = 9, .max_length = 8}}}) ==
          "redactor_config.custom.max_length");
    CHECK(field_of({.pseudonym_hex_chars = 7}) == "redactor_config.pseudonym_hex_chars");
    CHECK(field_of({.ipv4_prefix_bits = 20}) == "redactor_config.ipv4_prefix_bits");
    CHECK(field_of({.ipv6_prefix_bits = 128}) == "redactor_config.ipv6_prefix_bits");
    CHECK_THROWS_WITH(redactor(redactor_config{.ipv4_prefix_bits = 0}),
                      Catch::Contains("redactor_config.ipv4_prefix_bits"));
    CHECK(bulwark::detector_from_string("aws_key") == detector::aws_key);
    CHECK(bulwark::redact_mode_from_string("partial") == redact_mode::partial);
    CHECK_FALSE(bulwark::detector_from_string("nope").has_value());
}

TEST_CASE("nothing found allocates nothing", "[redact]") {
    const auto& r = defaults();
    const std::string_view line =
        R"(2026-11-23T10:15:32.123456Z INFO order-service request completed order_id=84731 )"
        R"(status=200 duration_ms=12.5 path=/api/v1/orders items=3 region=eu-west-1 version=3.11.4)";
    std::string out;
    const auto before = bulwark::test::allocations_on_this_thread();
    const auto status = r.redact(line, out);
    const auto after = bulwark::test::allocations_on_this_thread();
    CHECK(status == redact_status::clean);
    CHECK(after == before);
    CHECK(out.empty());
}

TEST_CASE("random bytes: never crash, never grow a clean line", "[redact]") {
    const auto& r = defaults();
    std::uint64_t seed = 0x9E3779B97F4A7C15ULL;
    const auto next = [&seed] {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    };
    // Bytes drawn mostly from the trigger alphabet, so every handler runs on garbage.
    constexpr std::string_view alphabet = "0123456789 .-:=+@()ABJ eyJ_aAfF\"'\\\n\xff";
    std::string line;
    std::string out;
    for (int round = 0; round < 20000; ++round) {
        line.clear();
        const auto len = next() % 96;
        for (std::size_t i = 0; i < len; ++i) {
            line += alphabet[next() % alphabet.size()];
        }
        const auto status = r.redact(line, out);
        REQUIRE(status != redact_status::failed);
        std::vector<bulwark::redaction_match> matches;
        r.find(line, matches);
        std::size_t last = 0;
        for (const auto& m : matches) {
            REQUIRE(m.begin >= last);
            REQUIRE(m.end > m.begin);
            REQUIRE(m.end <= line.size());
            last = m.end;
        }
        REQUIRE((status == redact_status::clean) == matches.empty());
    }
}

TEST_CASE("the examples of docs/redaction.md", "[redact][docs]") {
    //! [basic]
    const bulwark::redactor redactor; // every detector on, masking
    std::string out;
    const std::string_view line = "login ok user=bob@example.com from 203.0.113.42 order_id=84731";
    switch (redactor.redact(line, out)) {
    case bulwark::redact_status::clean: /* write `line` as it is */ break;
    case bulwark::redact_status::redacted: /* write `out` */ break;
    case bulwark::redact_status::failed: /* drop the line and count it: never write `line` */ break;
    }
    // out == "login ok user=[REDACTED:email] from [REDACTED:ipv4] order_id=84731"
    //! [basic]
    CHECK(out == "login ok user=[REDACTED:email] from [REDACTED:ipv4] order_id=84731");

    const auto key = std::make_shared<fake_mac>(); // in production: telemetry::make_hmac_sha256
    //! [config]
    bulwark::custom_detector github{
        .name = "github_token", .prefix = "ghp_", .min_length = 36, .max_length = 36};
    const bulwark::redactor custom{bulwark::redactor_config{
        .modes = {.email = bulwark::redact_mode::pseudonymize, // correlate users across lines
                  .card = bulwark::redact_mode::partial,       // keep the last four digits
                  .ipv4 = bulwark::redact_mode::partial},      // keep the /24
        .extra_secret_keys = {"otp", "pin"},
        .allowlist = {"support@example.com", "@test.example.com"},
        .custom = {github},
        .pseudonymizer = key,
    }};
    //! [config]
    const auto redacted =
        custom.redact("bob@example.com paid 4111111111111111 from 203.0.113.42 otp=991823 "
                      "support@example.com");
    CHECK(redacted.rfind("[HMAC:email:", 0) == 0);
    CHECK(
        redacted.find(
            " paid [REDACTED:card:1111] from [REDACTED:ipv4:203.0.113.0/24] otp=[REDACTED:secret] "
            "support@example.com") != std::string::npos);
}

TEST_CASE("digit runs: a card before ':', long runs, and a run cut by another separator",
          "[redact]") {
    const auto& r = defaults();
    CHECK(redact(r, "charge failed for 4111111111111111: declined") ==
          "charge failed for [REDACTED:card]: declined");
    // More than eight groups and more digits than one candidate holds: each card is found.
    CHECK(redact(r, "cards 4111 1111 1111 1111 5555 5555 5555 4444 4242 4242 4242 4242 end") ==
          "cards [REDACTED:card] [REDACTED:card] [REDACTED:card] end");
    CHECK(redact(r, "ids 4111111111111111 1700000000000 1700000000001 end") ==
          "ids [REDACTED:card] 1700000000000 1700000000001 end");
    // The first number belongs to the text before; the value after it is still found.
    CHECK(redact(r, "200 4111-1111-1111-1111") == "200 [REDACTED:card]");
    CHECK(redact(r, "200 123-45-6789") == "200 [REDACTED:ssn]");
    CHECK(redact(r, "1 415-555-2671") == "1 [REDACTED:phone]");
    CHECK(redact(r, "v 10.0.0.1 4111111111111111") == "v [REDACTED:ipv4] [REDACTED:card]");
}

TEST_CASE("secrets inside JSON strings keep the outer JSON intact", "[redact]") {
    const auto& r = defaults();
    // A logfmt line carried as a JSON string value.
    CHECK(redact(r, R"({"message":"login password=\"hunter2\""})") ==
          R"({"message":"login password=\"[REDACTED:secret]\""})");
    // A quote inside the password of JSON inside JSON: escaped three times, still the value.
    CHECK(redact(r, R"({"m":"{\"password\":\"a\\\"b\"}"})") ==
          R"({"m":"{\"password\":\"[REDACTED:secret]\"}"})");
    // An unquoted value in escaped JSON is quoted the escaped way.
    CHECK(redact(r, R"({"m":"{\"pin_token\":123}"})") ==
          R"({"m":"{\"pin_token\":\"[REDACTED:secret]\"}"})");
    // The backslash that escapes the closing quote is not part of the value.
    CHECK(redact(r, R"({"m":"x password=abc\" y"})") ==
          R"({"m":"x password=[REDACTED:secret]\" y"})");
}
