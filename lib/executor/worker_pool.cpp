#include "executor/worker_pool.hpp"

#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/platform/topology.hpp>

#include "executor/futex.hpp"
#include "executor/smp_algorithm.hpp"
#include "executor/thread_state.hpp"

#include <boost/fiber/operations.hpp>

#include <algorithm>
#include <latch>
#include <mutex>

namespace bastion::executor::detail {

using boost::fibers::context;

WorkerPool::WorkerPool(Executor& owner, const ExecutorConfig& config) : owner_{owner}, config_{config} {
    const platform::Topology& topology = platform::Topology::machine();
    const std::size_t n = config_.workers;
    for (std::size_t i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>());
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<std::size_t>& victims = workers_[i]->victims;
        for (std::size_t v = 0; v < n; ++v) {
            if (v != i) victims.push_back(v);
        }
        // Nearest first (same core, cache, node), then by index distance so neighbours spread their load.
        std::stable_sort(victims.begin(), victims.end(), [&](std::size_t a, std::size_t b) {
            return topology.distance(i, a) < topology.distance(i, b);
        });
    }
    std::latch ready{static_cast<std::ptrdiff_t>(n)};
    for (std::size_t i = 0; i < n; ++i) {
        threads_.emplace_back([this, i, &ready] { run_worker(i, ready); });
    }
    ready.wait();
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::run_worker(std::size_t index, std::latch& ready) {
    if (config_.pinning == Pinning::Pinned) platform::Topology::machine().pin_current_thread(index);
    set_this_thread_worker(WorkerSlot{this, index, nullptr});
    boost::fibers::use_scheduling_algorithm<SmpAlgorithm>(*this, index);  // the algorithm fills in its slot
    set_this_thread_scheduler(context::active()->get_scheduler());
    Worker& self = *workers_[index];
    self.main_parker = &this_thread_parker();
    ready.count_down();
    while (!stopping_.load(std::memory_order_acquire)) self.main_parker->park();
    // Returning ends the thread; Boost's thread-local scheduler then reaps the fibers that finished last.
}

void WorkerPool::stop() {
    if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
    for (auto& w : workers_) w->main_parker->unpark();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
}

void WorkerPool::submit(context* ctx, std::uint32_t home) noexcept {
    const WorkerSlot here = this_thread_worker();
    const bool on_worker = here.pool == this && here.algorithm != nullptr;
    if (on_worker && (home == ProcCoreBase::unbound || home == here.index)) {
        Worker& w = *workers_[here.index];
        w.spawned.store(w.spawned.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);  // owner only
        here.algorithm->push_new(ctx);
        return;
    }
    if (home != ProcCoreBase::unbound) {
        Worker& w = *workers_[home];
        {
            std::lock_guard lock{w.inbox_lock};
            w.inbox.push_back(*ctx);
            w.inbox_pending.store(true, std::memory_order_relaxed);
        }
        std::atomic_thread_fence(std::memory_order_seq_cst);  // Dekker with that worker about to park
        wake(w);
        return;
    }
    injected_total_.fetch_add(1, std::memory_order_relaxed);
    {
        std::lock_guard lock{inject_lock_};
        injected_.push_back(*ctx);
        injected_count_.fetch_add(1, std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);  // Dekker with a worker about to park
    wake_one_parked(0);
}

namespace {

// Unlinks the oldest `want` (at least one; `queue` is not empty) entries of `queue`: returns the first, appends the
// others to `rest`, and sets `taken` to how many it took.
context* take_oldest(ReadyQueue& queue, std::uint32_t want, ReadyQueue& rest, std::uint32_t& taken) noexcept {
    context* first = &queue.front();
    queue.pop_front();
    for (taken = 1; taken < want && !queue.empty(); ++taken) {
        context& ctx = queue.front();
        queue.pop_front();
        rest.push_back(ctx);
    }
    return first;
}

}  // namespace

void WorkerPool::take_inbox(std::size_t self, ReadyQueue& bound) noexcept {
    Worker& w = *workers_[self];
    std::uint32_t taken = 0;
    std::lock_guard lock{w.inbox_lock};
    w.inbox_pending.store(false, std::memory_order_relaxed);
    while (!w.inbox.empty()) {
        context& ctx = w.inbox.front();
        w.inbox.pop_front();
        bound.push_back(ctx);
        ++taken;
    }
    w.spawned.store(w.spawned.load(std::memory_order_relaxed) + taken, std::memory_order_relaxed);  // owner only
}

context* WorkerPool::take_injected(std::size_t self) noexcept {
    constexpr std::uint32_t inject_batch = 32;
    if (injected_count_.load(std::memory_order_relaxed) == 0) return nullptr;
    context* first = nullptr;
    ReadyQueue rest;
    std::uint32_t taken = 0;
    {
        std::lock_guard lock{inject_lock_};
        if (injected_.empty()) return nullptr;
        // A fair share: the batch leaves work for the other workers when much is injected at once.
        const std::size_t share = injected_count_.load(std::memory_order_relaxed) / workers_.size();
        const std::uint32_t want = static_cast<std::uint32_t>(std::clamp<std::size_t>(share, 1, inject_batch));
        first = take_oldest(injected_, want, rest, taken);
        injected_count_.fetch_sub(taken, std::memory_order_relaxed);
    }
    if (taken > 1) enqueue_batch(self, rest, taken - 1);
    return first;
}

void WorkerPool::enqueue_batch(std::size_t self, ReadyQueue& batch, std::uint32_t count) noexcept {
    Worker& w = *workers_[self];
    std::lock_guard lock{w.lock};
    w.queue.splice(w.queue.end(), batch);
    w.queue_length += count;
    w.publish_length();
}

// Takes the older half of the nearest busy victim's queue (at most `at_most`): one lock round trip moves many
// lightprocs, so trivial ones do not bounce between caches one by one. The thief runs the oldest and queues the rest.
context* WorkerPool::steal_for(std::size_t self, std::size_t stuck_victim, std::uint32_t at_most,
                               std::uint32_t& taken) noexcept {
    Worker& thief = *workers_[self];
    for (std::size_t v : thief.victims) {
        Worker& victim = *workers_[v];
        const bool may_take_handoff = v == stuck_victim;
        if (!victim.stealable.load(std::memory_order_relaxed) &&
            !(may_take_handoff && (Worker::stealable_handoff(victim.handoff.load(std::memory_order_relaxed)) ||
                                   victim.yielded.load(std::memory_order_relaxed) != nullptr))) {
            continue;
        }
        context* first = nullptr;
        ReadyQueue rest;
        taken = 0;
        {
            std::lock_guard lock{victim.lock};
            if (!victim.queue.empty()) {
                // The oldest first: in a spawn tree, the biggest subtrees.
                first = take_oldest(victim.queue, std::min(at_most, (victim.queue_length + 1) / 2), rest, taken);
                victim.queue_length -= taken;
                victim.publish_length();
            } else if (may_take_handoff) {
                // The owner may be taking its hand-off at this moment (it needs no lock for that): compare-exchange.
                std::uintptr_t slot = victim.handoff.load(std::memory_order_relaxed);
                if (Worker::stealable_handoff(slot) &&
                    victim.handoff.compare_exchange_strong(slot, 0, std::memory_order_acquire)) {
                    first = reinterpret_cast<context*>(slot);
                } else {
                    first = victim.yielded.exchange(nullptr, std::memory_order_acquire);
                }
                taken = first != nullptr ? 1 : 0;
            }
        }
        if (first == nullptr) continue;
        if (taken > 1) enqueue_batch(self, rest, taken - 1);
        thief.steals.fetch_add(taken, std::memory_order_relaxed);
        return first;
    }
    taken = 0;
    return nullptr;
}

bool WorkerPool::work_visible_for(std::size_t self, bool peers) const noexcept {
    const Worker& me = *workers_[self];
    if (me.remote_pending.load(std::memory_order_relaxed) || me.inbox_pending.load(std::memory_order_relaxed)) {
        return true;
    }
    if (injected_count_.load(std::memory_order_relaxed) != 0) return true;
    if (!peers) return false;
    for (std::size_t v : me.victims) {
        if (workers_[v]->stealable.load(std::memory_order_relaxed)) return true;
    }
    return false;
}

bool WorkerPool::any_peer_busy(std::size_t self) const noexcept {
    for (std::size_t v : workers_[self]->victims) {
        const Worker& peer = *workers_[v];
        if (peer.park.load(std::memory_order_relaxed) == Awake && !peer.spinning.load(std::memory_order_relaxed)) {
            return true;
        }
    }
    return false;
}

bool WorkerPool::wake(Worker& w) noexcept {
    std::uint32_t state = w.park.load(std::memory_order_relaxed);
    if (state == Awake) return false;
    if (!w.park.compare_exchange_strong(state, Awake, std::memory_order_acq_rel)) return false;
    w.wakes.fetch_add(1, std::memory_order_relaxed);
    if (EventSource* events = w.events.load(std::memory_order_acquire)) {
        events->interrupt();
    } else {
        futex_wake_one(w.park);
    }
    return true;
}

bool WorkerPool::wake_one_parked(std::size_t near) noexcept {
    const std::size_t n = workers_.size();
    for (std::size_t k = 0; k < n; ++k) {
        if (wake(*workers_[(near + k) % n])) return true;
    }
    return false;
}

// Best effort and fence-free: a wake lost here delays work, never loses it, since the pushing worker runs its own
// queue. The strict handshake is kept for injection and remote wake-ups, where nobody else would.
void WorkerPool::on_stealable(std::size_t from) noexcept {
    if (spinning_count.load(std::memory_order_relaxed) != 0 || parked_count.load(std::memory_order_relaxed) == 0) {
        return;
    }
    for (std::size_t v : workers_[from]->victims) {
        if (workers_[v]->backing_off.load(std::memory_order_relaxed)) continue;
        if (wake(*workers_[v])) return;
    }
}

void WorkerPool::on_handoff(std::size_t from) noexcept {
    if (watching_count.load(std::memory_order_relaxed) != 0 || spinning_count.load(std::memory_order_relaxed) != 0 ||
        parked_count.load(std::memory_order_relaxed) == 0) {
        return;
    }
    for (std::size_t v : workers_[from]->victims) {
        if (wake(*workers_[v])) return;
    }
}

EventSource* this_worker_event_source() noexcept {
    const WorkerSlot here = this_thread_worker();
    if (here.pool == nullptr) return nullptr;
    return here.pool->worker(here.index).events.load(std::memory_order_relaxed);
}

EventSource* worker_event_source(std::unique_ptr<EventSource> (*make)()) {
    const WorkerSlot here = this_thread_worker();
    if (here.pool == nullptr || here.algorithm == nullptr) return nullptr;
    Worker& w = here.pool->worker(here.index);
    if (!w.event_source) {
        w.event_source = make();
        w.events.store(w.event_source.get(), std::memory_order_release);
    }
    return w.event_source.get();
}

}  // namespace bastion::executor::detail
