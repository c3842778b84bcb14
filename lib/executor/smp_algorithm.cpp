#include "executor/smp_algorithm.hpp"

#include <bastion/executor/detail/proc_core.hpp>

#include "executor/futex.hpp"
#include "executor/thread_state.hpp"

#include <boost/fiber/operations.hpp>
#include <boost/fiber/type.hpp>

#include <algorithm>
#include <mutex>
#include <utility>

namespace bastion::executor::detail {

namespace {
using boost::fibers::context;
using boost::fibers::type;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t dispatcher_period = 32;  // picks between forced dispatcher runs (timers, reaping)
constexpr std::uint64_t fairness_period = 64;    // picks between looks at the clock
constexpr auto fairness_wait = std::chrono::milliseconds{1};
constexpr auto watch_interval = std::chrono::milliseconds{2};  // how often a watching idle worker looks for stuck peers
constexpr std::size_t no_victim = static_cast<std::size_t>(-1);
// Stolen work that ran out sooner than this (and than short_steal_each per lightproc taken) was too fine to move: here
// a lightproc that changes cores pulls its lines across (about 0.5 us each) and wakes its joiner across, microseconds
// in all.
constexpr auto short_steal = std::chrono::microseconds{20};
constexpr auto short_steal_each = std::chrono::microseconds{10};
constexpr std::uint32_t steal_batch = 32;  // at most this many lightprocs a steal (and half the victim's queue)
constexpr std::chrono::nanoseconds min_steal_backoff = std::chrono::microseconds{10};
constexpr std::chrono::nanoseconds max_steal_backoff = std::chrono::milliseconds{1};
}  // namespace

SmpAlgorithm::SmpAlgorithm(WorkerPool& pool, std::size_t index) noexcept
    : pool_{pool}, self_{pool.worker(index)}, index_{index}, stuck_victim_{no_victim}, last_fair_{Clock::now()},
      peer_progress_(pool.size(), 0) {
    WorkerSlot slot = this_thread_worker();
    slot.algorithm = this;
    set_this_thread_worker(slot);
}

SmpAlgorithm::~SmpAlgorithm() {
    WorkerSlot slot = this_thread_worker();
    if (slot.algorithm == this) set_this_thread_worker(WorkerSlot{});
}

namespace {
// Only lightprocs run on workers; their properties are the ProcTag (a raw fiber someone started has none).
ProcCoreBase* core_of(context* ctx) noexcept {
    auto* tag = static_cast<ProcTag*>(ctx->get_properties());
    return tag != nullptr ? tag->core() : nullptr;
}
bool is_bound(const ProcCoreBase* core) noexcept { return core != nullptr && core->home != ProcCoreBase::unbound; }

// A ready context as the hand-off slot holds it: its address, tagged Worker::bound_tag if it is bound to the worker.
std::uintptr_t tagged(context* ctx, bool bound) noexcept {
    return reinterpret_cast<std::uintptr_t>(ctx) | (bound ? Worker::bound_tag : 0);
}
context* untagged(std::uintptr_t slot) noexcept { return reinterpret_cast<context*>(slot & ~Worker::bound_tag); }
bool tagged_bound(std::uintptr_t slot) noexcept { return (slot & Worker::bound_tag) != 0; }
}  // namespace

void SmpAlgorithm::push(context* ctx, bool to_front, bool bound) noexcept {
    if (bound && to_front) {
        bound_.push_back(*ctx);  // a bound lightproc that yielded goes behind the other bound ones
        return;
    }
    const std::uintptr_t slot = tagged(ctx, bound);
    if (!to_front && self_.handoff.load(std::memory_order_relaxed) == 0) {
        // The slot is empty and only this thread fills it: no lock (release: a thief reads the context's state).
        self_.handoff.store(slot, std::memory_order_release);
        if (!bound) pool_.on_handoff(index_);
        return;
    }
    bool queued = false;
    bool became_stealable;
    {
        std::lock_guard lock{self_.lock};
        if (to_front) {
            self_.queue.push_front(*ctx);
            ++self_.queue_length;
            queued = true;
        } else {
            // Under the lock no thief touches the slot (one may have emptied it since we looked).
            const std::uintptr_t displaced = self_.handoff.load(std::memory_order_relaxed);
            self_.handoff.store(slot, std::memory_order_release);
            if (displaced != 0) {
                context* const was = untagged(displaced);
                if (tagged_bound(displaced)) {
                    bound_.push_back(*was);
                } else {
                    self_.queue.push_back(*was);
                    ++self_.queue_length;
                    queued = true;
                }
            }
        }
        became_stealable = self_.publish_length();
    }
    // Peers hear of stealable work when the queue stops being empty; while it stays non-empty, they see it anyway.
    if (became_stealable) {
        pool_.on_stealable(index_);
    } else if (!queued && !bound) {
        pool_.on_handoff(index_);
    }
}

void SmpAlgorithm::awakened(context* ctx) noexcept {
    if (ctx->is_context(type::pinned_context)) {
        if (ctx->is_context(type::dispatcher_context)) {
            dispatcher_ = ctx;
            dispatcher_context_ = ctx;
            scheduler_ = ctx->get_scheduler();  // queued before any pick (Boost schedules it as it installs us)
        } else {
            main_ = ctx;
        }
        return;
    }
    ctx->detach();  // ready fibers belong to no scheduler, so any worker may take them (bound ones: only this one)
    const bool yielded = ctx == yielder_;
    const bool bound = yielded ? yielder_bound_ : is_bound(core_of(ctx));
    if (yielded) yielder_ = nullptr;
    if (yielded && !bound && self_.yielded.load(std::memory_order_relaxed) == nullptr) {
        // Boost picked what runs next before handing the yielder back: the next pick queues it, under its own lock.
        self_.yielded.store(ctx, std::memory_order_release);
        // Some idle peer must watch, should what runs now get stuck; a stealable queue has already called one.
        if (!self_.stealable.load(std::memory_order_relaxed)) pool_.on_handoff(index_);
        return;
    }
    push(ctx, yielded, bound);
}

void SmpAlgorithm::push_new(context* ctx) noexcept { push(ctx, false, is_bound(core_of(ctx))); }

bool SmpAlgorithm::yield_running() noexcept {
    context* const self = running_;
    if (self == nullptr || self->is_context(type::pinned_context)) return false;
    yielder_ = self;
    yielder_bound_ = running_bound_;
    pick_next()->resume(self);  // as Boost's scheduler::yield: the picked context hands `self` to awakened()
    return true;
}

inline std::uintptr_t SmpAlgorithm::take_handoff() noexcept {
    if (self_.handoff.load(std::memory_order_relaxed) == 0) return 0;
    // An exchange, as a thief taking it from a stuck worker (under the lock, which we need not hold) may win the race.
    return self_.handoff.exchange(0, std::memory_order_acquire);
}

std::uintptr_t SmpAlgorithm::pop_local() noexcept {
    if (!fair_pick_due_) {
        if (const std::uintptr_t slot = take_handoff()) return slot;  // no lock: the usual pick after a wake-up
    }
    std::uintptr_t picked = 0;
    bool became_stealable;
    {
        std::lock_guard lock{self_.lock};
        if (context* yielded = self_.yielded.load(std::memory_order_relaxed)) {
            self_.yielded.store(nullptr, std::memory_order_relaxed);
            self_.queue.push_front(*yielded);  // behind everything else
            ++self_.queue_length;
        }
        const auto take_bound = [&] {
            picked = tagged(&bound_.front(), true);
            bound_.pop_front();
        };
        if (fair_pick_due_ && !bound_.empty() && (fair_from_bound_ || self_.queue.empty())) {
            fair_pick_due_ = false;
            fair_from_bound_ = false;
            take_bound();
        } else if (fair_pick_due_ && !self_.queue.empty()) {
            fair_pick_due_ = false;
            fair_from_bound_ = true;
            picked = tagged(&self_.queue.front(), false);
            self_.queue.pop_front();
            --self_.queue_length;
        } else if (!bound_.empty()) {
            take_bound();
        } else if (!self_.queue.empty()) {
            picked = tagged(&self_.queue.back(), false);
            self_.queue.pop_back();
            --self_.queue_length;
        }
        became_stealable = self_.publish_length();
    }
    if (became_stealable) pool_.on_stealable(index_);  // a yielder stayed behind: a peer may take it
    if (picked == 0 && fair_pick_due_) picked = take_handoff();  // a fairness pick found nothing else to run
    return picked;
}

context* SmpAlgorithm::take_dispatcher() noexcept {
    self_.remote_pending.store(false, std::memory_order_relaxed);  // the dispatcher drains the remote queue next
    return std::exchange(dispatcher_, nullptr);
}

context* SmpAlgorithm::run(context* ctx, bool bound) noexcept {
    running_ = ctx != nullptr ? ctx : dispatcher_context_;
    running_bound_ = bound;
    if (ctx != nullptr && !ctx->is_context(type::pinned_context)) scheduler_->attach_worker_context(ctx);
    return ctx;
}

context* SmpAlgorithm::pick_next() noexcept {
    if (main_ != nullptr) return run(std::exchange(main_, nullptr));
    const std::uint64_t pick = ++picks_;
    self_.progress.store(pick, std::memory_order_relaxed);
    if (watched_count_ != 0) wake_watched_changed();
    // Boost resumes what this returns, or the dispatcher if it is null: what ran last is the one asking.
    const bool from_dispatcher = running_ != nullptr && running_ == dispatcher_context_;
    if (self_.inbox_pending.load(std::memory_order_relaxed)) pool_.take_inbox(index_, bound_);

    if (pick % fairness_period == 0) {
        const Clock::time_point now = Clock::now();
        if (!self_.stealable.load(std::memory_order_relaxed) && bound_.empty()) {
            last_fair_ = now;
        } else if (now - last_fair_ >= fairness_wait) {
            last_fair_ = now;
            fair_pick_due_ = true;
        }
        if (pool_.injected() != 0) {
            if (context* ctx = pool_.take_injected(index_)) return run(ctx);
        }
    }
    if (!from_dispatcher && dispatcher_ != nullptr &&
        (self_.remote_pending.load(std::memory_order_relaxed) || pick % dispatcher_period == 0)) {
        return run(take_dispatcher());
    }
    // IO: the dispatcher's picks (every 32nd pick, or when the queue ran dry) hand the requests queued since to the
    // kernel in one batch and reap completions. Only the dispatcher's: a lightproc switching away may still hold its
    // parker's lock (Boost releases it after the switch), and a completion takes that lock to wake it.
    if (from_dispatcher) {
        EventSource* events = self_.events.load(std::memory_order_relaxed);
        if (events != nullptr && events->pending()) events->poll();
    }
    if (const std::uintptr_t local = pop_local()) return run(untagged(local), tagged_bound(local));
    if (!from_dispatcher) return run(take_dispatcher());  // nothing local: the dispatcher looks further, or parks
    context* ctx = pool_.take_injected(index_);
    return run(ctx != nullptr ? ctx : steal());  // neither injected nor stolen work is bound
}

context* SmpAlgorithm::steal() noexcept {
    const Clock::time_point now = Clock::now();
    if (stolen_at_ != Clock::time_point{}) {  // what the last steal brought has run out
        steal_backoff_ = now - stolen_at_ >= std::max<Clock::duration>(short_steal, short_steal_each * stolen_count_)
                             ? std::chrono::nanoseconds{0}
                             : std::clamp(steal_backoff_ * 2, min_steal_backoff, max_steal_backoff);
        steal_not_before_ = now + steal_backoff_;
        stolen_at_ = {};
    }
    const std::size_t stuck = std::exchange(stuck_victim_, no_victim);
    if (stuck == no_victim && !may_steal(now)) return nullptr;  // a stuck peer's hand-off is taken regardless
    // Backing off, a steal takes one lightproc, a probe of the grain: a fine one costs little, a coarse one resets.
    std::uint32_t taken = 0;
    context* ctx =
        pool_.steal_for(index_, stuck, steal_backoff_ == std::chrono::nanoseconds{0} ? steal_batch : 1, taken);
    if (ctx != nullptr) {
        stolen_at_ = now;
        stolen_count_ = taken;
    }
    self_.backing_off.store(ctx == nullptr && !may_steal(now), std::memory_order_relaxed);
    return ctx;
}

bool SmpAlgorithm::has_ready_fibers() const noexcept {
    return main_ != nullptr || !bound_.empty() || self_.handoff.load(std::memory_order_relaxed) != 0 ||
           self_.yielded.load(std::memory_order_relaxed) != nullptr || self_.stealable.load(std::memory_order_relaxed) ||
           self_.inbox_pending.load(std::memory_order_relaxed) || any_watched_changed();
}

bool SmpAlgorithm::watch(const std::atomic<std::uintptr_t>& word, std::uintptr_t mark, Parker& parker) noexcept {
    if (watched_count_ == watched_.size()) return false;
    watched_[watched_count_++] = Watch{&word, mark, &parker};
    return true;
}

void SmpAlgorithm::unwatch(const std::atomic<std::uintptr_t>& word) noexcept {
    for (std::size_t i = 0; i < watched_count_; ++i) {
        if (watched_[i].word == &word) {
            watched_[i] = watched_[--watched_count_];
            return;
        }
    }
}

bool SmpAlgorithm::work_visible(bool peers) const noexcept {
    return pool_.work_visible_for(index_, peers) || any_watched_changed();
}

bool SmpAlgorithm::any_watched_changed() const noexcept {
    for (std::size_t i = 0; i < watched_count_; ++i) {
        if (watched_[i].changed()) return true;
    }
    return false;
}

void SmpAlgorithm::wake_watched_changed() noexcept {
    // The lightproc switching away may hold its parker's lock until the switch (Boost releases it after): its own
    // wake-up waits for a later pick, at the latest the dispatcher's.
    ProcCoreBase* const leaving = running_ != nullptr ? core_of(running_) : nullptr;
    const Parker* const locked = leaving != nullptr ? &leaving->parker() : nullptr;
    for (std::size_t i = 0; i < watched_count_;) {
        if (watched_[i].parker == locked || !watched_[i].changed()) {
            ++i;
            continue;
        }
        Parker* parker = watched_[i].parker;
        watched_[i] = watched_[--watched_count_];
        parker->unpark();  // from its own worker: straight to the hand-off slot, no remote queue
    }
}

void SmpAlgorithm::snapshot_progress() noexcept {
    for (std::size_t v : self_.victims) peer_progress_[v] = pool_.worker(v).progress.load(std::memory_order_relaxed);
}

// A peer is stuck when it holds a ready hand-off (or a yielder not yet queued) but has made no pick since our last
// snapshot: one fiber is running long and the other would wait for it. Steal it.
void SmpAlgorithm::find_stuck_peer() noexcept {
    for (std::size_t v : self_.victims) {
        Worker& peer = pool_.worker(v);
        if ((Worker::stealable_handoff(peer.handoff.load(std::memory_order_relaxed)) ||
             peer.yielded.load(std::memory_order_relaxed) != nullptr) &&
            peer.progress.load(std::memory_order_relaxed) == peer_progress_[v] &&
            peer.park.load(std::memory_order_relaxed) == Awake) {
            stuck_victim_ = v;
            return;
        }
    }
}

void SmpAlgorithm::suspend_until(Clock::time_point const& deadline) noexcept {
    if (!std::exchange(skip_spin_, false)) {
        // Spin: waking a parked worker costs tens of microseconds here, so poll a little first.
        snapshot_progress();
        self_.spinning.store(true, std::memory_order_relaxed);
        pool_.spinning_count.fetch_add(1, std::memory_order_relaxed);
        Clock::time_point now = Clock::now();
        const Clock::time_point spin_end = now + pool_.config().spin_before_park;
        bool peers = may_steal(now);
        bool found = false;
        EventSource* events = self_.events.load(std::memory_order_relaxed);
        for (unsigned i = 1;; ++i) {
            if (work_visible(peers)) {
                found = true;
                break;
            }
            spin_pause();
            if (i % 64 == 0) {
                if (events != nullptr && events->pending() && events->poll()) {
                    found = true;
                    break;
                }
                now = Clock::now();
                peers = may_steal(now);
                if (now >= spin_end || now >= deadline) break;
            }
        }
        self_.spinning.store(false, std::memory_order_relaxed);
        pool_.spinning_count.fetch_sub(1, std::memory_order_relaxed);
        if (found) return;
        find_stuck_peer();
        if (stuck_victim_ != no_victim || Clock::now() >= deadline) return;
    }

    // Park. Watch (park with a timeout) while a peer is busy, so a lightproc stuck behind a long-running one on that
    // peer is still picked up; with every peer idle, sleep until woken: an idle runtime uses no CPU.
    snapshot_progress();
    const ParkState mode = pool_.any_peer_busy(index_) ? Watching : Parked;
    pool_.parked_count.fetch_add(1, std::memory_order_relaxed);
    if (mode == Watching) pool_.watching_count.fetch_add(1, std::memory_order_relaxed);
    self_.park.exchange(mode, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // Dekker: publish "parked", then look for work once more
    std::uint32_t before = mode;
    const Clock::time_point now = Clock::now();
    if (!work_visible(may_steal(now))) {
        Clock::time_point until = deadline;
        if (mode == Watching && now + watch_interval < until) until = now + watch_interval;
        if (!may_steal(now) && steal_not_before_ < until) until = steal_not_before_;  // wake when stealing may resume
        self_.parks.fetch_add(1, std::memory_order_relaxed);
        if (EventSource* events = self_.events.load(std::memory_order_relaxed)) {
            events->wait(until);  // IO completions wake it too; a waker interrupts it instead of the futex
        } else {
            futex_wait_until(self_.park, mode, until);
        }
    }
    before = self_.park.exchange(Awake, std::memory_order_acq_rel);
    pool_.parked_count.fetch_sub(1, std::memory_order_relaxed);
    if (mode == Watching) pool_.watching_count.fetch_sub(1, std::memory_order_relaxed);
    if (before == static_cast<std::uint32_t>(mode) && mode == Watching) {
        // Nobody woke us: it was the watch timer. Look for a stuck peer; if none, park again without spinning.
        find_stuck_peer();
        skip_spin_ = stuck_victim_ == no_victim && !work_visible(may_steal(Clock::now()));
    }
}

void SmpAlgorithm::notify() noexcept {
    self_.remote_pending.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // Dekker with suspend_until's park
    pool_.wake(self_);
}

}  // namespace bastion::executor::detail
