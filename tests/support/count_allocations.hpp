#ifndef BULWARK_TESTS_SUPPORT_COUNT_ALLOCATIONS_HPP
#define BULWARK_TESTS_SUPPORT_COUNT_ALLOCATIONS_HPP

#include <cstddef>

// A suite that links support/count_allocations.cpp replaces the global operator new and
// delete with counting ones (every non-aligned form, so each allocation and its release go
// through the same pair, which the sanitizers require).
namespace bulwark::test {

/// How many times operator new has run on the calling thread since it started.
[[nodiscard]] std::size_t allocations_on_this_thread() noexcept;

} // namespace bulwark::test

#endif
