#ifndef BULWARK_CORE_RATE_LIMIT_KEYED_LIMITER_HPP
#define BULWARK_CORE_RATE_LIMIT_KEYED_LIMITER_HPP

#include <bulwark/core/clock.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/rate_limit/detail/key_hash.hpp>
#include <bulwark/core/rate_limit/detail/single_key_limiter.hpp>
#include <bulwark/core/rate_limit/gcra_limiter.hpp>
#include <bulwark/core/rate_limit/quota.hpp>
#include <bulwark/core/rate_limit/rate_decision.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bulwark {

/// Configuration of a keyed_limiter. Every field has a safe default.
struct keyed_limiter_config {
    /// Keys tracked at most; beyond it idle keys, then the least recently used, are evicted.
    /// Default 100000 (about 6 MB). 0 is invalid.
    std::size_t max_keys = 100'000;
    /// Independent shards (locks). 0 (default): max_keys / 256 rounded down to a power of two,
    /// between 1 and 64, so every shard holds at least 256 keys (smaller shards make clients
    /// that share one evict each other). Otherwise a power of two, at most max_keys.
    std::size_t shards = 0;
    /// Per-key quotas by exact key, applied when a key is first seen. Default: none.
    std::vector<std::pair<std::string, quota>> quota_overrides = {};
    /// Per-key quota function, asked (after quota_overrides) when a key is first seen; nullopt
    /// or an invalid quota means the default. Called from any thread, concurrently: it must be
    /// thread-safe. At most 255 distinct override quotas are kept;
    /// keys beyond that get the default (counted in stats().override_fallbacks). Default: none.
    std::function<std::optional<quota>(std::string_view key)> quota_for = {};
    /// Hash seed. 0 (default): random per limiter, so key collisions cannot be precomputed.
    std::uint64_t hash_seed = 0;
};

/// Counters of a keyed_limiter, read with stats().
struct keyed_limiter_stats {
    std::size_t keys = 0;                 ///< keys tracked now
    std::uint64_t evicted_idle = 0;       ///< evicted to make room, carrying no information
    std::uint64_t evicted_recent = 0;     ///< evicted to make room while still limited (LRU)
    std::uint64_t override_fallbacks = 0; ///< quota_for answers replaced by the default
};

/**
 * One rate limiter per key — client address, user id, API key, route — for millions of keys
 * in bounded memory.
 *
 * `Limiter` names the per-key algorithm and clock: `keyed_limiter<gcra_limiter>` (the default),
 * `keyed_limiter<sliding_window_limiter>`, `keyed_limiter<basic_gcra_limiter<manual_clock>>`.
 * Each key costs one 48-byte slot (keys up to 26 bytes are stored inline; longer ones take one
 * heap allocation when first seen), at most 80% of slots are used: about 60 bytes per key.
 *
 * - Decisions are O(1): a seeded hash picks one of `shards` independent tables (no global lock),
 *   each an open-addressing table with linear probing, locked for the few nanoseconds of the
 *   lookup and decision. Existing keys are found by std::string_view without allocating.
 * - Bounded: at most max_keys keys. A new key in a full shard evicts, from a sample of 16
 *   entries, one whose limiter is idle (full again: it carries no information), else the least
 *   recently used of the sample (an approximation of LRU, as in Redis).
 * - A decision that would not change a new key's state (a rejection, a cost of 0) does not
 *   insert it, so probes with unknown keys cannot fill the table.
 * - retain_recent() drops every idle key, for periodic cleanup.
 *
 * @par Thread Safety
 * Every member may be called concurrently.
 *
 * @par Example
 * @code
 * bulwark::keyed_limiter<bulwark::gcra_limiter> per_client{bulwark::quota::per_second(20),
 *                                                          {.max_keys = 1'000'000}};
 * if (auto d = per_client.try_acquire(client_key, 1, now); !d.allowed) { reject(d); }
 * @endcode
 */
