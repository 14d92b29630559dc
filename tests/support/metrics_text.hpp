#ifndef BULWARK_TESTS_SUPPORT_METRICS_TEXT_HPP
#define BULWARK_TESTS_SUPPORT_METRICS_TEXT_HPP

#include <string>
#include <string_view>

namespace bulwark::test {

// The value of the series `series` ("name{labels}", exactly as serialized) in a Prometheus
// text exposition, or -1 when absent.
inline double value_of(const std::string& text, std::string_view series) {
    std::size_t pos = 0;
    while ((pos = text.find(series, pos)) != std::string::npos) {
        const auto after = pos + series.size();
        if ((pos == 0 || text[pos - 1] == '\n') && after < text.size() && text[after] == ' ') {
            return std::stod(text.substr(after + 1, text.find('\n', after) - after - 1));
        }
        pos = after;
    }
    return -1;
}

} // namespace bulwark::test

#endif
