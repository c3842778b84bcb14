#pragma once
// Threads for lightprocs that block their thread: grown on demand, shrunk back to a low watermark when idle.

#include <bastion/executor/light_proc.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <list>
#include <mutex>
#include <thread>

namespace bastion::executor {
class Executor;
}

namespace bastion::executor::detail {

class BlockingPool {
public:
    /// Keeps up to `low_watermark` idle threads; others exit after `keep_alive` without work.
    BlockingPool(Executor& owner, std::size_t low_watermark, std::chrono::milliseconds keep_alive);
    ~BlockingPool();
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    /// Queues a lightproc; starts a thread when none is idle.
    void submit(LightProc proc);
    /// Stops taking work, waits for the threads to finish what they run, joins them.
    void stop();
    std::size_t threads() const;

    /// Upper bound on threads, so a burst of blocking work cannot exhaust the process.
    static constexpr std::size_t max_threads = 512;

private:
    struct Thread {
        std::thread thread;
        bool finished = false;
    };
    void run(Thread* self);
    void reap_finished();  // joins threads that exited on their own; mutex_ held

    Executor& owner_;
    std::size_t low_watermark_;
    std::chrono::milliseconds keep_alive_;
    mutable std::mutex mutex_;
    std::condition_variable work_;
    std::deque<LightProc> queue_;
    std::list<Thread> threads_;
    std::size_t running_ = 0;  // threads not finished
    std::size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace bastion::executor::detail
