#include <bulwark/core/trace/trace_id_generator.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <thread>
#include <vector>

TEST_CASE("Generated ids are valid and do not repeat", "[trace][generator]") {
    std::set<std::string> traces;
    std::set<std::string> spans;
    std::array<int, 16> high_nibbles{};
    for (int i = 0; i < 20000; ++i) {
        const auto t = bulwark::new_trace_id();
        const auto s = bulwark::new_span_id();
        REQUIRE(t.valid());
        REQUIRE(s.valid());
        traces.insert(t.to_hex());
        spans.insert(s.to_hex());
        ++high_nibbles[t.bytes[0] >> 4];
    }
    CHECK(traces.size() == 20000);
    CHECK(spans.size() == 20000);
    // Every byte is random (trace_flag_random promises it): the first nibble is near uniform.
    for (const int n : high_nibbles) {
        CHECK(n > 1000); // expected 1250
        CHECK(n < 1500);
    }
}

TEST_CASE("Each thread has its own generator", "[trace][generator][concurrency]") {
    std::vector<std::vector<std::string>> per_thread(4);
    std::vector<std::thread> threads;
    for (auto& ids : per_thread) {
        threads.emplace_back([&ids] {
            for (int i = 0; i < 2000; ++i) {
                ids.push_back(bulwark::new_span_id().to_hex());
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::set<std::string> all;
    for (const auto& ids : per_thread) {
        all.insert(ids.begin(), ids.end());
    }
    CHECK(all.size() == 8000);
}
