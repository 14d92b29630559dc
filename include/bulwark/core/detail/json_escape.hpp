#ifndef BULWARK_CORE_DETAIL_JSON_ESCAPE_HPP
#define BULWARK_CORE_DETAIL_JSON_ESCAPE_HPP

#include <bulwark/config.hpp>

#include <string>
#include <string_view>

namespace bulwark::detail {

/**
 * Appends `value` to `out` as a JSON string literal, quotes included (RFC 8259 section 7).
 *
 * Escapes '"', '\\' and every control character below U+0020. Bytes that are not well-formed
 * UTF-8 (stray continuation bytes, overlong forms, surrogates, code points above U+10FFFF,
 * truncated sequences) are replaced by U+FFFD, so the output is always valid JSON and valid
 * UTF-8 whatever a client sent. Used for problem+json bodies, health+json and JSON logs.
 *
 * @par Thread Safety
 * Reentrant.
 */
BULWARK_CORE_API void append_json_string(std::string& out, std::string_view value);

} // namespace bulwark::detail

#endif
