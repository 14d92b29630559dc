#include <bulwark/core/detail/json_escape.hpp>
#include <bulwark/http/problem.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include <charconv>

namespace bulwark::http {
namespace {

unsigned effective_status(unsigned status) noexcept {
    return status >= 400 && status <= 599 ? status : 500;
}

std::string_view reason_phrase(unsigned status) {
    const auto phrase =
        boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
    // Beast answers "<unknown-status>" for codes it has no phrase for (e.g. 460).
    if (phrase.empty() || phrase.front() == '<') {
        return status < 500 ? "Client Error" : "Server Error";
    }
    return {phrase.data(), phrase.size()};
}

void append_member(std::string& out, std::string_view name, std::string_view value) {
    out.push_back(',');
    bulwark::detail::append_json_string(out, name);
    out.push_back(':');
    bulwark::detail::append_json_string(out, value);
}

} // namespace

std::string to_json(const problem& p) {
    const unsigned status = effective_status(p.status);
    std::string out;
    out.reserve(96 + p.type.size() + p.title.size() + p.detail.size() + p.instance.size() +
                p.request_id.size());
    out.append("{\"type\":");
    bulwark::detail::append_json_string(out, p.type.empty() ? "about:blank" : p.type);
    append_member(out, "title", p.title.empty() ? reason_phrase(status) : p.title);
    out.append(",\"status\":");
    char digits[4];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, status).ptr);
    if (!p.detail.empty()) {
        append_member(out, "detail", p.detail);
    }
    if (!p.instance.empty()) {
        append_member(out, "instance", p.instance);
    }
    if (!p.request_id.empty()) {
        append_member(out, "requestId", p.request_id);
    }
    out.push_back('}');
    return out;
}

boost::beast::http::response<boost::beast::http::string_body>
make_problem_response(const problem& p, unsigned http_version, bool keep_alive) {
    namespace bh = boost::beast::http;
    bh::response<bh::string_body> res{static_cast<bh::status>(effective_status(p.status)),
                                      http_version};
    res.set(bh::field::content_type, problem_json_media_type);
    res.set(bh::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    res.body() = to_json(p);
    res.prepare_payload();
    return res;
}

} // namespace bulwark::http
