#ifndef BULWARK_TELEMETRY_METRICS_STRIPED_HPP
#define BULWARK_TELEMETRY_METRICS_STRIPED_HPP

#include <bulwark/config.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace bulwark::telemetry {

/// How many independent copies (stripes) a striped instrument keeps. Threads write their own
/// stripe, so two threads recording the same series do not fight over one cache line.
inline constexpr std::size_t metric_stripes = 16;

/// The stripe of the calling thread: the least used one when the thread first records,
/// returned when the thread exits. Up to metric_stripes threads alive at once never share one.
[[nodiscard]] BULWARK_TELEMETRY_API std::size_t this_thread_stripe() noexcept;

namespace detail {

// One integer summed over metric_stripes cache lines: the calling thread adds to its own line
// (relaxed: a sum needs atomicity only, a scrape tolerates seeing it a little late), value()
// adds the lines up. value() is not a snapshot across stripes: adds racing it may or may not
// be counted, each exactly once by a later value().
template <class T>
class striped_sum {
public:
    void add(T n) noexcept {
        stripes_[this_thread_stripe()].value.fetch_add(n, std::memory_order_relaxed);
    }
    [[nodiscard]] T value() const noexcept {
        T sum = 0;
        for (const auto& s : stripes_) {
            sum += s.value.load(std::memory_order_relaxed);
        }
        return sum;
    }

private:
    struct alignas(64) stripe {
        std::atomic<T> value{0};
    };
    stripe stripes_[metric_stripes];
};

} // namespace detail

/**
 * A monotonic counter, striped: add() is one relaxed fetch_add on the calling thread's own
 * cache line; value() sums the stripes (a scrape, not the hot path).
 *
 * @par Thread Safety
 * add() and value() are thread-safe. value() is not a snapshot across stripes: adds racing it
 * may or may not be counted, each exactly once by a later value().
 */
class striped_counter {
public:
    void add(std::uint64_t n = 1) noexcept { sum_.add(n); }
    [[nodiscard]] std::uint64_t value() const noexcept { return sum_.value(); }

private:
    detail::striped_sum<std::uint64_t> sum_;
};

/**
 * A gauge that goes up and down (in-flight requests, open connections), striped like
 * striped_counter: each stripe holds a signed delta, value() sums them.
 */
class striped_gauge {
public:
    void add(std::int64_t n) noexcept { sum_.add(n); }
    void increment() noexcept { add(1); }
    void decrement() noexcept { add(-1); }
    [[nodiscard]] std::int64_t value() const noexcept { return sum_.value(); }

private:
    detail::striped_sum<std::int64_t> sum_;
};

/// Whether `upper_bounds` can be a histogram's buckets: not empty, finite, strictly ascending.
[[nodiscard]] BULWARK_TELEMETRY_API bool
valid_upper_bounds(std::span<const double> upper_bounds) noexcept;

/// What a histogram's scrape sees: Prometheus' cumulative buckets, the count and the sum.
struct histogram_snapshot {
    std::vector<double> upper_bounds;      ///< ascending; +Inf implied after the last
    std::vector<std::uint64_t> cumulative; ///< one per bound, then one for +Inf (= count)
    std::uint64_t count = 0;
    double sum = 0;
};

/**
 * A Prometheus histogram, striped. observe() finds the bucket (a linear scan of the bounds:
 * fewer than 20 for web latency, and branch-predictable), then does two relaxed atomic adds
 * on the calling thread's own stripe: the bucket and the sum (the sum is a double held as
 * integer nanounits, see below). No lock, no shared cache line between threads.
 *
 * The sum is kept per stripe as an unsigned count of `unit`s (1e-9 by default: nanoseconds
 * for a histogram in seconds; 1 for bytes), so one fetch_add adds it. A stripe wraps after
 * 1.8e19 units: 570 years of summed latency, or 18 EB.
 *
 * @par Thread Safety
 * observe() and snapshot() are thread-safe; snapshot() has the same per-stripe caveat as
 * striped_counter::value().
 */
class striped_histogram {
public:
    /**
     * @param upper_bounds ascending, finite bucket bounds (+Inf is implied)
     * @param unit         the resolution of the sum: 1e-9 for seconds (default), 1 for bytes
     * @throws std::system_error (error::invalid_config) naming "striped_histogram.upper_bounds"
     *         when the bounds are empty, not ascending or not finite, or "striped_histogram.unit"
     *         when unit is not positive.
     */
    BULWARK_TELEMETRY_API explicit striped_histogram(std::span<const double> upper_bounds,
                                                     double unit = 1e-9);

    void observe(double v) noexcept {
        std::size_t i = 0;
        while (i < bounds_.size() && !(v <= bounds_[i])) { // NaN: +Inf
            ++i;
        }
        auto* row = row_of(this_thread_stripe());
        row[i].fetch_add(1, std::memory_order_relaxed);
        // The sum in units; negative and NaN observations count in a bucket but add nothing
        // (Prometheus histograms are for non-negative values).
        const double units = v / unit_;
        if (units > 0 && units < 1.8e19) {
            row[bounds_.size() + 1].fetch_add(static_cast<std::uint64_t>(units + 0.5),
                                              std::memory_order_relaxed);
        }
    }

    [[nodiscard]] BULWARK_TELEMETRY_API histogram_snapshot snapshot() const;
    [[nodiscard]] std::span<const double> upper_bounds() const noexcept { return bounds_; }

private:
    std::atomic<std::uint64_t>* row_of(std::size_t stripe) const noexcept {
        return cells_ + stripe * row_stride_;
    }

    std::vector<double> bounds_;
    double unit_;
    std::size_t row_stride_; // cells per stripe: buckets + 1 (+Inf) + 1 (sum), padded to 64 B
    std::unique_ptr<std::atomic<std::uint64_t>[]> storage_;
    std::atomic<std::uint64_t>* cells_ = nullptr; // storage_ aligned to 64 bytes
};

/// OpenTelemetry's default explicit bucket bounds for HTTP durations, in seconds
/// (semantic conventions, http.server.request.duration).
inline constexpr double http_duration_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                                   0.5,   0.75, 1.0,   2.5,  5.0,   7.5, 10.0};

/// Bucket bounds for body sizes in bytes: 100 B to 100 MB, one per decade and a half.
inline constexpr double http_size_buckets[] = {100, 1000, 10'000, 100'000, 1e6, 1e7, 1e8};

} // namespace bulwark::telemetry

#endif
