#ifndef BULWARK_REDIS_REPLY_HPP
#define BULWARK_REDIS_REPLY_HPP

#include <bulwark/config.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace bulwark::redis {

/**
 * One Redis reply (RESP2), owned: what hiredis's protocol reader parsed, copied out of its
 * allocation.
 *
 * An error reply (`-ERR ...`, `-NOSCRIPT ...`) is a reply, not an error_code: the command
 * reached the server and was answered. `kind::error` holds the server's text in `text`.
 */
struct reply {
    enum class kind : std::uint8_t { nil, status, error, integer, string, array };

    kind type = kind::nil;
    std::int64_t integer = 0;    ///< kind::integer
    std::string text;            ///< kind::status, kind::error, kind::string
    std::vector<reply> elements; ///< kind::array

    [[nodiscard]] bool is_error() const noexcept { return type == kind::error; }
    /// The error's code: its first word (`NOSCRIPT`, `ERR`, `WRONGPASS`), or empty.
    [[nodiscard]] std::string_view error_code() const noexcept {
        if (type != kind::error) {
            return {};
        }
        const std::string_view t{text};
        return t.substr(0, t.find(' '));
    }
};

/**
 * A command: its arguments encoded once as RESP bulk strings, ready to be written.
 *
 * @par Example
 * @code
 * redis::command cmd{"EVALSHA", sha, 1, key, rate_ns, burst};
 * @endcode
 */
class command {
public:
    command() = default;

    template <class... Args>
    explicit command(const Args&... args) {
        (arg(args), ...);
    }

    BULWARK_REDIS_API command& arg(std::string_view value);
    command& arg(const char* value) { return arg(std::string_view{value}); }
    command& arg(const std::string& value) { return arg(std::string_view{value}); }
    template <std::integral I>
    command& arg(I value) {
        if constexpr (std::is_same_v<I, bool>) {
            return append_signed(value ? 1 : 0);
        } else if constexpr (std::is_signed_v<I>) {
            return append_signed(value);
        } else {
            return append_unsigned(value);
        }
    }

    [[nodiscard]] std::size_t argument_count() const noexcept { return argc_; }
    /// Argument `index` (0: the command's name as given), or empty past the last.
    [[nodiscard]] BULWARK_REDIS_API std::string_view argument(std::size_t index) const noexcept;

    /// Appends the whole command (array header and arguments) to `out`.
    BULWARK_REDIS_API void encode(std::string& out) const;

private:
    BULWARK_REDIS_API command& append_signed(std::int64_t value);
    BULWARK_REDIS_API command& append_unsigned(std::uint64_t value);

    std::string body_;
    std::size_t argc_ = 0;
};

} // namespace bulwark::redis

#endif
