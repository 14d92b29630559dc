#include <bulwark/http/security_headers/security_headers.hpp>

#include <boost/beast/core/string.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace bulwark::http {
namespace {

namespace bh = boost::beast::http;

constexpr std::size_t nonce_bytes = 16;
constexpr std::size_t pool_nonces = 64;

// Bumped in the child of every fork(): a thread's pool copied into the child is then refilled
// instead of handing out the nonces the parent hands out too.
std::atomic<unsigned> fork_generation{0};

#if defined(__unix__) || defined(__APPLE__)
void on_fork_child() {
    fork_generation.fetch_add(1, std::memory_order_relaxed);
}
#endif

void register_fork_hook() noexcept {
#if defined(__unix__) || defined(__APPLE__)
    static const bool registered = pthread_atfork(nullptr, nullptr, &on_fork_child) == 0;
    (void)registered;
#endif
}

// Random bytes for 64 nonces, drawn with one RAND_bytes call (one call costs over a
// microsecond whatever its size up to a few KiB). Constant-initialized, so the thread_local
// needs no per-thread constructor.
struct nonce_pool {
    std::array<unsigned char, nonce_bytes * pool_nonces> bytes{};
    std::size_t next = nonce_bytes * pool_nonces;
    unsigned generation = 0;
};

thread_local nonce_pool pool;

constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 16 bytes -> 24 characters: five full 3-byte groups, then one byte and "==".
void encode_base64(const unsigned char* in, char* out) noexcept {
    for (std::size_t i = 0; i < 15; i += 3) {
        const unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8) | in[i + 2];
        *out++ = base64_alphabet[(v >> 18) & 63];
        *out++ = base64_alphabet[(v >> 12) & 63];
        *out++ = base64_alphabet[(v >> 6) & 63];
        *out++ = base64_alphabet[v & 63];
    }
    const unsigned last = in[15];
    *out++ = base64_alphabet[(last >> 2) & 63];
    *out++ = base64_alphabet[(last << 4) & 63];
    *out++ = '=';
    *out = '=';
}

void insert_with_nonce(response& res, bh::field f, const compiled_security_header& h,
                       std::string_view nonce) {
    const std::size_t size = h.size_with_nonce(nonce.size());
    // Policies are a few hundred bytes: a stack buffer avoids an allocation Beast does not
    // need (it copies the value into its own field element anyway).
    std::array<char, 2048> buffer;
    if (size <= buffer.size()) {
        const std::size_t n = h.write_with_nonce(nonce, buffer.data());
        res.insert(f, h.name, boost::beast::string_view{buffer.data(), n});
        return;
    }
    std::string value(size, '\0');
    value.resize(h.write_with_nonce(nonce, value.data()));
    res.insert(f, h.name, value);
}

} // namespace

std::size_t generate_csp_nonce(std::span<char, csp_nonce_size> out) noexcept {
    register_fork_hook();
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (pool.next == pool.bytes.size() || pool.generation != generation) {
        if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) != 1) {
            pool.next = pool.bytes.size();
            return 0;
        }
        pool.next = 0;
        pool.generation = generation;
    }
    unsigned char* bytes = pool.bytes.data() + pool.next;
    pool.next += nonce_bytes;
    encode_base64(bytes, out.data());
    // Each nonce is used once: forget it, so the pool never holds a nonce already handed out.
    std::fill_n(bytes, nonce_bytes, static_cast<unsigned char>(0));
    return csp_nonce_size;
}

security_headers::security_headers(const security_headers_config& config) : compiled_{config} {
    fields_.reserve(compiled_.headers().size());
    for (const auto& h : compiled_.headers()) {
        fields_.push_back(bh::string_to_field(h.name));
    }
}

action security_headers::on_header(request_context& ctx, request_header& /*h*/) {
    if (compiled_.needs_nonce()) {
        std::array<char, csp_nonce_size> nonce;
        const std::size_t n = generate_csp_nonce(nonce);
        ctx.set_csp_nonce({nonce.data(), n});
    }
    return action::proceed;
}

void security_headers::on_response(request_context& ctx, response& res) {
    const auto& headers = compiled_.headers();
    // One pass over what the response already has: strip what must go, and note which of our
    // headers are present (bit i: headers[i]); validate() caps the count well below 64.
    std::uint64_t present = 0;
    for (auto it = res.begin(); it != res.end();) {
        const auto name_view = it->name_string();
        const std::string_view name{name_view.data(), name_view.size()};
        if (compiled_.removes(name)) {
            it = res.erase(it);
            continue;
        }
        const bh::field f = it->name();
        for (std::size_t i = 0; i < fields_.size(); ++i) {
            // Beast derives the enum from the name, so equal names have equal enums; only
            // names Beast does not know (field::unknown) need a string comparison.
            if (fields_[i] == f &&
                (f != bh::field::unknown || (name.size() == headers[i].name.size() &&
                                             boost::beast::iequals(name, headers[i].name)))) {
                present |= std::uint64_t{1} << i;
            }
        }
        ++it;
    }

    const std::string_view nonce = ctx.csp_nonce();
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if ((present & (std::uint64_t{1} << i)) != 0) {
            continue;
        }
        const auto& h = headers[i];
        if ((h.scope == header_scope::secure_only && !ctx.secure()) ||
            (h.scope == header_scope::sensitive && !compiled_.is_sensitive(ctx.route()))) {
            continue;
        }
        if (!h.nonce_offsets.empty() && !nonce.empty()) {
            insert_with_nonce(res, fields_[i], h, nonce);
        } else {
            res.insert(fields_[i], h.name, h.value);
        }
    }
}

} // namespace bulwark::http
