// Precision and recall of the default redactor on bulwark's labelled corpus
// (tests/data/redact_corpus.txt): realistic log lines where every value the redactor must find
// is marked {{label:text}}, and look-alike negatives (order ids, digests, UUIDs, timestamps,
// versions, prices) that must be left alone. A match counts only when its span and its
// detector are both exact.
#include <bulwark/core/redact/redactor.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

struct labelled_line {
    int number = 0;
    std::string text;                                                     // markers removed
    std::set<std::tuple<std::size_t, std::size_t, std::size_t>> expected; // begin, end, detector
};

std::vector<labelled_line> load_corpus() {
    std::ifstream in{std::string{BULWARK_TEST_SOURCE_DIR} + "/tests/data/redact_corpus.txt"};
    REQUIRE(in);
    std::vector<labelled_line> lines;
    std::string raw;
    int number = 0;
    while (std::getline(in, raw)) {
        ++number;
        if (raw.empty() || raw[0] == '#') {
            continue;
        }
        labelled_line l;
        l.number = number;
        std::size_t pos = 0;
        while (true) {
            const auto open = raw.find("{{", pos);
            if (open == std::string::npos) {
                l.text += raw.substr(pos);
                break;
            }
            l.text += raw.substr(pos, open - pos);
            const auto colon = raw.find(':', open);
            const auto close = raw.find("}}", colon);
            INFO("corpus line " << number);
            REQUIRE(colon != std::string::npos);
            REQUIRE(close != std::string::npos);
            const auto label = raw.substr(open + 2, colon - open - 2);
            const auto d = bulwark::detector_from_string(label);
            INFO("label " << label);
            REQUIRE(d.has_value());
            const std::size_t begin = l.text.size();
            l.text += raw.substr(colon + 1, close - colon - 1);
            l.expected.emplace(begin, l.text.size(), static_cast<std::size_t>(*d));
            pos = close + 2;
        }
        lines.push_back(std::move(l));
    }
    return lines;
}

} // namespace

TEST_CASE("corpus: precision and recall of every detector", "[redact][corpus]") {
    const auto corpus = load_corpus();
    REQUIRE(corpus.size() >= 300);
    const bulwark::redactor r;

    struct tally {
        std::size_t tp = 0;
        std::size_t fp = 0;
        std::size_t fn = 0;
    };
    std::array<tally, bulwark::builtin_detector_count> per{};
    std::size_t negative_lines = 0;
    std::size_t clean_negatives = 0;
    std::vector<bulwark::redaction_match> found;
    std::ostringstream report; // every miss and false match, shown when a check fails
    for (const auto& line : corpus) {
        found.clear();
        r.find(line.text, found);
        std::set<std::tuple<std::size_t, std::size_t, std::size_t>> got;
        for (const auto& m : found) {
            got.emplace(m.begin, m.end, m.detector);
        }
        for (const auto& e : line.expected) {
            const auto d = std::get<2>(e);
            if (got.count(e) != 0) {
                ++per[d].tp;
            } else {
                ++per[d].fn;
                report << "missed " << r.detector_name(d) << " on line " << line.number << ": "
                       << line.text.substr(std::get<0>(e), std::get<1>(e) - std::get<0>(e)) << "\n";
            }
        }
        for (const auto& g : got) {
            if (line.expected.count(g) == 0) {
                ++per[std::get<2>(g)].fp;
                report << "false " << r.detector_name(std::get<2>(g)) << " on line " << line.number
                       << ": " << line.text.substr(std::get<0>(g), std::get<1>(g) - std::get<0>(g))
                       << "\n";
            }
        }
        if (line.expected.empty()) {
            ++negative_lines;
            clean_negatives += got.empty() ? 1U : 0U;
        }
    }

    tally total;
    std::cout << "\ncorpus: " << corpus.size() << " lines, " << negative_lines << " without PII\n"
              << "detector   expected  found  precision  recall\n";
    for (std::size_t d = 0; d < per.size(); ++d) {
        const auto& t = per[d];
        total.tp += t.tp;
        total.fp += t.fp;
        total.fn += t.fn;
        const auto precision =
            t.tp + t.fp == 0 ? 1.0 : static_cast<double>(t.tp) / static_cast<double>(t.tp + t.fp);
        const auto recall =
            t.tp + t.fn == 0 ? 1.0 : static_cast<double>(t.tp) / static_cast<double>(t.tp + t.fn);
        std::cout << std::left << std::setw(10) << r.detector_name(d) << std::right << std::setw(9)
                  << t.tp + t.fn << std::setw(7) << t.tp + t.fp << std::fixed
                  << std::setprecision(3) << std::setw(11) << precision << std::setw(8) << recall
                  << '\n';
        // Every detector is exercised by the corpus.
        CHECK(t.tp + t.fn >= 10);
    }
    const auto precision = static_cast<double>(total.tp) / static_cast<double>(total.tp + total.fp);
    const auto recall = static_cast<double>(total.tp) / static_cast<double>(total.tp + total.fn);
    std::cout << "all       " << std::setw(9) << total.tp + total.fn << std::setw(7)
              << total.tp + total.fp << std::setw(11) << precision << std::setw(8) << recall
              << '\n';
    INFO(report.str());
    CHECK(precision >= 0.99);
    CHECK(recall >= 0.97);
    // Look-alike lines stay untouched.
    CHECK(clean_negatives == negative_lines);
}

TEST_CASE("corpus: redacting a redacted line changes nothing", "[redact][corpus]") {
    const bulwark::redactor r;
    for (const auto& line : load_corpus()) {
        const auto once = r.redact(line.text);
        INFO("corpus line " << line.number);
        CHECK(r.redact(once) == once);
    }
}
