#include <bulwark/core/rate_limit/rate_limit_headers.hpp>

#include <charconv>
#include <cstring>

namespace bulwark {
namespace {

constexpr std::size_t max_name = 32;

class writer {
public:
    writer(char* data, std::uint8_t& size) : data_{data}, size_{size} {}
    void text(std::string_view s) {
        std::memcpy(data_ + size_, s.data(), s.size());
        size_ = static_cast<std::uint8_t>(size_ + s.size());
    }
    void number(std::uint64_t v) {
        const auto end = std::to_chars(data_ + size_, data_ + size_ + 20, v).ptr;
        size_ = static_cast<std::uint8_t>(end - data_);
    }
    void name(std::string_view n) {
        text("\"");
        for (std::size_t i = 0; i < n.size() && i < max_name; ++i) {
            const auto c = static_cast<unsigned char>(n[i]);
            data_[size_++] = (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? '_' : n[i];
        }
        text("\"");
    }

private:
    char* data_;
    std::uint8_t& size_;
};

} // namespace

// Longest value: quote + 32 + quote + ";q=" + 20 digits + ";w=" + 20 digits = 80 bytes.
static_assert(2 + max_name + 3 + 20 + 3 + 20 <= 80);

rate_limit_headers make_rate_limit_headers(const rate_decision& d,
                                           std::string_view policy_name) noexcept {
    rate_limit_headers h;
    if (d.limit == rate_decision::unlimited) {
        return h;
    }
    const bool wait = !d.allowed && d.retry_after != rate_decision::never;
    const std::uint64_t retry = ceil_seconds(d.retry_after);

    writer policy{h.policy.data_, h.policy.size_};
    policy.name(policy_name);
    policy.text(";q=");
    policy.number(d.limit);
    policy.text(";w=");
    policy.number(ceil_seconds(d.window));

    writer now{h.ratelimit.data_, h.ratelimit.size_};
    now.name(policy_name);
    now.text(";r=");
    now.number(d.remaining);
    now.text(";t=");
    now.number(wait ? retry : ceil_seconds(d.reset_after));

    if (wait) {
        writer after{h.retry_after.data_, h.retry_after.size_};
        after.number(retry);
    }
    return h;
}

} // namespace bulwark
