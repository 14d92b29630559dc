#ifndef BULWARK_CORE_HEALTH_CIRCUIT_BREAKER_CHECK_HPP
#define BULWARK_CORE_HEALTH_CIRCUIT_BREAKER_CHECK_HPP

#include <bulwark/core/circuit_breaker/circuit_breaker.hpp>
#include <bulwark/core/health/check_result.hpp>

#include <string>

namespace bulwark {

/**
 * A circuit breaker as a health contributor (usually of readiness): `fail` while it is open
 * or forced open (the dependency behind it is being shed), `warn` while half-open (probing
 * recovery), `pass` otherwise. The observed value is the failure rate of the breaker's window
 * in percent, when it has one.
 *
 * Register it non-critical when the service can still serve without that dependency (the group
 * then only warns), critical when it cannot.
 *
 * @code
 * monitor.add({.name = "payments:circuit", .critical = false, .timeout = 1s, .interval = 1s},
 *             bulwark::circuit_breaker_check{breaker});
 * @endcode
 *
 * @par Thread Safety
 * As thread-safe as the breaker's state() and snapshot() (both are). The breaker must outlive
 * the check.
 */
template <class Breaker>
class circuit_breaker_check {
public:
    explicit circuit_breaker_check(const Breaker& breaker) noexcept : breaker_{&breaker} {}

    [[nodiscard]] check_result operator()() const {
        const auto snap = breaker_->snapshot();
        check_result r;
        switch (snap.state) {
        case breaker_state::open:
        case breaker_state::forced_open:
            r = check_result::fail(std::string{"circuit "} + to_string(snap.state));
            break;
        case breaker_state::half_open: r = check_result::warn("circuit half_open"); break;
        case breaker_state::closed:
        case breaker_state::disabled:
        case breaker_state::metrics_only: r = check_result::pass(); break;
        }
        if (snap.failure_rate) {
            r.observed(*snap.failure_rate, "percent");
        }
        return r;
    }

private:
    const Breaker* breaker_;
};

} // namespace bulwark

#endif
