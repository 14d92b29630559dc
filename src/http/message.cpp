#include <bulwark/http/message.hpp>

#include <charconv>

namespace bulwark::http {

void serialize_header(const response& res, std::string& out) {
    out.clear();
    out.append(res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    char digits[4];
    out.append(digits, std::to_chars(digits, digits + 3, res.result_int()).ptr);
    out.push_back(' ');
    const auto reason = res.reason();
    out.append(reason.data(), reason.size());
    out.append("\r\n");
    for (const auto& field : res) {
        const auto name = field.name_string();
        const auto value = field.value();
        out.append(name.data(), name.size());
        out.append(": ");
        out.append(value.data(), value.size());
        out.append("\r\n");
    }
    out.append("\r\n");
}

} // namespace bulwark::http
