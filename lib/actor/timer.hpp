#pragma once
// The shared state of a timer and the registry of the timers an actor's run owns (include/bastion/timer.hpp is the
// public side).
//
// Glossary. A timer's *lightproc* sleeps until each due time and then *fires*: it makes the letter and pushes it into
// the target's mailbox. *Firing* is also the name of the state it holds while it pushes, so that `cancel()` can
// wait for that one push and then promise that nothing more arrives. A timer's *owner* is the TimerScope of the
// actor run that made it (none for a timer made from a plain thread).

#include <bastion/detail/timer_ticks.hpp>
#include <bastion/executor/proc_handle.hpp>

#include "executor/spinlock.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace bastion::detail {

/// A timer: its state, and the handle of its lightproc (to wake it on cancel). Shared by the Timer handle, the
/// lightproc, its owner's scope and (repeating timers) the tick in flight.
class TimerCore final : public TickGate {
public:
    enum class State : std::uint8_t {
        Armed,      // waiting for its next due time
        Firing,     // its lightproc is pushing a letter (a few hundred nanoseconds)
        Cancelled,  // cancel() won: it delivers nothing more
        Ended,      // it ended by itself: delivered its one letter, lost its target, or its system stopped
    };

    /// Stores the lightproc's handle (the creator, once, right after spawning). Drops it at once if the lightproc has
    /// already ended, and cancels it if `cancel()` came first.
    void attach(executor::RecoverableHandle<void> proc) noexcept;
    /// See Timer::cancel.
    void cancel() noexcept;
    /// See Timer::is_active.
    bool is_active() const noexcept {
        const State state = state_.load(std::memory_order_acquire);
        return state == State::Armed || state == State::Firing;
    }

    /// The lightproc's side: claims the right to push one letter. False if the timer was cancelled (or has ended).
    bool begin_firing() noexcept {
        State armed = State::Armed;
        return state_.compare_exchange_strong(armed, State::Firing, std::memory_order_acq_rel);
    }
    /// The lightproc's side: the push is done; `again` if more letters may follow.
    void end_firing(bool again) noexcept {
        state_.store(again ? State::Armed : State::Ended, std::memory_order_release);
    }
    /// The lightproc has ended, or will never run: the timer is over, and the handle (which keeps the lightproc's
    /// stack) is let go. Idempotent.
    void proc_ended() noexcept;

private:
    std::atomic<State> state_{State::Armed};
    executor::detail::Spinlock lock_;      // guards proc_ and proc_done_ (a few instructions)
    executor::RecoverableHandle<void> proc_;
    bool proc_done_ = false;
};

/// The timers one run of an actor made through its BastionContext, cancelled together when the run ends. Copies of
/// the context share it. Ended timers are forgotten as new ones come, so an actor that makes and cancels timers all
/// its life keeps at most about twice as many entries as it has live timers.
class TimerScope {
public:
    /// Adds `timer`; cancels it at once if the run has already ended (a context copy outlived its run).
    void adopt(const std::shared_ptr<TimerCore>& timer);
    /// Cancels every timer it holds, and every one adopted later. Called by the run as its exec ends.
    void close() noexcept;

private:
    std::mutex lock_;
    std::vector<std::shared_ptr<TimerCore>> timers_;
    std::size_t prune_at_ = 16;  // prune ended timers when the registry reaches this size
    bool closed_ = false;
};

}  // namespace bastion::detail
