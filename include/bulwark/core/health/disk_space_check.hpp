#ifndef BULWARK_CORE_HEALTH_DISK_SPACE_CHECK_HPP
#define BULWARK_CORE_HEALTH_DISK_SPACE_CHECK_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/error.hpp>
#include <bulwark/core/health/check_result.hpp>

#include <cstdint>
#include <filesystem>
#include <system_error>

namespace bulwark {

/// Configuration of a disk_space_check.
struct disk_space_check_config {
    /// Any path on the filesystem to watch (a file or a directory; it must exist). Default ".",
    /// the working directory. Must not be empty.
    std::filesystem::path path = ".";
    /// Below this share of the capacity available, in percent, the check reports `warn`.
    /// Default 10. 0 disables the warning. Finite, in [0, 100].
    double warn_below_percent = 10.0;
    /// Below this share of the capacity available, in percent, the check reports `fail`.
    /// Default 5. 0 disables it. Finite, in [0, 100], and at most `warn_below_percent` unless
    /// that is 0.
    double fail_below_percent = 5.0;
    /// An absolute floor, in bytes: fewer bytes available reports `fail` whatever the share
    /// (a 5% margin of a 20 TB volume is 1 TB; of a 2 GB one, 100 MB). Default 0: disabled.
    std::uint64_t fail_below_bytes = 0;
};

/**
 * Checks `c`: a non-empty path, percents finite and in [0, 100], `fail_below_percent <=
 * warn_below_percent` unless the warning is disabled.
 *
 * @return error::invalid_config with `issue` naming the field, e.g.
 *         "disk_space_check_config.fail_below_percent", or an empty error_code.
 */
[[nodiscard]] BULWARK_CORE_API std::error_code validate(const disk_space_check_config& c,
                                                        config_issue* issue = nullptr) noexcept;

/**
 * A synchronous health check of the free space on one filesystem: a full disk is the classic
 * cause of a service that still answers but can no longer write its logs, spool or database.
 *
 * Each call asks the filesystem (std::filesystem::space, i.e. statvfs) for the bytes available
 * to an unprivileged process and compares their share of the capacity with the thresholds. The
 * observed value is that share, in "percent"; a `warn` or `fail` output states the bytes too,
 * e.g. "1.2 GiB available (3.1%), below 5%" or "512.0 MiB available, below the 1.0 GiB floor".
 * A filesystem that cannot be read fails with an output naming the path and the OS error; one
 * reporting zero capacity fails too.
 *
 * Register it as a check of the readiness group (or liveness, if the process cannot recover
 * from a full disk without a restart): `registry.add(...)` then the monitor calls it every
 * interval.
 *
 * @par Thread Safety
 * operator() is const and may be called from any number of threads at once. Copies are
 * independent.
 */
class disk_space_check {
public:
    /// @throws std::system_error (error::invalid_config) naming the offending field.
    BULWARK_CORE_API explicit disk_space_check(disk_space_check_config config);

    /// Runs the check once. Never throws (a failure to allocate the output still yields
    /// `fail`).
    [[nodiscard]] BULWARK_CORE_API check_result operator()() const;

    /**
     * The decision alone, for a given measurement: fail when the capacity is zero, when the
     * available share is below `fail_below_percent` or the available bytes below
     * `fail_below_bytes`; warn when the share is below `warn_below_percent`; otherwise pass.
     * "Below" is strict: exactly 5% available with a 5% threshold passes. `config` is not
     * validated here.
     */
    [[nodiscard]] BULWARK_CORE_API static check_result
    evaluate(const disk_space_check_config& config, const std::filesystem::space_info& space);

    [[nodiscard]] const disk_space_check_config& config() const noexcept { return config_; }

private:
    disk_space_check_config config_;
};

} // namespace bulwark

#endif
