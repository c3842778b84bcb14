#pragma once
// What the DSL tests share beside support/system.hpp's RunningSystem: a log that actors write to and tests wait on.

#include "support/system.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace bastion::test {

/// Lines written by actors (any thread), read by the test once enough have arrived.
class Recorder {
public:
    void add(std::string line) {
        {
            std::lock_guard guard{lock_};
            lines_.push_back(std::move(line));
        }
        changed_.notify_all();
    }

    /// The lines once there are at least `count`; fails the test naming `what` if `timeout` passes first.
    std::vector<std::string> wait_for(std::size_t count, const char* what,
                                      std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
        std::unique_lock guard{lock_};
        if (!changed_.wait_for(guard, timeout, [&] { return lines_.size() >= count; })) {
            FAIL_CHECK("timed out waiting for " << count << " line(s): " << what);
        }
        return lines_;
    }

    std::vector<std::string> lines() {
        std::lock_guard guard{lock_};
        return lines_;
    }

private:
    std::mutex lock_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
};

/// The group's only element, once it exists.
inline ChildRef only_elem(const ChildrenRef& group) {
    auto elems = group.elems();
    REQUIRE(elems.size() == 1);
    return elems.front();
}

}  // namespace bastion::test
