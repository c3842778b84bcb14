#pragma once
// Per-thread state of the executor, read only through these out-of-line functions.
//
// A fiber may resume on another thread, and the compiler caches a thread-local's address (even pthread_self())
// within a function across calls it cannot see into. So thread-locals are never touched inline in code that can
// suspend: each read is a call into this translation unit, made after any suspension.

#include <cstddef>

namespace boost::fibers {
class scheduler;
}

namespace bastion::executor {
class Executor;
}

namespace bastion::executor::detail {

class Parker;
class SmpAlgorithm;
class WorkerPool;

/// The Boost scheduler of the executor worker running this thread, or nullptr.
boost::fibers::scheduler* this_thread_scheduler() noexcept;
void set_this_thread_scheduler(boost::fibers::scheduler* scheduler) noexcept;

/// The calling thread's own parker (for plain threads and a worker's main context).
Parker& this_thread_parker() noexcept;

/// The worker running this thread (pool and index), or {nullptr, 0}.
struct WorkerSlot {
    WorkerPool* pool = nullptr;
    std::size_t index = 0;
    SmpAlgorithm* algorithm = nullptr;
};
WorkerSlot this_thread_worker() noexcept;
/// `this_thread_worker().algorithm`, returned in a register (the yield path reads only this).
SmpAlgorithm* this_thread_algorithm() noexcept;
void set_this_thread_worker(WorkerSlot slot) noexcept;

/// The executor whose blocking pool runs this thread, or nullptr.
Executor* this_thread_blocking_executor() noexcept;
void set_this_thread_blocking_executor(Executor* executor) noexcept;

}  // namespace bastion::executor::detail
