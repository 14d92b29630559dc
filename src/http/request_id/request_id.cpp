#include <bulwark/http/request_id/request_id.hpp>

#include <random>

namespace bulwark::http {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

std::uint64_t random_prefix() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

} // namespace

request_id_generator::request_id_generator() : prefix_{random_prefix()} {}

std::size_t request_id_generator::generate(std::span<char, max_size> out) noexcept {
    // Relaxed: uniqueness needs atomicity only, no ordering with other memory.
    const std::uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
    for (int i = 0; i < 16; ++i) {
        out[static_cast<std::size_t>(i)] = hex_digits[(prefix_ >> (60 - 4 * i)) & 0xf];
    }
    out[16] = '-';
    int digits = 1;
    while (digits < 16 && (n >> (4 * digits)) != 0) {
        ++digits;
    }
    for (int i = 0; i < digits; ++i) {
        out[static_cast<std::size_t>(17 + i)] = hex_digits[(n >> (4 * (digits - 1 - i))) & 0xf];
    }
    return static_cast<std::size_t>(17 + digits);
}

request_id_generator& request_id_generator::process_default() {
    static request_id_generator generator;
    return generator;
}

bool is_valid_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > request_context::max_request_id_size) {
        return false;
    }
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':' ||
                        c == '+' || c == '=' || c == '/' || c == '@';
        if (!ok) {
            return false;
        }
    }
    return true;
}

request_id::request_id(request_id_config config) : config_{std::move(config)} {}

action request_id::on_header(request_context& ctx, request_header& h) {
    if (config_.trust_incoming) {
        const auto it = h.find(config_.header);
        if (it != h.end()) {
            const std::string_view value{it->value().data(), it->value().size()};
            if (is_valid_request_id(value)) {
                ctx.set_request_id(value);
            }
        }
    }
    return action::proceed;
}

void request_id::on_response(request_context& ctx, response& res) {
    if (config_.echo) {
        res.set(config_.header, ctx.request_id());
    }
}

} // namespace bulwark::http
