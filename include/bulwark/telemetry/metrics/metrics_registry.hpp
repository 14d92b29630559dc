#ifndef BULWARK_TELEMETRY_METRICS_METRICS_REGISTRY_HPP
#define BULWARK_TELEMETRY_METRICS_METRICS_REGISTRY_HPP

#include <bulwark/config.hpp>
#include <bulwark/telemetry/metrics/striped.hpp>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::telemetry {

/**
 * One metric name with its label names, and one striped instrument per label-value set.
 *
 * with() resolves a label-value set to its instrument once (under a mutex, allocating on
 * first use); callers keep the reference, which stays valid as long as the registry, and
 * record through it with no lookup at all. That is the difference with a per-request
 * `family.Add(labels)`, which hashes and locks on every request.
 *
 * @par Thread Safety
 * with() and collect() are thread-safe; so are the instruments.
 */
template <class Instrument>
class striped_family {
public:
    using factory = std::function<std::unique_ptr<Instrument>()>;

    striped_family(std::string name, std::string help, std::vector<std::string> label_names,
                   factory make)
        : name_{std::move(name)}, help_{std::move(help)},
          label_names_{std::move(label_names)}, make_{std::move(make)} {}

    /// The instrument for these label values, one per label name, in order.
    /// @throws std::invalid_argument when the count does not match the label names.
    Instrument& with(std::initializer_list<std::string_view> values) {
        if (values.size() != label_names_.size()) {
            throw std::invalid_argument{"striped_family::with: " + name_ + " takes " +
                                        std::to_string(label_names_.size()) + " label values"};
        }
        std::vector<std::string> key(values.begin(), values.end());
        std::lock_guard lock{mutex_};
        auto it = series_.find(key);
        if (it == series_.end()) {
            it = series_.emplace(std::move(key), make_()).first;
        }
        return *it->second;
    }

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const std::vector<std::string>& label_names() const noexcept {
        return label_names_;
    }

    /// Visits every series: `f(label_values, instrument)`.
    template <class F>
    void for_each(F&& f) const {
        std::lock_guard lock{mutex_};
        for (const auto& [values, instrument] : series_) {
            f(values, *instrument);
        }
    }

    [[nodiscard]] const std::string& help() const noexcept { return help_; }

private:
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    factory make_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Instrument>> series_;
};

/**
 * Keeps a function registered with metrics_registry::on_collect(); destroying (or reset()ting)
 * it unregisters the function, waiting for a scrape that is running it. It may outlive the
 * registry.
 */
class collect_hook {
public:
    collect_hook() = default;
    collect_hook(collect_hook&& other) noexcept = default;
    collect_hook& operator=(collect_hook&& other) noexcept {
        if (this != &other) {
            reset();
            hooks_ = std::move(other.hooks_);
            id_ = other.id_;
        }
        return *this;
    }
    collect_hook(const collect_hook&) = delete;
    collect_hook& operator=(const collect_hook&) = delete;
    ~collect_hook() { reset(); }

    /// Unregisters now.
    BULWARK_TELEMETRY_API void reset() noexcept;
    /// Whether a function is registered through this handle.
    [[nodiscard]] explicit operator bool() const noexcept { return !hooks_.expired(); }

    struct list; // the registry's hooks, shared with the handles

private:
    friend class metrics_registry;
    collect_hook(std::weak_ptr<list> hooks, std::uint64_t id) : hooks_{std::move(hooks)}, id_{id} {}

    std::weak_ptr<list> hooks_;
    std::uint64_t id_ = 0;
};

/**
 * bulwark's metrics next to yours: a prometheus::Registry (the one you pass, or a new one)
 * plus bulwark's striped instrument families, collected together.
 *
 * prometheus-cpp's Registry only holds its own metric types, whose Histogram::Observe takes a
 * mutex (about 30 ns alone, 185 ns per thread when two threads share it on this project's
 * machine). bulwark's hot-path instruments are striped instead, and live here; Collect()
 * returns the registry's families followed by bulwark's, so one scrape serves both. Register
 * this object (not only the Registry) with a prometheus::Exposer, or serve serialize() from
 * your own /metrics route.
 *
 * Names and label names are checked against Prometheus' rules; asking again for an existing
 * name returns the same family when the type and label names agree.
 *
 * @par Thread Safety
 * Every member function is thread-safe.
 */
class BULWARK_TELEMETRY_API metrics_registry : public prometheus::Collectable {
public:
    explicit metrics_registry(
        std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>());
    ~metrics_registry() override;

    /// The wrapped prometheus-cpp registry, for your own metrics.
    [[nodiscard]] prometheus::Registry& registry() const noexcept { return *registry_; }
    [[nodiscard]] const std::shared_ptr<prometheus::Registry>& shared_registry() const noexcept {
        return registry_;
    }

    /**
     * The counter family `name` (which should end in `_total`).
     * @throws std::system_error (error::invalid_config) naming "metrics_registry.name" or
     *         "metrics_registry.label_names" for names Prometheus rejects, or a name already
     *         used with another type or other labels.
     */
    striped_family<striped_counter>& counter(std::string_view name, std::string_view help,
                                             std::vector<std::string> label_names);
    /// The gauge family `name`; same rules.
    striped_family<striped_gauge>& gauge(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names);
    /// The histogram family `name` with these bucket bounds and sum unit (see
    /// striped_histogram); same rules.
    striped_family<striped_histogram>& histogram(std::string_view name, std::string_view help,
                                                 std::vector<std::string> label_names,
                                                 std::span<const double> upper_bounds,
                                                 double unit = 1e-9);

    /**
     * Runs `f` at the start of every Collect(), before anything is read: the place to copy
     * counters a component keeps itself (a middleware's stats(), a server's connection count)
     * into this registry's instruments, so the hot path records nothing twice. Hooks run one at
     * a time, in registration order, on the scraping thread, and must not call Collect().
     * An exception from a hook is swallowed (the scrape goes on).
     */
    [[nodiscard]] collect_hook on_collect(std::function<void()> f);

    /// The registry's families, then bulwark's, as prometheus::MetricFamily.
    [[nodiscard]] std::vector<prometheus::MetricFamily> Collect() const override;

    /// Collect() in the Prometheus text exposition format (version 0.0.4), what a /metrics
    /// route answers with `Content-Type: text/plain; version=0.0.4; charset=utf-8`.
    [[nodiscard]] std::string serialize() const;

private:
    struct entry;
    entry& find_or_add(std::string_view name, int type, const std::vector<std::string>& labels);

    std::shared_ptr<prometheus::Registry> registry_;
    std::shared_ptr<collect_hook::list> hooks_;
    mutable std::mutex mutex_;
    std::deque<entry> entries_; // stable addresses
};

} // namespace bulwark::telemetry

#endif
