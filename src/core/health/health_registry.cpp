#include <bulwark/core/health/health_registry.hpp>

#include <cmath>
#include <utility>

namespace bulwark {

struct health_registry::entry {
    health_check_config config;
    check_report last;
};

namespace {

constexpr std::size_t max_output = 1024;
constexpr std::size_t max_unit = 64;

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
void truncate_utf8(std::string& s, std::size_t n) {
    if (s.size() <= n) {
        return;
    }
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0u) == 0x80u) {
        --n;
    }
    s.resize(n);
}

check_result sanitize(check_result r) {
    if (r.status != health_status::pass && r.status != health_status::warn &&
        r.status != health_status::fail) {
        return check_result::fail("invalid check result");
    }
    if (r.observed_value && !std::isfinite(*r.observed_value)) {
        r.observed_value.reset();
        r.observed_unit.clear();
    }
    truncate_utf8(r.output, max_output);
    truncate_utf8(r.observed_unit, max_unit);
    return r;
}

bool gated(std::string_view group) noexcept {
    return group == liveness_group || group == readiness_group;
}

} // namespace

health_registry::health_registry(health_registry_config config)
    : config_{std::move(config)}, empty_{std::make_shared<const group_report>()} {}

health_registry::~health_registry() = default;

health_registry::check_id health_registry::add(health_check_config config) {
    config_issue issue;
    if (validate(config, &issue)) {
        throw_invalid_config(issue);
    }
    std::lock_guard lock{mutex_};
    for (const auto& e : entries_) {
        if (e->config.name == config.name) {
            throw_invalid_config("health_check_config.name", "is already registered");
        }
    }
    auto e = std::make_unique<entry>();
    e->config = std::move(config);
    e->last.config = &e->config;
    e->last.result = check_result::fail("pending");
    const auto id = entries_.size();
    entries_.push_back(std::move(e));
    ++generation_;
    rebuild_all_locked();
    return id;
}

void health_registry::record(check_id id, check_result result,
                             std::chrono::system_clock::time_point at, duration took,
                             bool timed_out) {
    const health_check_config* cfg = nullptr;
    health_status status{};
    {
        std::lock_guard lock{mutex_};
        if (id >= entries_.size()) {
            return;
        }
        auto& e = *entries_[id];
        e.last.result = sanitize(std::move(result));
        e.last.completed = true;
        e.last.time = at;
        e.last.took = took;
        cfg = &e.config;
        status = e.last.result.status;
        ++generation_;
        const bool was_started = started();
        for (const auto& g : e.config.groups) {
            rebuild_locked(g);
        }
        if (was_started != started()) {
            // The startup group just passed: liveness and readiness lose their gate.
            rebuild_locked(liveness_group);
            rebuild_locked(readiness_group);
        }
    }
    if (config_.on_run) {
        config_.on_run(health_run{*cfg, status, took, timed_out});
    }
}

std::optional<health_registry::check_id> health_registry::find(std::string_view name) const {
    std::lock_guard lock{mutex_};
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i]->config.name == name) {
            return i;
        }
    }
    return std::nullopt;
}

const health_check_config& health_registry::config(check_id id) const {
    std::lock_guard lock{mutex_};
    return entries_.at(id)->config;
}

std::size_t health_registry::size() const noexcept {
    std::lock_guard lock{mutex_};
    return entries_.size();
}

std::shared_ptr<const group_report> health_registry::report(std::string_view group) const {
    std::lock_guard lock{mutex_};
    const auto it = groups_.find(group);
    if (it != groups_.end()) {
        return it->second->report;
    }
    return empty_;
}

health_status health_registry::status(std::string_view group) const {
    return report(group)->status;
}

health_registry::group_ref health_registry::group(std::string_view group) const {
    std::lock_guard lock{mutex_};
    const auto it = groups_.find(group);
    if (it != groups_.end()) {
        return {this, it->second.get()};
    }
    auto& slot = slot_locked(group);
    slot.report = build_locked(group);
    slot.status.store(slot.report->status, std::memory_order_release);
    return {this, &slot};
}

health_registry::group_slot& health_registry::slot_locked(std::string_view group) const {
    auto it = groups_.find(group);
    if (it == groups_.end()) {
        it = groups_.emplace(std::string{group}, std::make_unique<group_slot>()).first;
    }
    return *it->second;
}

void health_registry::drain() {
    std::lock_guard lock{mutex_};
    if (draining_.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    ++generation_;
    rebuild_locked(readiness_group);
}

void health_registry::rebuild_all_locked() {
    // The startup state first: the gated groups depend on it.
    rebuild_locked(startup_group);
    std::vector<std::string> groups;
    for (const auto& e : entries_) {
        for (const auto& g : e->config.groups) {
            groups.push_back(g);
        }
    }
    groups.emplace_back(liveness_group);
    groups.emplace_back(readiness_group);
    for (const auto& g : groups) {
        if (g != startup_group) {
            rebuild_locked(g);
        }
    }
}

void health_registry::rebuild_locked(std::string_view group) {
    auto r = build_locked(group);
    if (group == startup_group) {
        // Latched: once the startup group has passed it stays started, as Kubernetes stops
        // asking the startup probe after its first success. Release order: a reader that sees
        // started() true also sees the reports built before.
        startup_passed_ =
            startup_passed_ || (!r->checks.empty() && r->status != health_status::fail);
        started_.store(startup_passed_ || r->checks.empty(), std::memory_order_release);
    }
    auto& slot = slot_locked(group);
    slot.status.store(r->status, std::memory_order_release);
    slot.report = std::move(r);
}

std::shared_ptr<group_report> health_registry::build_locked(std::string_view group) const {
    auto r = std::make_shared<group_report>();
    r->generation = generation_;
    for (const auto& e : entries_) {
        for (const auto& g : e->config.groups) {
            if (g == group) {
                r->checks.push_back(e->last);
                if (group == liveness_group && !e->last.completed) {
                    // A liveness check that has not run yet says nothing about the process;
                    // failing it would get a container restarted before its first check.
                    break;
                }
                const auto s = e->last.result.status;
                r->status =
                    worst(r->status,
                          e->config.critical || s != health_status::fail ? s : health_status::warn);
                break;
            }
        }
    }
    if (gated(group) && !started()) {
        r->status = health_status::fail;
        r->output = "starting";
    } else if (group == readiness_group && draining()) {
        r->status = health_status::fail;
        r->output = "draining";
    }
    return r;
}

} // namespace bulwark
