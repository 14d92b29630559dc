#include <bulwark/http/access_log/access_log.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>

namespace bulwark::http {

namespace {

constexpr std::array<std::string_view, 5> always_secret = {"authorization", "cookie", "set-cookie",
                                                           "proxy-authorization", "x-api-key"};

std::string lower(std::string_view s) {
    std::string out{s};
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

// The target with every query value not in `kept` replaced. Not cut here: the logger cuts
// long values after redacting them (a card number cut in half would escape its detector).
void redact_target(std::string_view target, const std::vector<std::string>& kept,
                   std::string& out) {
    out.clear();
    const auto q = target.find('?');
    out.append(target.substr(0, q));
    if (q != std::string_view::npos) {
        out += '?';
        std::string_view query = target.substr(q + 1);
        bool first = true;
        while (!query.empty()) {
            const auto amp = query.find('&');
            const auto pair = query.substr(0, amp);
            query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
            if (!first) {
                out += '&';
            }
            first = false;
            const auto eq = pair.find('=');
            const auto key = pair.substr(0, eq);
            out.append(key);
            if (eq != std::string_view::npos) {
                out += '=';
                if (std::find(kept.begin(), kept.end(), key) != kept.end()) {
                    out.append(pair.substr(eq + 1));
                } else if (eq + 1 < pair.size()) {
                    out += "[REDACTED]";
                }
            }
        }
    }
}

void format_client(const boost::asio::ip::address& a, client_ip_mode mode, std::size_t v4_bits,
                   std::size_t v6_bits, std::string& out) {
    out.clear();
    if (mode == client_ip_mode::omit || a.is_unspecified()) {
        return;
    }
    if (mode == client_ip_mode::full) {
        out = a.to_string();
        return;
    }
    if (a.is_v4()) {
        auto bytes = a.to_v4().to_bytes();
        for (std::size_t i = v4_bits / 8; i < bytes.size(); ++i) {
            bytes[i] = 0;
        }
        out = boost::asio::ip::address_v4{bytes}.to_string() + '/' + std::to_string(v4_bits);
    } else {
        auto bytes = a.to_v6().to_bytes();
        for (std::size_t i = v6_bits / 8; i < bytes.size(); ++i) {
            bytes[i] = 0;
        }
        out = boost::asio::ip::address_v6{bytes}.to_string() + '/' + std::to_string(v6_bits);
    }
}

} // namespace

std::error_code validate(const access_log_config& c, config_issue* issue) noexcept {
    if (!(c.success_sample_rate >= 0.0 && c.success_sample_rate <= 1.0)) {
        return invalid_config(issue, "access_log_config.success_sample_rate",
                              "must be from 0 to 1");
    }
    if (c.ipv4_prefix_bits != 8 && c.ipv4_prefix_bits != 16 && c.ipv4_prefix_bits != 24) {
        return invalid_config(issue, "access_log_config.ipv4_prefix_bits", "must be 8, 16 or 24");
    }
    if (c.ipv6_prefix_bits < 16 || c.ipv6_prefix_bits > 112 || c.ipv6_prefix_bits % 16 != 0) {
        return invalid_config(issue, "access_log_config.ipv6_prefix_bits",
                              "must be a multiple of 16 from 16 to 112");
    }
    if (c.message.empty()) {
        return invalid_config(issue, "access_log_config.message", "must not be empty");
    }
    try {
        for (const auto& h : c.headers) {
            const auto name = lower(h);
            const bool secret =
                std::find(always_secret.begin(), always_secret.end(), name) !=
                    always_secret.end() ||
                std::any_of(c.never_logged_headers.begin(), c.never_logged_headers.end(),
                            [&](const std::string& n) { return lower(n) == name; });
            if (name.empty() || secret) {
                return invalid_config(
                    issue, "access_log_config.headers",
                    "must name headers that may be logged (never Authorization, Cookie, "
                    "Set-Cookie, Proxy-Authorization, X-Api-Key or never_logged_headers)");
            }
        }
    } catch (...) {
        return invalid_config(issue, "access_log_config.headers",
                              "could not be checked (out of memory)");
    }
    return {};
}

struct access_log::state {
    telemetry::json_logger* logger;
    access_log_config config;
    std::vector<std::string> header_keys; // "header.<name>"
    std::uint64_t sample_ppm;
    std::atomic<std::uint64_t> successes{0};
    std::atomic<std::uint64_t> lines{0};
    std::atomic<std::uint64_t> sampled_out{0};
};

access_log::access_log(telemetry::json_logger& logger, access_log_config config) {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue);
    }
    state_ = std::make_shared<state>();
    state_->logger = &logger;
    for (auto& h : config.headers) {
        h = lower(h);
        state_->header_keys.push_back("header." + h);
    }
    state_->sample_ppm = static_cast<std::uint64_t>(std::llround(config.success_sample_rate * 1e6));
    state_->config = std::move(config);
}

