#pragma once
// The live lightprocs of one executor, so that shutdown can cancel them all and wait for them.

#include <bastion/executor/detail/proc_core.hpp>

#include "executor/spinlock.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace bastion::executor::detail {

/// Intrusive lists of live cores, sharded so that workers spawning and finishing lightprocs rarely meet on a lock:
/// a lightproc enters the shard of the thread that spawned it and leaves that same shard wherever it ends.
class ProcRegistry {
public:
    explicit ProcRegistry(std::size_t shards);

    /// Any thread. `shard` is taken modulo the shard count.
    void enter(ProcCoreBase* core, std::size_t shard) noexcept;
    /// Called by the core itself when it finishes.
    void leave(ProcCoreBase* core) noexcept;

    std::size_t live() const noexcept;
    /// Asks every live lightproc to stop.
    void cancel_all();
    /// Waits up to `timeout` for the registry to empty; true if it is empty.
    bool wait_empty_for(std::chrono::milliseconds timeout);

private:
    struct alignas(64) Shard {
        Spinlock lock;
        ProcCoreBase* head = nullptr;
        std::size_t count = 0;
    };
    std::unique_ptr<Shard[]> shards_;
    std::size_t shard_count_;
    std::atomic<bool> waiting_{false};  // someone waits for empty: only then do leavers count every shard
    std::mutex empty_mutex_;
    std::condition_variable empty_;
};

}  // namespace bastion::executor::detail
