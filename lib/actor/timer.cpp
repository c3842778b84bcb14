#include <bastion/timer.hpp>

#include "actor/cells.hpp"
#include "actor/timer.hpp"

#include <bastion/detail/send.hpp>
#include <bastion/executor/this_proc.hpp>

#include <algorithm>

namespace bastion {

void Timer::cancel() const noexcept {
    if (core_) core_->cancel();
}

bool Timer::is_active() const noexcept { return core_ && core_->is_active(); }

namespace detail {

void TimerCore::attach(executor::RecoverableHandle<void> proc) noexcept {
    std::lock_guard guard{lock_};
    if (proc_done_) return;  // `proc` lets go of the ended lightproc as this returns
    proc_ = std::move(proc);
    if (state_.load(std::memory_order_acquire) == State::Cancelled) proc_.cancel();
}

void TimerCore::cancel() noexcept {
    State state = state_.load(std::memory_order_acquire);
    for (unsigned spins = 0;; ++spins) {
        if (state == State::Cancelled || state == State::Ended) return;
        if (state == State::Firing) {
            // The lightproc is inside one mailbox push, which never suspends: wait for it, so that nothing it
            // pushes can come after we return.
            executor::detail::wait_step(spins);
            state = state_.load(std::memory_order_acquire);
            continue;
        }
        if (state_.compare_exchange_weak(state, State::Cancelled, std::memory_order_acq_rel)) break;
    }
    // Wake the sleeping lightproc so that it ends now rather than at its due time (attach() covers a lightproc whose
    // handle is not stored yet).
    std::lock_guard guard{lock_};
    if (proc_.valid()) proc_.cancel();
}

void TimerCore::proc_ended() noexcept {
    executor::RecoverableHandle<void> proc;  // let go of outside the lock
    {
        std::lock_guard guard{lock_};
        proc_done_ = true;
        proc = std::move(proc_);
    }
    State armed = State::Armed;
    state_.compare_exchange_strong(armed, State::Ended, std::memory_order_acq_rel);
}

void TimerScope::adopt(const std::shared_ptr<TimerCore>& timer) {
    {
        std::lock_guard guard{lock_};
        if (!closed_) {
            timers_.push_back(timer);
            if (timers_.size() >= prune_at_) {
                std::erase_if(timers_, [](const auto& t) { return !t->is_active(); });
                prune_at_ = std::max<std::size_t>(16, 2 * timers_.size());
            }
            return;
        }
    }
    timer->cancel();
}

void TimerScope::close() noexcept {
    std::vector<std::shared_ptr<TimerCore>> timers;
    {
        std::lock_guard guard{lock_};
        closed_ = true;
        timers.swap(timers_);
    }
    for (const auto& timer : timers) timer->cancel();
}

namespace {

using Clock = std::chrono::steady_clock;

// A timer's lightproc: sleeps (parked, no CPU) until each due time, then fires.
class TimerProc {
public:
    TimerProc(std::shared_ptr<TimerCore> core, std::shared_ptr<ActorCell> to, std::unique_ptr<TickMaker> ticks,
              Clock::time_point first, std::chrono::nanoseconds interval) noexcept
        : core_{std::move(core)}, to_{std::move(to)}, ticks_{std::move(ticks)}, first_{first}, interval_{interval} {}
    TimerProc(TimerProc&&) noexcept = default;
    TimerProc& operator=(TimerProc&&) = delete;
    // Also when the lightproc never ran (its executor shut down first): the timer is over either way.
    ~TimerProc() {
        if (core_) core_->proc_ended();
    }

    void operator()() noexcept {
        try {
            run();
        } catch (...) {
            // ProcCancelled (cancel(), or the executor shutting down), or a factory that threw: the timer ends.
        }
        ticks_.reset();
        to_.reset();
        core_->proc_ended();
    }

private:
    void run() {
        const bool repeating = interval_ > std::chrono::nanoseconds::zero();
        Clock::time_point due = first_;
        for (;;) {
            executor::this_proc::sleep_until(due);
            if (!core_->is_active()) return;
            if (!repeating) {
                fire(false);
                return;
            }
            // At most one tick outstanding: a slot that comes while the last tick is still unread is skipped.
            if (!core_->outstanding.load(std::memory_order_acquire) && !fire(true)) return;
            // The next slot on the grid first_ + k * interval_ strictly after now: late wakes skip, never drift.
            const auto slots = (Clock::now() - first_) / interval_ + 1;
            due = first_ + slots * interval_;
        }
    }

    // Pushes the next letter; true if more may follow.
    bool fire(bool repeating) {
        if (repeating) core_->outstanding.store(true, std::memory_order_relaxed);
        LetterPtr letter = ticks_->make(core_);
        if (!core_->begin_firing()) return false;  // cancelled meanwhile: the letter is dropped here
        LetterPtr refused = deliver(to_, std::move(letter));
        const bool again = repeating && refused == nullptr;  // refused: the target stopped for good
        core_->end_firing(again);
        return again;
    }

    std::shared_ptr<TimerCore> core_;
    std::shared_ptr<ActorCell> to_;
    std::unique_ptr<TickMaker> ticks_;
    Clock::time_point first_;
    std::chrono::nanoseconds interval_;
};

}  // namespace

Timer start_timer(std::shared_ptr<ActorCell> to, std::unique_ptr<TickMaker> ticks, std::chrono::nanoseconds first,
                  std::chrono::nanoseconds interval, TimerScope* owner) {
    auto core = std::make_shared<TimerCore>();
    if (to == nullptr) {  // dead letters: nothing would ever arrive
        core->proc_ended();
        return Timer{std::move(core)};
    }
    const Clock::time_point now = Clock::now();
    // A delay too long to add (`duration::max()`, say) means never: it saturates rather than wraps.
    const Clock::time_point due = first < Clock::time_point::max() - now ? now + first : Clock::time_point::max();
    TimerProc proc{core, std::move(to), std::move(ticks), due, interval};
    // The executor of the calling lightproc, else of the current system (held while we spawn), else the global one.
    if (executor::Executor* here = executor::Executor::current()) {
        core->attach(here->spawn(std::move(proc)));
    } else if (auto system = current_system()) {
        core->attach(system->executor->spawn(std::move(proc)));
    } else {
        core->attach(executor::Executor::global().spawn(std::move(proc)));
    }
    if (owner != nullptr) owner->adopt(core);
    return Timer{std::move(core)};
}

}  // namespace detail

}  // namespace bastion
