#ifndef BULWARK_CORE_REDACT_REDACTOR_HPP
#define BULWARK_CORE_REDACT_REDACTOR_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/redact/detector.hpp>
#include <bulwark/core/redact/redactor_config.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {

namespace detail {
struct redactor_state;
} // namespace detail

/// The most detectors a redactor has: the built-ins, then up to 16 custom ones.
inline constexpr std::size_t max_redaction_detectors =
    builtin_detector_count + max_custom_detectors;

/// One match: bytes [begin, end) of the input, and the index of the detector that found it
/// (a `detector` value for the built-ins, then `builtin_detector_count + i` for custom i).
struct redaction_match {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t detector = 0;

    friend bool operator==(const redaction_match&, const redaction_match&) = default;
};

/// Matches per detector index, added to by `redactor::redact`.
struct redaction_counts {
    std::array<std::uint64_t, max_redaction_detectors> by_detector{};

    /// The sum over all detectors.
    [[nodiscard]] std::uint64_t total() const noexcept {
        std::uint64_t sum = 0;
        for (const auto n : by_detector) {
            sum += n;
        }
        return sum;
    }
};

/// What `redactor::redact` did.
enum class redact_status : std::uint8_t {
    clean,    ///< nothing found: the input is safe to write as it is, `out` was not touched
    redacted, ///< `out` holds the redacted line
    failed,   ///< redaction could not complete (allocation, a throwing validator or keyed
              ///< hash): `out` is unspecified and the line must not be written
};

/**
 * Finds PII and secrets in text and replaces them, in one pass.
 *
 * The scan visits each byte once: a table lookup skips every byte that cannot start or mark a
 * match (letters, spaces, most punctuation), and only digits, 'A', 'B', 'J', '@', ':', '=',
 * '+', '(' and the first bytes of custom prefixes are examined further.
 * Candidates are confirmed by structure and checksums (Luhn for cards, mod 97-10 for IBANs,
 * issued ranges for SSNs), which keeps order ids, digests, UUIDs, timestamps, versions and
 * prices out. docs/redaction.md lists each detector's rules and its precision and recall on
 * bulwark's labelled corpus.
 *
 * Nothing is allocated when nothing is found.
 *
 * @par Thread Safety
 * Immutable after construction: `redact`, `find` and `sensitive_field` may be called from any
 * number of threads at once.
 */
class BULWARK_CORE_API redactor {
public:
    /// Redactor with the defaults: every built-in detector masks.
    redactor();

    /// @throws std::system_error(error::invalid_config) naming the field `validate` rejected.
    explicit redactor(redactor_config config);

    redactor(const redactor&) = delete;
    redactor& operator=(const redactor&) = delete;
    redactor(redactor&&) noexcept;
    redactor& operator=(redactor&&) noexcept;
    ~redactor();

    /**
     * Redacts `in` into `out`.
     *
     * @return `clean` when nothing was found (`out` untouched: write `in`), `redacted` when
     *         `out` holds the result (its previous contents replaced), `failed` when the line
     *         must be dropped. When `counts` is given, each replacement adds one to its
     *         detector's entry (on `failed`, the replacements made before the failure have
     *         been counted).
     */
    [[nodiscard]] redact_status redact(std::string_view in, std::string& out,
                                       redaction_counts* counts = nullptr) const noexcept;

    /// `in` redacted, or `in` itself when clean. Fails closed: throws what `redact` caught
    /// (std::bad_alloc, a validator's or keyed hash's exception) rather than return the input.
    [[nodiscard]] std::string redact(std::string_view in) const;

    /// Appends to `matches` what `redact` would replace, in order, without replacing it.
    /// Allowlisted values and detectors in mode `off` are not reported. @throws what a
    /// validator throws, or std::bad_alloc.
    void find(std::string_view in, std::vector<redaction_match>& matches) const;

    /**
     * Whether a structured field named `name` holds a secret whatever its value: the `secret`
     * detector's key rule (built-in names, `extra_secret_keys`). The logging layer masks such
     * fields whole.
     */
    [[nodiscard]] bool sensitive_field(std::string_view name) const noexcept;

    /// The label of detector index `index` ("email", ..., or a custom detector's name); empty
    /// past the last one.
    [[nodiscard]] std::string_view detector_name(std::size_t index) const noexcept;

    /// The number of detector indexes: built-ins plus custom detectors.
    [[nodiscard]] std::size_t detector_count() const noexcept;

private:
    std::unique_ptr<const detail::redactor_state> impl_;
};

} // namespace bulwark

#endif
