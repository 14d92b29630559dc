#include <bulwark/core/error.hpp>
#include <bulwark/telemetry/metrics/striped.hpp>

#include <cmath>
#include <cstdint>

namespace bulwark::telemetry {

namespace {

// Live threads per stripe. A thread takes the least used stripe when it first records and
// gives it back when it exits, so up to metric_stripes threads alive at once never share one,
// however many threads came and went before (a round-robin counter would collide after churn).
std::atomic<std::uint32_t> live_threads[metric_stripes];

struct stripe_owner {
    std::size_t index = 0;
    stripe_owner() noexcept {
        for (;;) {
            std::size_t best = 0;
            std::uint32_t best_count = live_threads[0].load(std::memory_order_relaxed);
            for (std::size_t i = 1; i < metric_stripes && best_count > 0; ++i) {
                const auto c = live_threads[i].load(std::memory_order_relaxed);
                if (c < best_count) {
                    best = i;
                    best_count = c;
                }
            }
            // Two threads choosing at once: the loser of the CAS looks again.
            if (live_threads[best].compare_exchange_weak(best_count, best_count + 1,
                                                         std::memory_order_relaxed)) {
                index = best;
                return;
            }
        }
    }
    ~stripe_owner() { live_threads[index].fetch_sub(1, std::memory_order_relaxed); }
    stripe_owner(const stripe_owner&) = delete;
    stripe_owner& operator=(const stripe_owner&) = delete;
};

} // namespace

std::size_t this_thread_stripe() noexcept {
    thread_local const stripe_owner owner;
    return owner.index;
}

bool valid_upper_bounds(std::span<const double> upper_bounds) noexcept {
    if (upper_bounds.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
        if (!std::isfinite(upper_bounds[i]) || (i > 0 && upper_bounds[i] <= upper_bounds[i - 1])) {
            return false;
        }
    }
    return true;
}

striped_histogram::striped_histogram(std::span<const double> upper_bounds, double unit)
    : bounds_(upper_bounds.begin(), upper_bounds.end()), unit_{unit} {
    if (!valid_upper_bounds(bounds_)) {
        throw_invalid_config("striped_histogram.upper_bounds",
                             "must be non-empty, finite and strictly ascending");
    }
    if (!(unit > 0) || !std::isfinite(unit)) {
        throw_invalid_config("striped_histogram.unit", "must be positive");
    }
    constexpr std::size_t per_line = 64 / sizeof(std::atomic<std::uint64_t>);
    const std::size_t cells = bounds_.size() + 2; // buckets, +Inf, sum
    row_stride_ = (cells + per_line - 1) / per_line * per_line;
    const std::size_t total = row_stride_ * metric_stripes + per_line;
    storage_ = std::make_unique<std::atomic<std::uint64_t>[]>(total);
    auto addr = reinterpret_cast<std::uintptr_t>(storage_.get());
    const std::size_t skip = (64 - addr % 64) % 64 / sizeof(std::atomic<std::uint64_t>);
    cells_ = storage_.get() + skip;
}

histogram_snapshot striped_histogram::snapshot() const {
    histogram_snapshot out;
    out.upper_bounds = bounds_;
    out.cumulative.assign(bounds_.size() + 1, 0);
    std::uint64_t sum_units = 0;
    for (std::size_t s = 0; s < metric_stripes; ++s) {
        const auto* row = row_of(s);
        for (std::size_t i = 0; i <= bounds_.size(); ++i) {
            out.cumulative[i] += row[i].load(std::memory_order_relaxed);
        }
        sum_units += row[bounds_.size() + 1].load(std::memory_order_relaxed);
    }
    for (std::size_t i = 1; i < out.cumulative.size(); ++i) {
        out.cumulative[i] += out.cumulative[i - 1];
    }
    out.count = out.cumulative.back();
    out.sum = static_cast<double>(sum_units) * unit_;
    return out;
}

} // namespace bulwark::telemetry
