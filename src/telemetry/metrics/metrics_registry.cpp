#include <bulwark/core/error.hpp>
#include <bulwark/telemetry/metrics/metrics_registry.hpp>

#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <utility>

namespace bulwark::telemetry {

namespace {
enum kind : int { counter_kind, gauge_kind, histogram_kind };
} // namespace

struct metrics_registry::entry {
    std::string name;
    int type = counter_kind;
    std::vector<std::string> labels;
    std::unique_ptr<striped_family<striped_counter>> counters;
    std::unique_ptr<striped_family<striped_gauge>> gauges;
    std::unique_ptr<striped_family<striped_histogram>> histograms;
};

struct collect_hook::list {
    std::mutex mutex; // held while hooks run: reset() waits for a running scrape
    std::uint64_t next_id = 1;
    std::vector<std::pair<std::uint64_t, std::function<void()>>> hooks;
};

void collect_hook::reset() noexcept {
    if (const auto hooks = hooks_.lock()) {
        std::lock_guard lock{hooks->mutex};
        std::erase_if(hooks->hooks, [this](const auto& h) { return h.first == id_; });
    }
    hooks_.reset();
}

collect_hook metrics_registry::on_collect(std::function<void()> f) {
    if (!f) {
        throw_invalid_config("metrics_registry.on_collect", "must not be empty");
    }
    std::lock_guard lock{hooks_->mutex};
    const auto id = hooks_->next_id++;
    hooks_->hooks.emplace_back(id, std::move(f));
    return collect_hook{hooks_, id};
}

metrics_registry::metrics_registry(std::shared_ptr<prometheus::Registry> registry)
    : registry_{std::move(registry)}, hooks_{std::make_shared<collect_hook::list>()} {
    if (!registry_) {
        throw_invalid_config("metrics_registry.registry", "must not be null");
    }
}

metrics_registry::~metrics_registry() = default;

metrics_registry::entry& metrics_registry::find_or_add(std::string_view name, int type,
                                                       const std::vector<std::string>& labels) {
    if (!prometheus::CheckMetricName(std::string{name})) {
        throw_invalid_config("metrics_registry.name", "must match [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    for (const auto& l : labels) {
        if (!prometheus::CheckLabelName(l)) {
            throw_invalid_config("metrics_registry.label_names",
                                 "must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __");
        }
    }
    for (auto& e : entries_) {
        if (e.name == name) {
            if (e.type != type || e.labels != labels) {
                throw_invalid_config("metrics_registry.name",
                                     "is already registered with another type or labels");
            }
            return e;
        }
    }
    auto& e = entries_.emplace_back();
    e.name = std::string{name};
    e.type = type;
    e.labels = labels;
    return e;
}

striped_family<striped_counter>& metrics_registry::counter(std::string_view name,
                                                           std::string_view help,
                                                           std::vector<std::string> label_names) {
    std::lock_guard lock{mutex_};
    auto& e = find_or_add(name, counter_kind, label_names);
    if (!e.counters) {
        e.counters = std::make_unique<striped_family<striped_counter>>(
            e.name, std::string{help}, std::move(label_names),
            [] { return std::make_unique<striped_counter>(); });
    }
    return *e.counters;
}

striped_family<striped_gauge>& metrics_registry::gauge(std::string_view name, std::string_view help,
                                                       std::vector<std::string> label_names) {
    std::lock_guard lock{mutex_};
    auto& e = find_or_add(name, gauge_kind, label_names);
    if (!e.gauges) {
        e.gauges = std::make_unique<striped_family<striped_gauge>>(
            e.name, std::string{help}, std::move(label_names),
            [] { return std::make_unique<striped_gauge>(); });
    }
    return *e.gauges;
}

striped_family<striped_histogram>& metrics_registry::histogram(std::string_view name,
                                                               std::string_view help,
                                                               std::vector<std::string> label_names,
                                                               std::span<const double> upper_bounds,
                                                               double unit) {
    // Checked before anything is registered: a bad bucket list throws here, naming the field.
    const striped_histogram probe{upper_bounds, unit};
    std::lock_guard lock{mutex_};
    auto& e = find_or_add(name, histogram_kind, label_names);
    if (!e.histograms) {
        std::vector<double> bounds(upper_bounds.begin(), upper_bounds.end());
        e.histograms = std::make_unique<striped_family<striped_histogram>>(
            e.name, std::string{help}, std::move(label_names),
            [bounds, unit] { return std::make_unique<striped_histogram>(bounds, unit); });
    }
    return *e.histograms;
}

namespace {

std::vector<prometheus::ClientMetric::Label> labels_of(const std::vector<std::string>& names,
                                                       const std::vector<std::string>& values) {
    std::vector<prometheus::ClientMetric::Label> out;
    out.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        out.push_back({names[i], values[i]});
    }
    return out;
}

} // namespace

std::vector<prometheus::MetricFamily> metrics_registry::Collect() const {
    {
        std::lock_guard hooks_lock{hooks_->mutex};
        for (const auto& [id, hook] : hooks_->hooks) {
            try {
                hook();
            } catch (...) {
                // A failing hook leaves its metrics where they were; the scrape goes on.
            }
        }
    }
    auto out = registry_->Collect();
    std::lock_guard lock{mutex_};
    for (const auto& e : entries_) {
        prometheus::MetricFamily f;
        f.name = e.name;
        if (e.counters) {
            f.help = e.counters->help();
            f.type = prometheus::MetricType::Counter;
            e.counters->for_each([&](const auto& values, const striped_counter& c) {
                prometheus::ClientMetric m;
                m.label = labels_of(e.labels, values);
                m.counter.value = static_cast<double>(c.value());
                f.metric.push_back(std::move(m));
            });
        } else if (e.gauges) {
            f.help = e.gauges->help();
            f.type = prometheus::MetricType::Gauge;
            e.gauges->for_each([&](const auto& values, const striped_gauge& g) {
                prometheus::ClientMetric m;
                m.label = labels_of(e.labels, values);
                m.gauge.value = static_cast<double>(g.value());
                f.metric.push_back(std::move(m));
            });
        } else if (e.histograms) {
            f.help = e.histograms->help();
            f.type = prometheus::MetricType::Histogram;
            e.histograms->for_each([&](const auto& values, const striped_histogram& h) {
                const auto snap = h.snapshot();
                prometheus::ClientMetric m;
                m.label = labels_of(e.labels, values);
                m.histogram.sample_count = snap.count;
                m.histogram.sample_sum = snap.sum;
                for (std::size_t i = 0; i < snap.upper_bounds.size(); ++i) {
                    m.histogram.bucket.push_back({snap.cumulative[i], snap.upper_bounds[i]});
                }
                m.histogram.bucket.push_back({snap.count, std::numeric_limits<double>::infinity()});
                f.metric.push_back(std::move(m));
            });
        }
        out.push_back(std::move(f));
    }
    return out;
}

std::string metrics_registry::serialize() const {
    std::ostringstream out;
    prometheus::TextSerializer{}.Serialize(out, Collect());
    return out.str();
}

} // namespace bulwark::telemetry
