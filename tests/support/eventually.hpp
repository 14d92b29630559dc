#ifndef BULWARK_TESTS_SUPPORT_EVENTUALLY_HPP
#define BULWARK_TESTS_SUPPORT_EVENTUALLY_HPP

#include <chrono>
#include <thread>

namespace bulwark::test {

// Waits (bounded) for a condition another thread makes true, such as a completion hook that
// runs just after the client has read its response. Not a sleep: it returns as soon as `p()`
// holds; the 10 s bound only turns a hang into a failure.
template <class Pred>
bool eventually(Pred p) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (!p() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    return p();
}

} // namespace bulwark::test

#endif