action access_log::on_header(request_context& ctx, request_header& h) noexcept {
    auto& notes = ctx.access_log_notes();
    try {
        const auto target = h.target();
        redact_target({target.data(), target.size()}, state_->config.query_values_kept,
                      notes.target);
        const auto ua = h[boost::beast::http::field::user_agent];
        notes.user_agent.assign(ua.data(), ua.size());
        notes.headers.resize(state_->config.headers.size());
        for (std::size_t i = 0; i < state_->config.headers.size(); ++i) {
            const auto v = h[state_->config.headers[i]];
            notes.headers[i].assign(v.data(), v.size());
        }
        notes.captured = true;
    } catch (...) {
        notes.captured = false; // the line goes out without the request's own details
    }
    return action::proceed;
}

void access_log::on_complete(request_context& ctx) noexcept {
    auto& s = *state_;
    const bool aborted = ctx.result() == outcome::aborted;
    const unsigned status = ctx.status();
    if (!aborted && status < 400) {
        // Deterministic sampling: the n-th success is logged when it crosses a multiple of
        // 1/rate, so exactly rate * n of n successes get a line.
        const auto n = s.successes.fetch_add(1, std::memory_order_relaxed);
        if ((n + 1) * s.sample_ppm / 1'000'000 == n * s.sample_ppm / 1'000'000) {
            s.sampled_out.fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    try {
        thread_local std::string client;
        format_client(ctx.client_address(), s.config.client_ip, s.config.ipv4_prefix_bits,
                      s.config.ipv6_prefix_bits, client);
        const auto& notes = ctx.access_log_notes();
        const auto& lc = ctx.log_context();
        const auto method = boost::beast::http::to_string(ctx.method());
        const double duration_ms =
            std::chrono::duration<double, std::milli>(ctx.finish() - ctx.start()).count();
        thread_local std::vector<telemetry::log_field>
            fields; // capacity kept: no allocation per line
        fields.clear();
        fields.push_back(telemetry::log_field::verbatim("method", {method.data(), method.size()}));
        fields.push_back(telemetry::log_field::verbatim("route", ctx.route()));
        if (notes.captured) {
            fields.emplace_back("path", notes.target);
        }
        if (aborted) {
            fields.push_back(telemetry::log_field::verbatim("status", "aborted"));
        } else {
            fields.emplace_back("status", status);
        }
        fields.emplace_back("duration_ms", duration_ms);
        fields.emplace_back("bytes_in", ctx.request_body_bytes());
        fields.emplace_back("bytes_out", ctx.response_body_bytes());
        if (!lc.request_id.empty()) {
            fields.emplace_back("request_id", lc.request_id); // a client may choose it: redacted
        }
        if (!lc.trace_id.empty()) {
            fields.push_back(telemetry::log_field::verbatim("trace_id", lc.trace_id));
            fields.push_back(telemetry::log_field::verbatim("span_id", lc.span_id));
        }
        if (!client.empty()) {
            fields.push_back(telemetry::log_field::verbatim("client_ip", client));
        }
        if (!lc.user_id.empty()) {
            fields.emplace_back("user_id", lc.user_id);
        }
        if (notes.captured) {
            if (!notes.user_agent.empty()) {
                fields.emplace_back("user_agent", notes.user_agent);
            }
            for (std::size_t i = 0; i < s.header_keys.size() && i < notes.headers.size(); ++i) {
                if (!notes.headers[i].empty()) {
                    fields.emplace_back(s.header_keys[i], notes.headers[i]);
                }
            }
        }
        const auto level = aborted || (status >= 400 && status < 500) ? telemetry::log_level::warn
                           : status >= 500                            ? telemetry::log_level::error
                                                                      : telemetry::log_level::info;
        s.logger->log(nullptr, level, s.config.message, fields);
        s.lines.fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
        // Out of memory: this request goes without a line; the server goes on.
    }
}

access_log_stats access_log::stats() const noexcept {
    return {state_->lines.load(std::memory_order_relaxed),
            state_->sampled_out.load(std::memory_order_relaxed)};
}

} // namespace bulwark::http
