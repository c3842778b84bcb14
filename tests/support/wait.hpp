#pragma once
// Deadline-based waiting for tests: poll a predicate, fail naming what was awaited.

#include <doctest/doctest.h>

#include <chrono>
#include <string_view>
#include <thread>

namespace bastion::test {

/// Polls `done()` until it holds or `timeout` passes; fails the test naming `what` on timeout.
template <class Predicate>
bool wait_until(std::string_view what, Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            FAIL_CHECK("timed out waiting for: " << what);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds{200});
    }
    return true;
}

}  // namespace bastion::test