template <class Limiter = gcra_limiter>
class keyed_limiter {
public:
    using algorithm_type = typename Limiter::algorithm_type;
    using clock_type = typename Limiter::clock_type;

    /// A limiter with `default_quota` per key. Throws std::system_error naming the field for an
    /// invalid quota or config.
    explicit keyed_limiter(const quota& default_quota, keyed_limiter_config config = {},
                           clock_type clock = clock_type{})
        : clock_{std::move(clock)}, epoch_{clock_.now()}, quota_for_{std::move(config.quota_for)} {
        config_issue issue;
        if (validate(default_quota, config, &issue)) {
            throw_invalid_config(issue);
        }
        quotas_[0] = default_quota;
        params_[0] = algorithm_type::make_params(default_quota);
        policy_count_ = 1;
        for (const auto& [key, q] : config.quota_overrides) {
            overrides_.emplace(key, intern(q));
        }
        seed_ = config.hash_seed != 0 ? config.hash_seed
                                      : std::random_device{}() * 0x9E3779B97F4A7C15ull + 1;

        std::size_t shards = config.shards;
        if (shards == 0) {
            // At least 256 keys per shard: with tiny shards two active clients that hash to the
            // same one would evict each other on every request and never be limited.
            shards = std::bit_floor(std::clamp<std::size_t>(config.max_keys / 256, 1, 64));
        }
        shard_mask_ = shards - 1;
        shards_ = std::make_unique<shard[]>(shards);
        for (std::size_t i = 0; i < shards; ++i) {
            // Spread max_keys exactly: the first (max_keys % shards) shards hold one more.
            const std::size_t max =
                config.max_keys / shards + (i < config.max_keys % shards ? 1 : 0);
            shards_[i].max_size = max;
            shards_[i].max_capacity = max + max / 4 + 1; // load <= 80%, always one empty slot
        }
    }

    keyed_limiter(const keyed_limiter&) = delete;
    keyed_limiter& operator=(const keyed_limiter&) = delete;
    ~keyed_limiter() {
        for (std::size_t i = 0; i <= shard_mask_; ++i) {
            free_all(shards_[i]);
        }
    }

    /// Checks a default quota and config without building a limiter.
    [[nodiscard]] static std::error_code validate(const quota& default_quota,
                                                  const keyed_limiter_config& config,
                                                  config_issue* issue = nullptr) noexcept {
        if (auto ec = bulwark::validate(default_quota, algorithm_type::use, issue)) {
            return ec;
        }
        if (config.max_keys == 0) {
            return invalid_config(issue, "keyed_limiter_config.max_keys", "must be at least 1");
        }
        if (config.max_keys > (std::size_t{1} << 40)) {
            return invalid_config(issue, "keyed_limiter_config.max_keys", "must be at most 2^40");
        }
        if (config.shards != 0 &&
            ((config.shards & (config.shards - 1)) != 0 || config.shards > config.max_keys)) {
            return invalid_config(
                issue, "keyed_limiter_config.shards",
                "must be 0 (automatic) or a power of two no larger than max_keys");
        }
        if (config.quota_overrides.size() > 255) {
            return invalid_config(issue, "keyed_limiter_config.quota_overrides",
                                  "at most 255 entries");
        }
        for (const auto& [key, q] : config.quota_overrides) {
            if (bulwark::validate(q, algorithm_type::use, nullptr)) {
                return invalid_config(
                    issue, "keyed_limiter_config.quota_overrides",
                    "every override quota must itself be valid (see validate(quota))");
            }
        }
        return {};
    }

    /// Reads the clock and decides on a request of cost `n` for `key`.
    [[nodiscard]] rate_decision try_acquire(std::string_view key, std::uint64_t n = 1) noexcept {
        return try_acquire(key, n, clock_.now());
    }

