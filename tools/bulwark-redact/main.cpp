// bulwark-redact: reads lines on stdin, writes them redacted to stdout. How users clean log
// files that were written before redaction was on, and how the detectors are tested from
// outside. docs/redaction.md documents every flag.
#include <bulwark/core/redact/redactor.hpp>
#include <bulwark/telemetry/log/hmac_sha256.hpp>
#include <bulwark/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

constexpr int exit_usage = 2;        // bad flags or configuration: nothing was read
constexpr int exit_failed_lines = 3; // some lines could not be redacted and were replaced

constexpr std::string_view usage = R"(usage: bulwark-redact [options] < in.log > out.log

Reads lines on stdin and writes them to stdout with PII and secrets replaced.

options:
  --mode MODE               mode of every detector: mask (default), partial, pseudonymize, off
  --mode DETECTOR=MODE      mode of one detector (repeatable; applied after --detectors)
  --detectors LIST          run only these detectors, comma-separated (the others are off)
  --hmac-key-file PATH      key for pseudonymize (HMAC-SHA256, at least 16 bytes)
  --pseudonym-hex N         hex characters of a pseudonym, 8-64, even (default 16)
  --allow VALUE             never redact VALUE; "@domain" allows a mail domain (repeatable)
  --secret-key NAME         also redact values of keys named NAME (repeatable)
  --ipv4-prefix BITS        bits partial mode keeps of an IPv4 address: 8, 16, 24 (default 24)
  --ipv6-prefix BITS        bits partial mode keeps of an IPv6 address (default 48)
  --stats                   print matches per detector to stderr at the end
  --list-detectors          print the detector names and exit
  --version                 print the version and exit
  -h, --help                print this help and exit

detectors: email card iban phone ipv4 ipv6 jwt bearer basic aws_key secret ssn

exit status: 0 success, 2 bad usage, 3 some lines could not be redacted (each was written as
"[REDACTED:unprocessable line]" instead: never unredacted).
)";

[[noreturn]] void fail_usage(const std::string& message) {
    std::cerr << "bulwark-redact: " << message << "\n(see bulwark-redact --help)\n";
    std::exit(exit_usage);
}

bulwark::redact_mode parse_mode(std::string_view text) {
    if (const auto m = bulwark::redact_mode_from_string(text)) {
        return *m;
    }
    fail_usage("unknown mode '" + std::string{text} + "' (mask, partial, pseudonymize, off)");
}

bulwark::detector parse_detector(std::string_view text) {
    if (const auto d = bulwark::detector_from_string(text)) {
        return *d;
    }
    fail_usage("unknown detector '" + std::string{text} + "' (see --list-detectors)");
}

std::size_t parse_size(std::string_view flag, const std::string& text) {
    try {
        std::size_t used = 0;
        const auto v = std::stoul(text, &used);
        if (used == text.size()) {
            return v;
        }
    } catch (const std::exception&) {
    }
    fail_usage(std::string{flag} + " needs a number, not '" + text + "'");
}

struct options {
    bulwark::redactor_config config;
    std::optional<std::string> key_file;
    bool stats = false;
};

options parse(int argc, char** argv) {
    options o;
    std::vector<std::pair<bulwark::detector, bulwark::redact_mode>> per_detector;
    std::optional<bulwark::redact_mode> all;
    std::optional<std::vector<bulwark::detector>> only;
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size()) {
                fail_usage(a + " needs a value");
            }
            return args[++i];
        };
        if (a == "-h" || a == "--help") {
            std::cout << usage;
            std::exit(0);
        } else if (a == "--version") {
            std::cout << "bulwark-redact " << BULWARK_VERSION_STRING << '\n';
            std::exit(0);
        } else if (a == "--list-detectors") {
            for (std::size_t d = 0; d < bulwark::builtin_detector_count; ++d) {
                std::cout << bulwark::to_string(static_cast<bulwark::detector>(d)) << '\n';
            }
            std::exit(0);
        } else if (a == "--mode") {
            const std::string& v = value();
            if (const auto eq = v.find('='); eq != std::string::npos) {
                per_detector.emplace_back(parse_detector(std::string_view{v}.substr(0, eq)),
                                          parse_mode(std::string_view{v}.substr(eq + 1)));
            } else {
                all = parse_mode(v);
            }
        } else if (a == "--detectors") {
            std::vector<bulwark::detector> list;
            std::string_view rest = value();
            while (!rest.empty()) {
                const auto comma = rest.find(',');
                list.push_back(parse_detector(rest.substr(0, comma)));
                rest =
                    comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            }
            only = std::move(list);
        } else if (a == "--hmac-key-file") {
            o.key_file = value();
        } else if (a == "--pseudonym-hex") {
            o.config.pseudonym_hex_chars = parse_size(a, value());
        } else if (a == "--allow") {
            o.config.allowlist.push_back(value());
        } else if (a == "--secret-key") {
            o.config.extra_secret_keys.push_back(value());
        } else if (a == "--ipv4-prefix") {
            o.config.ipv4_prefix_bits = parse_size(a, value());
        } else if (a == "--ipv6-prefix") {
            o.config.ipv6_prefix_bits = parse_size(a, value());
        } else if (a == "--stats") {
            o.stats = true;
        } else {
            fail_usage("unknown option '" + a + "'");
        }
    }
    o.config.modes = bulwark::detector_modes::all(all.value_or(bulwark::redact_mode::mask));
    if (only) {
        const auto modes = o.config.modes;
        o.config.modes = bulwark::detector_modes::all(bulwark::redact_mode::off);
        for (const auto d : *only) {
            o.config.modes[d] = modes[d];
        }
    }
    for (const auto& [d, m] : per_detector) {
        o.config.modes[d] = m;
    }
    return o;
}

} // namespace

int main(int argc, char** argv) {
    options o = parse(argc, argv);
    try {
        if (o.key_file) {
            o.config.pseudonymizer = bulwark::telemetry::make_hmac_sha256(
                bulwark::telemetry::read_key_file(*o.key_file));
        }
    } catch (const std::exception& e) {
        fail_usage(e.what());
    }
    std::optional<bulwark::redactor> r;
    try {
        r.emplace(std::move(o.config));
    } catch (const std::system_error& e) {
        const std::string what = e.what();
        if (what.find("redactor_config.pseudonymizer") != std::string::npos) {
            fail_usage("pseudonymize needs --hmac-key-file");
        }
        fail_usage(what);
    }

    std::ios::sync_with_stdio(false);
    std::cin.tie(nullptr);
    bulwark::redaction_counts counts;
    std::uint64_t lines = 0;
    std::uint64_t failed = 0;
    std::string line;
    std::string out;
    while (std::getline(std::cin, line)) {
        ++lines;
        switch (r->redact(line, out, &counts)) {
        case bulwark::redact_status::clean: std::cout << line; break;
        case bulwark::redact_status::redacted: std::cout << out; break;
        case bulwark::redact_status::failed:
            ++failed;
            std::cout << "[REDACTED:unprocessable line]";
            break;
        }
        // A last line without a newline stays without one.
        if (!std::cin.eof()) {
            std::cout << '\n';
        }
    }
    std::cout.flush();
    if (o.stats) {
        std::cerr << "lines " << lines << '\n';
        for (std::size_t d = 0; d < r->detector_count(); ++d) {
            std::cerr << r->detector_name(d) << ' ' << counts.by_detector[d] << '\n';
        }
        std::cerr << "failed " << failed << '\n';
    }
    if (!std::cout) {
        std::cerr << "bulwark-redact: write error\n";
        return 1;
    }
    return failed == 0 ? 0 : exit_failed_lines;
}
