#ifndef BULWARK_CORE_TRACE_TRACE_ID_GENERATOR_HPP
#define BULWARK_CORE_TRACE_TRACE_ID_GENERATOR_HPP

#include <bulwark/config.hpp>
#include <bulwark/core/trace/traceparent.hpp>

namespace bulwark {

/**
 * A new random trace id: 128 bits from a per-thread xoshiro256** generator seeded from
 * std::random_device (the kernel's CSPRNG on Linux), never all zero. Ids made this way are
 * random in every byte, so a new trace may set trace_flag_random (Trace Context Level 2).
 *
 * The generator is fast (a few ns, no lock, no system call after a thread's first id) and
 * unpredictable enough that ids cannot be guessed from the outside without its seed; it is not
 * a source of secrets (use OpenSSL's RAND_bytes for keys and tokens).
 *
 * @par Thread Safety
 * Thread-safe: each thread has its own generator.
 */
[[nodiscard]] BULWARK_CORE_API trace_id new_trace_id() noexcept;

/// A new random span id (64 bits, never all zero), from the same per-thread generator.
[[nodiscard]] BULWARK_CORE_API span_id new_span_id() noexcept;

} // namespace bulwark

#endif