    /// Decides on a request of cost `n` for `key` arriving at `now`.
    [[nodiscard]] rate_decision try_acquire(std::string_view key, std::uint64_t n,
                                            time_point now) noexcept {
        const std::uint64_t t = detail::since(epoch_, now);
        const std::uint64_t h = detail::hash_key(key, seed_);
        shard& s = shards_[h & shard_mask_];
        {
            const lock_guard lock{s};
            if (slot* found = find(s, h, key)) {
                return apply(*found, t, n);
            }
        }
        // New key: resolve its quota without holding the lock (it may call user code), then
        // insert unless another thread did meanwhile.
        const std::uint8_t policy = policy_for(key);
        const rate_step fresh = algorithm_type::decide(0, t, params_[policy], n);
        if (!fresh.write) {
            return fresh.decision; // nothing to remember
        }
        const lock_guard lock{s};
        if (slot* found = find(s, h, key)) {
            return apply(*found, t, n);
        }
        if (slot* added = insert(s, h, key, policy, t)) {
            added->state = fresh.state;
            return fresh.decision;
        }
        return fresh.decision; // out of memory: decided on a fresh state, not remembered
    }

    /// Gives back `n` units of an admitted request that was abandoned (chained limits).
    void release(std::string_view key, std::uint64_t n, time_point now) noexcept {
        const std::uint64_t t = detail::since(epoch_, now);
        const std::uint64_t h = detail::hash_key(key, seed_);
        shard& s = shards_[h & shard_mask_];
        const lock_guard lock{s};
        if (slot* found = find(s, h, key)) {
            found->state = algorithm_type::release(found->state, t, params_[found->policy], n);
        }
    }

    /// `key`'s limiter as a request of cost 0 at `now` would see it; changes nothing.
    [[nodiscard]] rate_decision snapshot(std::string_view key, time_point now) noexcept {
        const std::uint64_t t = detail::since(epoch_, now);
        const std::uint64_t h = detail::hash_key(key, seed_);
        shard& s = shards_[h & shard_mask_];
        {
            const lock_guard lock{s};
            if (slot* found = find(s, h, key)) {
                return algorithm_type::decide(found->state, t, params_[found->policy], 0).decision;
            }
        }
        return algorithm_type::decide(0, t, params_[policy_for(key)], 0).decision;
    }

    /**
     * Forgets every key whose limiter is idle at `now` (indistinguishable from a new key).
     * O(keys); meant for a periodic timer. Returns how many keys were dropped.
     */
    std::size_t retain_recent(time_point now) noexcept {
        const std::uint64_t t = detail::since(epoch_, now);
        std::size_t dropped = 0;
        for (std::size_t i = 0; i <= shard_mask_; ++i) {
            shard& s = shards_[i];
            const lock_guard lock{s};
            for (std::size_t j = 0; j < s.capacity;) {
                slot& e = s.slots[j];
                if (e.hash != 0 && algorithm_type::is_idle(e.state, t, params_[e.policy])) {
                    erase(s, j); // may move a later entry into j: look at j again
                    ++dropped;
                } else {
                    ++j;
                }
            }
        }
        return dropped;
    }
    std::size_t retain_recent() noexcept { return retain_recent(clock_.now()); }

