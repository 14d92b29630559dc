#ifndef BULWARK_TELEMETRY_LOG_LOG_FIELD_HPP
#define BULWARK_TELEMETRY_LOG_LOG_FIELD_HPP

#include <bulwark/config.hpp>

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark::telemetry {

/**
 * One structured field of a log call: a key and a typed value, written as a JSON member.
 *
 * A field refers to its key and string value without copying them, so it is meant to live
 * only for the call it is passed to: `log.info("served", {{"status", 200}, {"route", r}})`.
 * The type follows the value: strings are JSON strings (redacted), integers and finite
 * floating-point numbers are JSON numbers (NaN and infinities become `null`), `bool` is
 * `true`/`false`.
 */
class log_field {
public:
    enum class kind : std::uint8_t {
        string,
        verbatim,
        integer,
        unsigned_integer,
        floating,
        boolean
    };

    log_field(std::string_view key, std::string_view value) noexcept
        : key_{key}, kind_{kind::string}, s_{value} {}
    log_field(std::string_view key, const char* value) noexcept
        : log_field(key, std::string_view{value != nullptr ? value : ""}) {}
    log_field(std::string_view key, const std::string& value) noexcept
        : log_field(key, std::string_view{value}) {}
    log_field(std::string_view key, bool value) noexcept
        : key_{key}, kind_{kind::boolean}, b_{value} {}
    template <std::signed_integral T>
    log_field(std::string_view key, T value) noexcept
        : key_{key}, kind_{kind::integer}, i_{value} {}
    template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>) log_field(std::string_view key, T value)
    noexcept : key_{key}, kind_{kind::unsigned_integer}, u_{value} {}
    template <std::floating_point T>
    log_field(std::string_view key, T value) noexcept
        : key_{key}, kind_{kind::floating}, d_{static_cast<double>(value)} {}

    /**
     * A string the logger escapes but does not redact: for values the program produced itself
     * and knows to be safe (ids, route templates, an address already masked). Never use it for
     * anything a client sent.
     */
    [[nodiscard]] static log_field verbatim(std::string_view key, std::string_view value) noexcept {
        log_field f{key, value};
        f.kind_ = kind::verbatim;
        return f;
    }

    [[nodiscard]] std::string_view key() const noexcept { return key_; }
    [[nodiscard]] kind type() const noexcept { return kind_; }
    [[nodiscard]] std::string_view string_value() const noexcept {
        return kind_ == kind::string || kind_ == kind::verbatim ? s_ : std::string_view{};
    }
    [[nodiscard]] std::int64_t integer_value() const noexcept {
        return kind_ == kind::integer ? i_ : 0;
    }
    [[nodiscard]] std::uint64_t unsigned_value() const noexcept {
        return kind_ == kind::unsigned_integer ? u_ : 0;
    }
    [[nodiscard]] double floating_value() const noexcept {
        return kind_ == kind::floating ? d_ : 0.0;
    }
    [[nodiscard]] bool bool_value() const noexcept { return kind_ == kind::boolean && b_; }

private:
    std::string_view key_;
    kind kind_;
    union {
        std::string_view s_;
        std::int64_t i_;
        std::uint64_t u_;
        double d_;
        bool b_;
    };
};

} // namespace bulwark::telemetry

#endif
