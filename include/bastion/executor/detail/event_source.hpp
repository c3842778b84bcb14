#pragma once
// What a worker polls between lightprocs and sleeps in when idle: the seam through which the IO layer puts its
// proactor inside the scheduler without the executor knowing about IO.

#include <chrono>
#include <memory>

namespace bastion::executor::detail {

/// A per-worker source of wake-ups other than the run queues (IO completions). Installed by the layer above on the
/// worker that first needs one; from then on that worker polls it between lightprocs and parks inside `wait` instead
/// of on its futex. Every member but `interrupt` runs on the owning worker's thread.
class EventSource {
public:
    virtual ~EventSource() = default;

    /// Hands queued requests to the kernel and completes what finished, without sleeping. Completing wakes the
    /// waiting lightprocs, which land in this worker's run queue. True if it woke any.
    virtual bool poll() noexcept = 0;
    /// Whether `poll` has anything to do: requests queued or in flight. Cheap; read before every poll.
    virtual bool pending() const noexcept = 0;
    /// Like `poll`, then sleeps until an event, `interrupt()` or `deadline`, whichever comes first.
    virtual void wait(std::chrono::steady_clock::time_point deadline) noexcept = 0;
    /// Ends a `wait` in progress, or the next one. Any thread.
    virtual void interrupt() noexcept = 0;
};

/// The event source of the executor worker running the calling thread, or nullptr if it has none or the thread is
/// not a worker. Read it anew after every suspension: a lightproc may resume on another worker.
EventSource* this_worker_event_source() noexcept;

/// The calling worker's event source, made by `make` (and owned by the worker until its executor stops) if it has
/// none yet; nullptr if the calling thread is not an executor worker.
EventSource* worker_event_source(std::unique_ptr<EventSource> (*make)());

}  // namespace bastion::executor::detail
