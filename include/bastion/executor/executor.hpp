#pragma once
/// \file
/// The SMP executor: pinned workers running lightprocs with work stealing, and a blocking pool beside them.

#include <bastion/executor/detail/make_proc.hpp>
#include <bastion/executor/light_proc.hpp>
#include <bastion/executor/proc_handle.hpp>
#include <bastion/executor/proc_stack.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace bastion::executor {

/// Whether workers are bound to one processing unit each.
enum class Pinning { Pinned, Unpinned };

/// Knobs of an Executor. Zero means "from the environment, else the default".
struct ExecutorConfig {
    /// Worker threads. `BASTION_WORKERS`, else one per processing unit the process may use.
    std::size_t workers = 0;
    /// Threads the blocking pool keeps when idle (it grows on demand and shrinks back to this).
    /// `BASTION_BLOCKING_THREADS`, else 2 (as upstream).
    std::size_t blocking_threads = 0;
    /// Usable bytes of each lightproc's stack. `BASTION_STACK_SIZE`, else 64 KiB. Virtual memory: only the pages a
    /// lightproc touches cost memory. Deep recursion or large locals need more; see StackPool for overflow checks.
    std::size_t stack_size = 0;
    /// Bytes at the top of each new stack touched when it is mapped, so fresh lightprocs take no page faults.
    std::size_t stack_prefault = 4096;
    /// Whether each worker is bound to one processing unit (with hwloc, or `pthread_setaffinity_np` without).
    Pinning pinning = Pinning::Pinned;
    /// How long an idle worker polls for work before it parks. Waking a parked worker costs ~40-50 us in a VM.
    std::chrono::microseconds spin_before_park{50};
    /// How long an idle blocking thread above the low watermark waits before it exits.
    std::chrono::milliseconds blocking_keep_alive{1000};

    /// This config with every zero filled in from the environment and the defaults.
    ExecutorConfig resolved() const;
};

/// Counters since the executor started (relaxed reads: a picture, not a transaction).
struct ExecutorStats {
    std::uint64_t spawned = 0;  ///< lightprocs submitted to the workers
    std::uint64_t steals = 0;   ///< lightprocs a worker took from another's queue
    std::uint64_t parks = 0;    ///< times a worker went to sleep
    std::uint64_t wakes = 0;    ///< times a worker was woken by another thread
    std::size_t live = 0;       ///< lightprocs submitted and not yet finished (workers and blocking pool)
    std::size_t blocking_threads = 0;  ///< threads in the blocking pool now
};

/// Runs lightprocs on pinned worker threads, one per processing unit by default, each with its own run queue
/// (last in, first out, with a hand-off slot for the lightproc woken last), stealing the oldest work of the nearest
/// busy worker when idle, and parking with no CPU use when there is nothing to do. A separate pool runs blocking
/// work. Several executors can live in one process.
///
/// Destruction (or `shutdown()`) cancels every live lightproc, waits for each to end (a lightproc ends at its next
/// bastion wait point once cancelled), and joins the threads. Do not destroy an executor from one of its own
/// lightprocs.
class Executor {
public:
    /// Starts the workers and the blocking pool, with `config` resolved (zeros from the environment, else defaults).
    explicit Executor(ExecutorConfig config = {});
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    /// The process-wide executor that `spawn`, `blocking` and `SPAWN` use, started on first use. Rust: `pool::get()`.
    static Executor& global();

    /// The executor whose worker or blocking thread is calling, or nullptr on any other thread.
    static Executor* current() noexcept;

    /// Runs `fn` as a new lightproc on this executor. Any thread. From a worker it is queued locally (no lock shared
    /// with other workers); from elsewhere it goes through the injection queue. Rust: `pool::spawn`.
    template <class F>
    RecoverableHandle<detail::ProcResultOf<F>> spawn(F&& fn, ProcStack stack = {}) {
        return spawn_at(detail::ProcCoreBase::unbound, std::forward<F>(fn), std::move(stack));
    }

    /// Runs `fn` as a new lightproc bound to worker `worker` (counted modulo `workers()`): it starts there, every
    /// wake-up brings it back there, and no other worker steals it. For a latency-critical lightproc that should keep
    /// its core and cache, or to place two on different cores; unbound lightprocs balance the load better. Any
    /// thread. No upstream equivalent.
    template <class F>
    RecoverableHandle<detail::ProcResultOf<F>> spawn_on(std::size_t worker, F&& fn, ProcStack stack = {}) {
        return spawn_at(static_cast<std::uint32_t>(worker % workers()), std::forward<F>(fn), std::move(stack));
    }

    /// Runs `fn`, which may block its thread, as a lightproc on the blocking pool. Rust: `blocking::spawn_blocking`.
    template <class F>
    RecoverableHandle<detail::ProcResultOf<F>> blocking(F&& fn, ProcStack stack = {}) {
        auto made = detail::make_proc(std::forward<F>(fn), std::move(stack), stack_pool());
        submit_blocking(made.context, made.core);
        return ProcHandle<detail::ProcResultOf<F>>{detail::AdoptProc{}, std::move(made.context), made.core};
    }

    /// Cancels all lightprocs, waits for them to end and stops every thread. Idempotent.
    void shutdown();

    /// The number of worker threads.
    std::size_t workers() const noexcept;
    /// The resolved configuration this executor runs with.
    const ExecutorConfig& config() const noexcept;
    /// The counters now; any thread.
    ExecutorStats stats() const noexcept;
    /// Where this executor's lightprocs take their stacks from.
    detail::StackPool& stack_pool() const noexcept;

private:
    // A new lightproc on the workers, bound to worker `home` unless it is ProcCoreBase::unbound.
    template <class F>
    RecoverableHandle<detail::ProcResultOf<F>> spawn_at(std::uint32_t home, F&& fn, ProcStack stack) {
        auto made = detail::make_proc(std::forward<F>(fn), std::move(stack), stack_pool());
        made.core->home = home;
        submit(made.context.get(), made.core);
        return ProcHandle<detail::ProcResultOf<F>>{detail::AdoptProc{}, std::move(made.context), made.core};
    }
    void submit(boost::fibers::context* context, detail::ProcCoreBase* core);
    void submit_blocking(boost::intrusive_ptr<boost::fibers::context> context, detail::ProcCoreBase* core);

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bastion::executor