    /// Keys tracked now.
    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i <= shard_mask_; ++i) {
            n += shards_[i].size_approx.load(std::memory_order_relaxed);
        }
        return n;
    }

    /// Bytes of heap this limiter holds: shards, slot tables and out-of-line keys.
    [[nodiscard]] std::size_t memory_usage() const noexcept {
        std::size_t bytes = sizeof(*this) + (shard_mask_ + 1) * sizeof(shard);
        for (std::size_t i = 0; i <= shard_mask_; ++i) {
            bytes += shards_[i].bytes_approx.load(std::memory_order_relaxed);
        }
        return bytes;
    }

    [[nodiscard]] keyed_limiter_stats stats() const noexcept {
        keyed_limiter_stats st;
        st.keys = size();
        for (std::size_t i = 0; i <= shard_mask_; ++i) {
            st.evicted_idle += shards_[i].evicted_idle.load(std::memory_order_relaxed);
            st.evicted_recent += shards_[i].evicted_recent.load(std::memory_order_relaxed);
        }
        st.override_fallbacks = override_fallbacks_.load(std::memory_order_relaxed);
        return st;
    }

    /// A key bound to this limiter, usable where a single limiter is expected (try_acquire_all).
    class bound_key {
    public:
        bound_key(keyed_limiter& limiter, std::string_view key) noexcept
            : limiter_{&limiter}, key_{key} {}
        [[nodiscard]] rate_decision try_acquire(std::uint64_t n, time_point now) noexcept {
            return limiter_->try_acquire(key_, n, now);
        }
        void release(std::uint64_t n, time_point now) noexcept { limiter_->release(key_, n, now); }

    private:
        keyed_limiter* limiter_;
        std::string_view key_;
    };
    /// `key` (which must outlive the result) bound to this limiter.
    [[nodiscard]] bound_key bind(std::string_view key) noexcept { return {*this, key}; }

    [[nodiscard]] const clock_type& clock() const noexcept { return clock_; }

