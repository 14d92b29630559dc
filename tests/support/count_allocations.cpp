#include <cstdlib>
#include <new>
#include <support/count_allocations.hpp>

// Counts each thread's operator new calls, so tests can show that a hot path allocates
// nothing. Every non-aligned form is replaced, so each allocation and its release go through
// the same pair (mixing ours with the sanitizer's would be an alloc-dealloc mismatch).
namespace {
thread_local std::size_t allocations = 0;

void* counted_malloc(std::size_t size) noexcept {
    ++allocations;
    return std::malloc(size == 0 ? 1 : size);
}
void* counted_or_throw(std::size_t size) {
    if (void* p = counted_malloc(size)) {
        return p;
    }
    throw std::bad_alloc{};
}
} // namespace
void* operator new(std::size_t size) {
    return counted_or_throw(size);
}
void* operator new[](std::size_t size) {
    return counted_or_throw(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return counted_malloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return counted_malloc(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}

namespace bulwark::test {

std::size_t allocations_on_this_thread() noexcept {
    return allocations;
}

} // namespace bulwark::test
