#pragma once
// The worker threads of one executor: their run queues, the injection queue, parking and waking.

#include <bastion/executor/detail/event_source.hpp>
#include <bastion/executor/detail/parker.hpp>
#include <bastion/executor/executor.hpp>

#include "executor/spinlock.hpp"

#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

namespace bastion::executor::detail {

using ReadyQueue = boost::fibers::scheduler::ready_queue_type;

/// A worker's futex word: awake, parked until woken, or parked with a timeout to watch a busy peer.
enum ParkState : std::uint32_t { Awake = 0, Parked = 1, Watching = 2 };

/// What one worker shares with the others. Owned by the WorkerPool, so it outlives the worker's thread and the
/// Boost scheduler (which owns the SmpAlgorithm).
struct alignas(64) Worker {
    // Run queue: only the owner pushes; the owner pops at the back, thieves at the front. Guarded by `lock`.
    Spinlock lock;
    ReadyQueue queue;
    std::uint32_t queue_length = 0;  // Boost's list has no O(1) size()
    // The hand-off slot: the lightproc that runs next, tagged `bound_tag` if it is bound to this worker; 0 if none.
    // The owner fills it without `lock` when it is empty (a wake-up then takes no lock) and empties it with an
    // exchange; filling it over an occupant takes `lock`. A thief takes an untagged one, from a stuck worker only,
    // with a compare-exchange under `lock`.
    std::atomic<std::uintptr_t> handoff{0};
    static constexpr std::uintptr_t bound_tag = 1;
    /// Whether the slot holds a lightproc a thief may take.
    static bool stealable_handoff(std::uintptr_t slot) noexcept { return slot != 0 && (slot & bound_tag) == 0; }
    // The unbound lightproc that yielded last, until the owner's next pick moves it to the front of the queue under
    // `lock` (so a yield takes no lock of its own). The owner fills it without the lock, and only when empty;
    // emptying takes the lock: the owner's pick, or a thief taking it from a stuck worker.
    std::atomic<boost::fibers::context*> yielded{nullptr};

    // Whether the queue holds stealable work, for thieves' lock-free peeks. On a line of its own and written only
    // when it changes, so a spinning thief's polling does not pull the owner's queue line away on every push and pop.
    alignas(64) std::atomic<bool> stealable{false};
    /// Publishes `stealable` after the queue changed; `lock` held. True if the queue has just become stealable.
    bool publish_length() noexcept {
        const bool any = queue_length != 0;
        if (stealable.load(std::memory_order_relaxed) == any) return false;
        stealable.store(any, std::memory_order_relaxed);
        return any;
    }

    alignas(64) std::atomic<std::uint64_t> progress{0};  // picks so far: unchanged over time = stuck in one fiber

    // Alone on its line: a producer alerting this worker reads it on every cross-core wake-up, and the flags below are
    // written on every idle pick, which would pull the line away from every such reader in turn.
    alignas(64) std::atomic<std::uint32_t> park{Awake};
    alignas(64) std::atomic<bool> spinning{false};
    std::atomic<bool> backing_off{false};  // declines to steal fine-grained work for now: pushes need not wake it
    std::atomic<bool> remote_pending{false};  // Boost put a fiber in this worker's remote-ready queue

    // New lightprocs bound to this worker, posted by other threads; the worker moves them to its bound queue.
    alignas(64) Spinlock inbox_lock;
    ReadyQueue inbox;
    std::atomic<bool> inbox_pending{false};

    std::vector<std::size_t> victims;  // the other workers, nearest first
    Parker* main_parker = nullptr;     // the worker thread's main context waits here until stop
    // Installed by the IO layer on first use; the worker then polls it and parks inside it instead of on `park`'s
    // futex. Set once, by the worker itself, before it parks with it: a waker that sees it parked sees it too.
    std::unique_ptr<EventSource> event_source;
    std::atomic<EventSource*> events{nullptr};
    std::atomic<std::uint64_t> spawned{0}, steals{0}, parks{0}, wakes{0};  // spawned: written by its worker only
};

class WorkerPool {
public:
    WorkerPool(Executor& owner, const ExecutorConfig& config);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues a fresh context. Bound to a worker (`home`): on that worker, through its inbox unless it is the calling
    /// one. Unbound: on the calling worker if it is one of ours, else through the injection queue.
    void submit(boost::fibers::context* context, std::uint32_t home) noexcept;
    /// Wakes every worker's main context and joins the threads. Call once no lightproc is live.
    void stop();

    std::size_t size() const noexcept { return workers_.size(); }
    Worker& worker(std::size_t i) noexcept { return *workers_[i]; }
    const ExecutorConfig& config() const noexcept { return config_; }
    Executor& owner() const noexcept { return owner_; }

    // For the SmpAlgorithm of worker `self`.
    /// Moves the contexts posted to worker `self`'s inbox to the back of `bound`.
    void take_inbox(std::size_t self, ReadyQueue& bound) noexcept;
    /// Takes the oldest injected lightproc, and moves a batch more into worker `self`'s queue.
    boost::fibers::context* take_injected(std::size_t self) noexcept;
    /// Steals for worker `self` (see the definition); `taken` says how many lightprocs it took, the one returned included.
    boost::fibers::context* steal_for(std::size_t self, std::size_t stuck_victim, std::uint32_t at_most,
                                      std::uint32_t& taken) noexcept;
    /// Work for worker `self`: a remote wake-up, injected work, or (if `peers`) a peer's stealable queue.
    bool work_visible_for(std::size_t self, bool peers) const noexcept;
    bool any_peer_busy(std::size_t self) const noexcept;
    std::size_t injected() const noexcept { return injected_count_.load(std::memory_order_relaxed); }
    /// Lightprocs ever submitted through the injection queue.
    std::uint64_t injected_total() const noexcept { return injected_total_.load(std::memory_order_relaxed); }
    /// A push made stealable work: wake a parked peer unless one is already looking.
    void on_stealable(std::size_t from) noexcept;
    /// A push filled the hand-off slot: make sure some idle peer watches for this worker getting stuck.
    void on_handoff(std::size_t from) noexcept;
    /// Wakes `w` if it is parked; true if it was.
    static bool wake(Worker& w) noexcept;

    std::atomic<std::size_t> spinning_count{0};
    std::atomic<std::size_t> parked_count{0};
    std::atomic<std::size_t> watching_count{0};


private:
    void run_worker(std::size_t index, std::latch& ready);
    /// Appends `batch` (`count` contexts) to worker `self`'s queue.
    void enqueue_batch(std::size_t self, ReadyQueue& batch, std::uint32_t count) noexcept;
    bool wake_one_parked(std::size_t near) noexcept;

    Executor& owner_;
    ExecutorConfig config_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_{false};

    Spinlock inject_lock_;
    ReadyQueue injected_;
    std::atomic<std::size_t> injected_count_{0};
    std::atomic<std::uint64_t> injected_total_{0};
};

}  // namespace bastion::executor::detail