private:
    static constexpr std::uint8_t heap_key = 0xFF;
    static constexpr std::size_t inline_key_capacity = 26;

    struct slot {
        std::uint64_t state;           ///< the algorithm's state word
        std::uint64_t hash;            ///< 0: empty
        std::uint32_t touched;         ///< coarse time (2^20 ns ticks) of the last decision
        std::uint8_t policy;           ///< index into params_
        std::uint8_t size;             ///< key length if inline, heap_key otherwise
        char key[inline_key_capacity]; ///< inline key, or {char* data, uint32 size} if heap_key
    };
    static_assert(sizeof(slot) == 48);

    struct alignas(64) shard {
        std::atomic<bool> locked{false};
        std::size_t size = 0;
        std::size_t capacity = 0;
        std::size_t max_size = 0;
        std::size_t max_capacity = 0;
        slot* slots = nullptr;
        // Read without the lock by size(), memory_usage(), stats().
        std::atomic<std::size_t> size_approx{0};
        std::atomic<std::size_t> bytes_approx{0};
        std::atomic<std::uint64_t> evicted_idle{0};
        std::atomic<std::uint64_t> evicted_recent{0};
        std::size_t heap_bytes = 0;
    };

    // A spinlock: the critical sections are a probe and a decision, tens of nanoseconds; a
    // futex-based mutex would cost more than the work it protects.
    class lock_guard {
    public:
        explicit lock_guard(shard& s) noexcept : s_{s} {
            while (s_.locked.exchange(true, std::memory_order_acquire)) {
                for (int spins = 0; s_.locked.load(std::memory_order_relaxed); ++spins) {
                    if (spins > 64) {
                        std::this_thread::yield();
                    }
                }
            }
        }
        ~lock_guard() { s_.locked.store(false, std::memory_order_release); }
        lock_guard(const lock_guard&) = delete;
        lock_guard& operator=(const lock_guard&) = delete;

    private:
        shard& s_;
    };

    static std::size_t home(std::uint64_t h, std::size_t capacity) noexcept {
        // Multiply-shift range reduction: any capacity, not only powers of two, so the table
        // can stop at exactly 80% load.
        return static_cast<std::size_t>((static_cast<detail::uint128>(h) * capacity) >> 64);
    }

    static std::string_view key_of(const slot& e) noexcept {
        if (e.size != heap_key) {
            return {e.key, e.size};
        }
        const char* data;
        std::uint32_t size;
        std::memcpy(&data, e.key, sizeof data);
        std::memcpy(&size, e.key + sizeof data, sizeof size);
        return {data, size};
    }

    static slot* find(shard& s, std::uint64_t h, std::string_view key) noexcept {
        if (s.capacity == 0) {
            return nullptr;
        }
        for (std::size_t i = home(h, s.capacity);; i = i + 1 == s.capacity ? 0 : i + 1) {
            slot& e = s.slots[i];
            if (e.hash == 0) {
                return nullptr;
            }
            if (e.hash == h && key_of(e) == key) {
                return &e;
            }
        }
    }

    rate_decision apply(slot& e, std::uint64_t t, std::uint64_t n) noexcept {
        const rate_step step = algorithm_type::decide(e.state, t, params_[e.policy], n);
        if (step.write) {
            e.state = step.state;
        }
        e.touched = static_cast<std::uint32_t>(t >> 20);
        return step.decision;
    }

    slot* insert(shard& s, std::uint64_t h, std::string_view key, std::uint8_t policy,
                 std::uint64_t t) noexcept {
        if (s.size >= s.max_size) {
            evict_one(s, h, t);
        } else if ((s.size + 1) * 5 > s.capacity * 4 && s.capacity < s.max_capacity) {
            grow(s);
            if (s.size + 1 >= s.capacity) {
                return nullptr; // could not grow and no room: decide without remembering
            }
        }
        slot e{};
        e.hash = h;
        e.policy = policy;
        e.touched = static_cast<std::uint32_t>(t >> 20);
        if (key.size() <= inline_key_capacity) {
            e.size = static_cast<std::uint8_t>(key.size());
            if (!key.empty()) {
                std::memcpy(e.key, key.data(), key.size());
            }
        } else {
            auto* data = new (std::nothrow) char[key.size()];
            if (data == nullptr) {
                return nullptr;
            }
            std::memcpy(data, key.data(), key.size());
            const auto size = static_cast<std::uint32_t>(key.size());
            std::memcpy(e.key, &data, sizeof data);
            std::memcpy(e.key + sizeof data, &size, sizeof size);
            e.size = heap_key;
            s.heap_bytes += key.size();
        }
        std::size_t i = home(h, s.capacity);
        while (s.slots[i].hash != 0) {
            i = i + 1 == s.capacity ? 0 : i + 1;
        }
        s.slots[i] = e;
        ++s.size;
        publish(s);
        return &s.slots[i];
    }

    void grow(shard& s) noexcept {
        const std::size_t capacity =
            std::min(std::max<std::size_t>(s.capacity * 2, 16), s.max_capacity);
        auto* slots = new (std::nothrow) slot[capacity]();
        if (slots == nullptr) {
            return;
        }
        for (std::size_t i = 0; i < s.capacity; ++i) {
            if (s.slots[i].hash != 0) {
                std::size_t j = home(s.slots[i].hash, capacity);
                while (slots[j].hash != 0) {
                    j = j + 1 == capacity ? 0 : j + 1;
                }
                slots[j] = s.slots[i];
            }
        }
        delete[] s.slots;
        s.slots = slots;
        s.capacity = capacity;
        publish(s);
    }

    // Sampled eviction: an idle entry if the sample has one, else its least recently used.
    void evict_one(shard& s, std::uint64_t h, std::uint64_t t) noexcept {
        const auto now_tick = static_cast<std::uint32_t>(t >> 20);
        std::size_t i = home(detail::fold_multiply(h, 0x9E3779B97F4A7C15ull), s.capacity);
        std::size_t victim = s.capacity;
        std::uint32_t oldest_age = 0;
        bool idle = false;
        for (std::size_t seen = 0, probed = 0; seen < 16 && probed < s.capacity; ++probed) {
            const slot& e = s.slots[i];
            if (e.hash != 0) {
                ++seen;
                if (algorithm_type::is_idle(e.state, t, params_[e.policy])) {
                    victim = i;
                    idle = true;
                    break;
                }
                const std::uint32_t age = now_tick - e.touched; // wraps consistently
                if (victim == s.capacity || age > oldest_age) {
                    victim = i;
                    oldest_age = age;
                }
            }
            i = i + 1 == s.capacity ? 0 : i + 1;
        }
        if (victim == s.capacity) {
            return;
        }
        (idle ? s.evicted_idle : s.evicted_recent).fetch_add(1, std::memory_order_relaxed);
        erase(s, victim);
    }

    // Removes slot i, then shifts later entries of its probe run back so lookups still find
    // them (backward-shift deletion: no tombstones).
    void erase(shard& s, std::size_t i) noexcept {
        free_key(s, s.slots[i]);
        std::size_t j = i;
        for (;;) {
            j = j + 1 == s.capacity ? 0 : j + 1;
            const slot& e = s.slots[j];
            if (e.hash == 0) {
                break;
            }
            const std::size_t k = home(e.hash, s.capacity);
            // e may move to i only if its home is not cyclically within (i, j].
            const bool stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
            if (!stays) {
                s.slots[i] = e;
                i = j;
            }
        }
        s.slots[i] = slot{};
        --s.size;
        publish(s);
    }

    static void free_key(shard& s, slot& e) noexcept {
        if (e.hash != 0 && e.size == heap_key) {
            const auto key = key_of(e);
            s.heap_bytes -= key.size();
            delete[] key.data();
        }
    }

    static void free_all(shard& s) noexcept {
        for (std::size_t i = 0; i < s.capacity; ++i) {
            free_key(s, s.slots[i]);
        }
        delete[] s.slots;
        s.slots = nullptr;
    }

    static void publish(shard& s) noexcept {
        s.size_approx.store(s.size, std::memory_order_relaxed);
        s.bytes_approx.store(s.capacity * sizeof(slot) + s.heap_bytes, std::memory_order_relaxed);
    }

    // The policy index of a quota, adding it to the table if new. Construction and cold path
    // only (a new key with an override).
    std::uint8_t intern(const quota& q) {
        for (std::size_t i = 0; i < policy_count_; ++i) {
            if (quotas_[i] == q) {
                return static_cast<std::uint8_t>(i);
            }
        }
        if (policy_count_ == params_.size()) {
            return 0;
        }
        quotas_[policy_count_] = q;
        params_[policy_count_] = algorithm_type::make_params(q);
        // Published by the shard lock taken before the index is stored in a slot.
        return static_cast<std::uint8_t>(policy_count_++);
    }

    std::uint8_t policy_for(std::string_view key) noexcept {
        if (overrides_.empty() && !quota_for_) {
            return 0;
        }
        if (const auto it = overrides_.find(key); it != overrides_.end()) {
            return it->second;
        }
        if (!quota_for_) {
            return 0;
        }
        std::optional<quota> q;
        try {
            q = quota_for_(key);
        } catch (...) {
            override_fallbacks_.fetch_add(1, std::memory_order_relaxed);
            return 0; // a throwing override function must not take the request path down
        }
        if (!q) {
            return 0;
        }
        if (bulwark::validate(*q, algorithm_type::use, nullptr)) {
            override_fallbacks_.fetch_add(1, std::memory_order_relaxed);
            return 0;
        }
        const std::lock_guard lock{policies_mutex_};
        const std::uint8_t index = intern(*q);
        if (index == 0 && !(*q == quotas_[0])) {
            override_fallbacks_.fetch_add(1, std::memory_order_relaxed);
        }
        return index;
    }

    clock_type clock_;
    time_point epoch_;
    std::uint64_t seed_ = 0;
    std::size_t shard_mask_ = 0;
    std::unique_ptr<shard[]> shards_;
    std::array<typename algorithm_type::params, 256> params_{};
    std::array<quota, 256> quotas_{};
    std::size_t policy_count_ = 0;
    std::mutex policies_mutex_;
    std::map<std::string, std::uint8_t, std::less<>> overrides_;
    std::function<std::optional<quota>(std::string_view)> quota_for_;
    std::atomic<std::uint64_t> override_fallbacks_{0};
};

} // namespace bulwark

#endif
