#pragma once
// The Boost.Fiber scheduling algorithm of one executor worker.

#include "executor/worker_pool.hpp"

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bastion::executor::detail {

class Parker;
class ProcCoreBase;

/// One per worker thread, installed with `use_scheduling_algorithm`; Boost calls every hook on the worker's own
/// thread except `notify()`, which any thread may call.
///
/// Order of picks: the worker's main context (only at stop); the dispatcher when Boost queued remote wake-ups or every
/// 32nd pick (it reaps finished fibers and expired timers); the hand-off slot (the lightproc woken or spawned last,
/// so a send-and-wait pair stays on one core and cache); the bound queue, oldest first (lightprocs bound to this
/// worker, which nobody else may run); the back of the queue (newest first, so spawn trees run depth first and stay
/// small); then the injection queue and the oldest work of the nearest peer. Every 64th pick looks at the clock: if
/// work has waited a millisecond, the front of the queue (or, every other time, of the bound queue) runs next, so a
/// ping-ponging pair cannot starve the rest, and pending injected work is taken. An idle worker backs off from
/// stealing work too fine to be worth moving (see `steal_backoff_`).
///
/// A worker with an EventSource (its IO ring, installed by the IO layer) polls it in the dispatcher's picks and parks
/// inside it instead of on its futex; a waker then interrupts the source rather than the futex.
class SmpAlgorithm final : public boost::fibers::algo::algorithm {
public:
    SmpAlgorithm(WorkerPool& pool, std::size_t index) noexcept;
    ~SmpAlgorithm() override;

    void awakened(boost::fibers::context* ctx) noexcept override;
    boost::fibers::context* pick_next() noexcept override;
    bool has_ready_fibers() const noexcept override;
    void suspend_until(std::chrono::steady_clock::time_point const& deadline) noexcept override;
    void notify() noexcept override;

    /// Queues a context that has never run (not attached to any scheduler). Owner thread only.
    void push_new(boost::fibers::context* ctx) noexcept;
    /// Yields the fiber running on this worker, from its own stack: the next pick runs and the yielder goes behind
    /// the rest of the queue. False, having done nothing, when what runs is this worker's own (main or dispatcher)
    /// context. Boost's `this_fiber::yield` would look up the running fiber in a thread-local that the picks already
    /// track. Nothing here reads the yielder's core: a switch touches as few cache lines as it can. The yielder may
    /// resume on another worker: nothing of `this` is touched after.
    bool yield_running() noexcept;

    Worker& worker() noexcept { return self_; }
    /// Watches `word` for the bound lightproc parked on `parker` (see watch_word): once the word holds anything but
    /// `mark`, this worker's next pick (or its idle loop) wakes the lightproc. False if it watches too many already.
    bool watch(const std::atomic<std::uintptr_t>& word, std::uintptr_t mark, Parker& parker) noexcept;
    /// Stops watching `word`, if it still does.
    void unwatch(const std::atomic<std::uintptr_t>& word) noexcept;


private:
    void push(boost::fibers::context* ctx, bool to_front, bool bound) noexcept;
    /// The next local pick, tagged as the hand-off slot is (Worker::bound_tag if bound), or 0.
    std::uintptr_t pop_local() noexcept;
    /// Empties the hand-off slot; what it held (with Worker::bound_tag if bound), or 0.
    std::uintptr_t take_handoff() noexcept;
    /// `ctx` runs next (null: the dispatcher does); `bound` says whether it is a lightproc bound to this worker.
    boost::fibers::context* run(boost::fibers::context* ctx, bool bound = false) noexcept;
    boost::fibers::context* take_dispatcher() noexcept;
    boost::fibers::context* steal() noexcept;
    bool may_steal(std::chrono::steady_clock::time_point now) const noexcept { return now >= steal_not_before_; }
    void find_stuck_peer() noexcept;
    /// Work this idle worker should wake for: the pool's (see `work_visible_for`) or a watched word that changed.
    bool work_visible(bool peers) const noexcept;
    bool any_watched_changed() const noexcept;
    /// Wakes the lightprocs whose watched words changed, and stops watching those words.
    void wake_watched_changed() noexcept;
    void snapshot_progress() noexcept;

    WorkerPool& pool_;
    Worker& self_;
    std::size_t index_;
    boost::fibers::context* dispatcher_ = nullptr;  // pinned: lives in a slot, never stolen; null while it runs
    boost::fibers::context* main_ = nullptr;        // pinned: ready only when the worker stops
    boost::fibers::context* dispatcher_context_ = nullptr;  // the dispatcher, ready or not
    boost::fibers::scheduler* scheduler_ = nullptr;         // this worker's Boost scheduler
    // The context picked last, which is running (null until the first pick: the worker's main context), and whether
    // it is bound to this worker: the pick knows, so a yield need not read the lightproc's core.
    boost::fibers::context* running_ = nullptr;
    bool running_bound_ = false;
    // The fiber yield_running() is switching away from (and whether bound), until awakened() requeues it.
    boost::fibers::context* yielder_ = nullptr;
    bool yielder_bound_ = false;
    // Ready lightprocs bound to this worker, oldest first. Owner only: thieves never see them.
    ReadyQueue bound_;
    bool fair_from_bound_ = false;
    std::uint64_t picks_ = 0;
    bool fair_pick_due_ = false;
    bool skip_spin_ = false;
    std::size_t stuck_victim_;
    std::chrono::steady_clock::time_point last_fair_;
    // Stealing adapts to the grain of the work: when what a steal brought ran out within 20 us, or 10 us per lightproc
    // taken, moving it cost more than running it where it was (it then wakes its joiner across cores), so the next steal
    // waits, doubling from 10 us up to 1 ms, and takes one lightproc at a time meanwhile; work that kept the thief busy
    // resets the wait. A stuck peer's hand-off is taken anyway.
    std::chrono::steady_clock::time_point stolen_at_{};
    std::uint32_t stolen_count_ = 0;  // lightprocs the last steal took
    std::chrono::steady_clock::time_point steal_not_before_{};
    std::chrono::nanoseconds steal_backoff_{0};
    std::vector<std::uint64_t> peer_progress_;
    // The words this worker watches for its bound lightprocs (a few: each pick looks at all of them).
    struct Watch {
        const std::atomic<std::uintptr_t>* word;
        std::uintptr_t mark;  // what the word holds until a producer changes it
        Parker* parker;
        bool changed() const noexcept { return word->load(std::memory_order_acquire) != mark; }
    };
    std::array<Watch, 16> watched_{};
    std::size_t watched_count_ = 0;
};

}  // namespace bastion::executor::detail
