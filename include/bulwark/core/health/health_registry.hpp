#ifndef BULWARK_CORE_HEALTH_HEALTH_REGISTRY_HPP
#define BULWARK_CORE_HEALTH_HEALTH_REGISTRY_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/clock.hpp>
#include <bulwark/core/health/check_result.hpp>
#include <bulwark/core/health/health_check_config.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {

/// The last result of one check, as a group report shows it.
struct check_report {
    const health_check_config* config = nullptr; ///< as registered; lives as long as the registry
    check_result result = {}; ///< `fail` with output "pending" until the first run completes
    bool completed = false;   ///< false until a run has completed (or timed out)
    std::chrono::system_clock::time_point time = {}; ///< when the result was observed
    duration took = {};                              ///< how long that run took
};

/**
 * The state of one group: the aggregate status and each check's last result.
 *
 * Reports are immutable snapshots, rebuilt when a result changes and shared by every reader.
 */
struct group_report {
    health_status status = health_status::pass;
    /// Why the group fails regardless of its checks: "starting" (liveness and readiness before
    /// the startup group first passed) or "draining" (readiness during graceful shutdown).
    /// Empty otherwise.
    std::string output = {};
    std::vector<check_report> checks = {};
    /// Increases with every change of any result: equal generations, equal reports.
    std::uint64_t generation = 0;
};

/// One completed run, as the observer hook sees it (the metrics issue wires this).
struct health_run {
    const health_check_config& config;
    health_status status;
    duration took;
    bool timed_out; ///< the run did not finish within its timeout
};

/// Configuration of a health_registry.
struct health_registry_config {
    /// Called after every recorded run, outside the registry's lock, on the thread that
    /// recorded it. Must not call record() of the same check. Default: none.
    std::function<void(const health_run&)> on_run = {};
};

/**
 * The health model: registered checks with their groups, their last results, and the status
 * of each group, Kubernetes-style.
 *
 * A group's status is the worst of its checks' statuses, where a non-critical check's `fail`
 * counts as `warn`. A check that has not completed a run yet counts as `fail` ("pending"),
 * except in liveness, where it does not count: a restart is no cure for a check that has not
 * run. An empty (or unknown) group passes. On top of the checks:
 * - **startup gating**: until the startup group has passed (or warned) once, liveness and
 *   readiness report `fail` with output "starting". A registry without startup checks starts
 *   at once. Once started it stays started.
 * - **drain**: after drain(), readiness reports `fail` with output "draining" while liveness
 *   keeps reporting its checks, so Kubernetes stops sending traffic without restarting the
 *   process.
 *
 * The registry does not run checks: health_monitor (asio layer) runs them on their schedule
 * and calls record(); passive checks are recorded by the application itself (a cache warm-up,
 * a feature flag). Endpoints read the cached reports, so probes never run a check.
 *
 * @par Thread Safety
 * add() must happen before the registry is shared. record(), report(), status(), drain(),
 * draining() and started() are thread-safe. report() copies one shared_ptr under a mutex.
 */
class health_registry {
    struct group_slot {
        std::atomic<health_status> status{health_status::pass};
        std::shared_ptr<const group_report> report; // guarded by the registry's mutex
    };

public:
    using check_id = std::size_t;

    /**
     * One group, resolved once (an endpoint resolves its group at registration): status() is
     * a single atomic load, report() a shared_ptr copy without a map lookup.
     */
    class group_ref {
    public:
        [[nodiscard]] health_status status() const noexcept {
            return slot_->status.load(std::memory_order_acquire);
        }
        [[nodiscard]] std::shared_ptr<const group_report> report() const {
            std::lock_guard lock{registry_->mutex_};
            return slot_->report;
        }

    private:
        friend class health_registry;
        group_ref(const health_registry* r, const group_slot* s) noexcept
            : registry_{r}, slot_{s} {}
        const health_registry* registry_;
        const group_slot* slot_;
    };

    BULWARK_CORE_API explicit health_registry(health_registry_config config = {});
    health_registry(const health_registry&) = delete;
    health_registry& operator=(const health_registry&) = delete;
    BULWARK_CORE_API ~health_registry();

    /**
     * Registers a check; it reports `fail` ("pending") until its first result is recorded.
     *
     * @throws std::system_error (error::invalid_config) naming the field when validate()
     *         rejects `config`, or "health_check_config.name" for a name already registered.
     */
    BULWARK_CORE_API check_id add(health_check_config config);

    /**
     * Stores the result of one run of check `id` and rebuilds the reports of its groups.
     *
     * A result outside the enumeration becomes `fail` ("invalid check result"); a non-finite
     * observed value is dropped; output is cut to 1024 bytes and the unit to 64. An `id` that
     * was not returned by add() is ignored.
     */
    BULWARK_CORE_API void record(check_id id, check_result result,
                                 std::chrono::system_clock::time_point at, duration took,
                                 bool timed_out = false);

    /// The id of the check named `name`, if registered.
    [[nodiscard]] BULWARK_CORE_API std::optional<check_id> find(std::string_view name) const;
    /// The configuration of check `id` as registered.
    [[nodiscard]] BULWARK_CORE_API const health_check_config& config(check_id id) const;
    /// Number of registered checks.
    [[nodiscard]] BULWARK_CORE_API std::size_t size() const noexcept;

    /// The current report of `group` (never null). Cheap: one shared_ptr copy.
    [[nodiscard]] BULWARK_CORE_API std::shared_ptr<const group_report>
    report(std::string_view group) const;
    /// report(group)->status.
    [[nodiscard]] BULWARK_CORE_API health_status status(std::string_view group) const;
    /// A handle to `group` (created empty if no check is in it yet), valid as long as the
    /// registry. Thread-safe.
    [[nodiscard]] BULWARK_CORE_API group_ref group(std::string_view group) const;

    /// Readiness fails from now on ("draining"); liveness is unaffected. Idempotent.
    BULWARK_CORE_API void drain();
    [[nodiscard]] bool draining() const noexcept {
        return draining_.load(std::memory_order_acquire);
    }
    /// True once the startup group has passed or warned (or has no checks).
    [[nodiscard]] bool started() const noexcept { return started_.load(std::memory_order_acquire); }

private:
    struct entry;
    void rebuild_locked(std::string_view group);
    [[nodiscard]] std::shared_ptr<group_report> build_locked(std::string_view group) const;
    group_slot& slot_locked(std::string_view group) const;
    void rebuild_all_locked();

    health_registry_config config_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<entry>> entries_;
    // Slots never move or disappear: group_ref points into them.
    mutable std::map<std::string, std::unique_ptr<group_slot>, std::less<>> groups_;
    std::shared_ptr<const group_report> empty_;
    std::uint64_t generation_ = 0;
    std::atomic<bool> draining_{false};
    bool startup_passed_ = false; // guarded by mutex_
    std::atomic<bool> started_{true};
};

} // namespace bulwark

#endif
