#include <bulwark/core/error.hpp>
#include <bulwark/http/router.hpp>

#include <algorithm>

namespace bulwark::http {
namespace {

namespace bh = boost::beast::http;

bool valid_param_name(std::string_view name) noexcept {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

std::string_view path_of(const request_header& h) noexcept {
    const auto target = h.target();
    std::string_view path{target.data(), target.size()};
    return path.substr(0, path.find('?'));
}

// Matches `path` against `segments`, recording parameters on success.
bool match_template(std::string_view path, const auto& segments, request_context* ctx) {
    std::size_t pos = 1; // past the leading '/'
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto& seg = segments[i];
        if (seg.rest) {
            const auto rest = path.substr(std::min(pos, path.size()));
            if (rest.empty() || pos > path.size()) {
                return false;
            }
            if (ctx != nullptr) {
                ctx->add_path_param(seg.text, rest);
            }
            return true;
        }
        if (pos > path.size()) {
            return false;
        }
        const auto end = std::min(path.find('/', pos), path.size());
        const auto piece = path.substr(pos, end - pos);
        if (seg.parameter) {
            if (piece.empty()) {
                return false;
            }
            if (ctx != nullptr) {
                ctx->add_path_param(seg.text, piece);
            }
        } else if (piece != seg.text) {
            return false;
        }
        pos = end + 1;
    }
    return pos == path.size() + 1; // consumed exactly: no trailing segments
}

void append_allow(std::string& allow, bh::verb method) {
    const auto add = [&allow](std::string_view name) {
        // Whole tokens: "LOCK" is not in "UNLOCK".
        std::string_view rest = allow;
        while (!rest.empty()) {
            const auto comma = rest.find(", ");
            if (rest.substr(0, comma) == name) {
                return;
            }
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
        }
        if (!allow.empty()) {
            allow += ", ";
        }
        allow.append(name);
    };
    const auto name = bh::to_string(method);
    add(std::string_view{name.data(), name.size()});
    if (method == bh::verb::get) {
        add("HEAD");
    }
}

} // namespace

void router::add_route(route r) {
    const std::string_view t = r.path_template;
    const auto fail = [&](std::string_view why) {
        throw_invalid_config("router.path_template",
                             std::string{why} + " (template \"" + std::string{t} + "\")");
    };
    if (t.empty() || t.front() != '/') {
        fail("must start with '/'");
    }
    if (r.method == bh::verb::unknown) {
        fail("has no method");
    }
    std::vector<segment> segments;
    bool literal = true;
    std::size_t pos = 1;
    while (pos <= t.size()) {
        const auto end = std::min(t.find('/', pos), t.size());
        const auto piece = t.substr(pos, end - pos);
        segment seg{std::string{piece}, false, false};
        if (!piece.empty() && piece.front() == '{') {
            if (piece.back() != '}') {
                fail("has an unclosed parameter");
            }
            auto name = piece.substr(1, piece.size() - 2);
            if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
                name.remove_suffix(3);
                seg.rest = true;
                if (end != t.size()) {
                    fail("has a \"{name...}\" parameter that is not the last segment");
                }
            }
            if (!valid_param_name(name)) {
                fail("has a parameter name that is empty or not [A-Za-z0-9_]");
            }
            for (const auto& other : segments) {
                if (other.parameter && other.text == name) {
                    fail("repeats a parameter name");
                }
            }
            seg.text = std::string{name};
            seg.parameter = true;
            literal = false;
        } else if (piece.find_first_of("{}") != std::string_view::npos) {
            fail("has a brace inside a literal segment");
        }
        segments.push_back(std::move(seg));
        if (end == t.size()) {
            break;
        }
        pos = end + 1;
    }
    for (const auto& existing : routes_) {
        if (existing.r->method == r.method && existing.r->path_template == r.path_template) {
            fail("is registered twice for the same method");
        }
    }
    const std::size_t index = routes_.size();
    routes_.push_back({std::make_unique<route>(std::move(r)), std::move(segments)});
    if (literal) {
        literal_[routes_.back().r->path_template].push_back(index);
    } else {
        templated_.push_back(index);
    }
}

route_match router::match(request_context& ctx, const request_header& h) const {
    const auto path = path_of(h);
    const auto method = h.method();
    const auto accepts = [method](const route& r) {
        return r.method == method || (method == bh::verb::head && r.method == bh::verb::get);
    };
    route_match result;
    // A literal route beats a template for the same path ("/users/me" before "/users/{id}").
    if (const auto it = literal_.find(path); it != literal_.end()) {
        for (const auto index : it->second) {
            if (accepts(*routes_[index].r)) {
                result.matched = routes_[index].r.get();
                ctx.set_route(result.matched->path_template);
                return result;
            }
        }
        result.path_known = true;
        for (const auto index : it->second) {
            append_allow(result.allow, routes_[index].r->method);
        }
    }
    for (const auto index : templated_) {
        const auto& c = routes_[index];
        if (!match_template(path, c.segments, nullptr)) {
            continue;
        }
        if (accepts(*c.r)) {
            result.matched = c.r.get();
            result.path_known = false;
            result.allow.clear();
            ctx.set_route(result.matched->path_template);
            (void)match_template(path, c.segments, &ctx);
            return result;
        }
        result.path_known = true;
        append_allow(result.allow, c.r->method);
    }
    ctx.set_route("unmatched");
    return result;
}

} // namespace bulwark::http
