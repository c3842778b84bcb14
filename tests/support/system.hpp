#pragma once
// A running actor system per test case, and a thread-safe log to assert orderings on.

#include "support/wait.hpp"

#include <bastion/bastion.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

namespace bastion::test {

/// Initialises and starts a fresh system; stops it and waits for it on scope exit. Failure reports are hidden: the
/// tests provoke many on purpose.
class RunningSystem {
public:
    explicit RunningSystem(Config config = Config{}.hide_backtraces(), bool start = true) {
        Bastion::init_with(config);
        if (start) Bastion::start();
    }
    RunningSystem(const RunningSystem&) = delete;
    RunningSystem& operator=(const RunningSystem&) = delete;
    ~RunningSystem() {
        Bastion::stop();
        Bastion::block_until_stopped();
    }
};

/// Lines appended from any thread or actor, read back in order.
class Log {
public:
    void add(std::string line) {
        std::lock_guard lock{lock_};
        lines_.push_back(std::move(line));
    }
    std::vector<std::string> lines() const {
        std::lock_guard lock{lock_};
        return lines_;
    }
    std::size_t count(const std::string& line) const {
        std::lock_guard lock{lock_};
        return static_cast<std::size_t>(std::count(lines_.begin(), lines_.end(), line));
    }
    /// Index of the first occurrence of `line`, or -1.
    long index(const std::string& line) const {
        std::lock_guard lock{lock_};
        auto it = std::find(lines_.begin(), lines_.end(), line);
        return it == lines_.end() ? -1 : static_cast<long>(it - lines_.begin());
    }
    bool wait_count(const std::string& line, std::size_t n) const {
        return wait_until(line, [&] { return count(line) >= n; });
    }

private:
    mutable std::mutex lock_;
    std::vector<std::string> lines_;
};

}  // namespace bastion::test
