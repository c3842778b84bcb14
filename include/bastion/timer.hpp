#pragma once
/// \file
/// Timers: a tell after a delay, or one at a fixed rate, and the handle that calls them off. Upstream bastion has no
/// timers (issue 18); the model is Akka's `TimerScheduler` (`startSingleTimer`, `startTimerAtFixedRate`) and
/// Erlang's `erlang:send_after`.

#include <bastion/detail/letter.hpp>
#include <bastion/detail/timer_ticks.hpp>
#include <bastion/ref_addr.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <utility>

namespace bastion {

namespace detail {
class TimerCore;
}

/// The handle of a timer (made by `send_after` or `send_at_fixed_rate`, here or on a BastionContext).
///
/// Move-only. Destroying the handle does **not** cancel the timer: it fires (or keeps ticking) as if the handle
/// were kept, as dropping the handle `send_after` returned always did, and as Erlang's `send_after` timer reference
/// is only needed to cancel. A timer made from a context is cancelled anyway when its actor's run ends, so dropping
/// the handle there cannot leave it ticking forever; a timer made from a plain thread ticks until cancelled, until
/// its target stops for good, or until the system stops. Akka: `Cancellable`; Erlang: the `TimerRef`.
class Timer {
public:
    /// A handle to no timer: `is_active()` is false and `cancel()` does nothing.
    Timer() noexcept = default;
    /// Wraps a started timer. For the runtime.
    explicit Timer(std::shared_ptr<detail::TimerCore> core) noexcept : core_{std::move(core)} {}
    ///@{
    /// Takes over `other`'s timer; `other` is left empty. A handle assigned over does not cancel its old timer.
    Timer(Timer&&) noexcept = default;
    Timer& operator=(Timer&&) noexcept = default;
    ///@}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    /// Lets the timer run on (see the class comment).
    ~Timer() = default;

    /// Calls the timer off. Once `cancel()` returns, the timer delivers nothing more: a letter it pushed into the
    /// target's mailbox before that stays there and is received as any other, but none is pushed afterwards. If the
    /// timer is handing a letter over at that moment, `cancel()` waits for that push (a few hundred nanoseconds; it
    /// never waits for the receiver). Its lightproc wakes and ends, so a cancelled timer holds no stack.
    /// Idempotent; callable from any thread or lightproc; does not suspend. Akka: `Cancellable.cancel`.
    void cancel() const noexcept;

    /// True while the timer may still deliver: false once cancelled, once a one-shot timer has delivered (or dropped)
    /// its message, once a repeating timer has ended itself (its target stopped for good, or its factory threw), or
    /// once its system stopped. Akka: `!Cancellable.isCancelled` / `TimerScheduler.isTimerActive`.
    bool is_active() const noexcept;

    /// False for a default-constructed or moved-from handle.
    bool valid() const noexcept { return core_ != nullptr; }

private:
    std::shared_ptr<detail::TimerCore> core_;
};

/// Tells `msg` to `to` once `delay` has passed, unsigned (signed as dead letters, as `tell_anonymously`). Works from
/// any thread: `main()`, a plain thread, or a lightproc; the timer has no owner, so only `cancel()`, the target
/// stopping for good (the message is then dropped) or the system stopping ends it early. Costs one parked lightproc
/// (no CPU) while it waits; nothing waits on the caller's side. A timer to dead letters (`RefAddr{}`) is never
/// active. Use `ctx.send_after` inside an actor to sign the message and tie the timer to the actor's run.
/// Akka: `scheduler.scheduleOnce(delay, actorRef, msg)`; Erlang: `erlang:send_after/3`.
template <class M, class Rep, class Period>
Timer send_after(const RefAddr& to, M&& msg, std::chrono::duration<Rep, Period> delay) {
    return detail::start_timer(to.cell(), detail::once_tick(RefAddr{}, std::forward<M>(msg)),
                               std::chrono::ceil<std::chrono::nanoseconds>(delay), std::chrono::nanoseconds::zero(),
                               nullptr);
}

/// Tells `msg` to `to` every `interval`, the first time after `initial_delay`, unsigned (as `send_after`). Works from
/// any thread; the timer has no owner.
///
/// `msg` is either a copyable message, copied for each tick, or a factory callable with no arguments that returns
/// the message (called on the timer's lightproc, once per tick, never concurrently; so a move-only message works,
/// and a factory may count). A callable message is taken as a factory. A factory that throws ends the timer.
///
/// Fixed rate: tick k is due at `start + initial_delay + k * interval`, where `start` is this call, so lateness does
/// not accumulate (no drift). A tick is never sent early and never twice for one slot. **Slow receivers**: a timer
/// has at most one tick outstanding; a tick is outstanding from its send until the receiver has dropped it (it was
/// received and its message destroyed, or taken out of it). A slot that comes while a tick is outstanding, or that
/// passed while the timer's lightproc could not run, is skipped, not queued: a receiver that falls behind gets the
/// next tick after it catches up, never a burst (unlike Akka's `startTimerAtFixedRate`, which sends the missed ticks
/// at once). For an actor on another node, a tick stops being outstanding once it is written to the link. The timer
/// ends itself once `to` has stopped for good (or refuses the message: a type that cannot go over the wire). `interval` must be positive
/// (std::invalid_argument otherwise). Akka: `timers.startTimerAtFixedRate(key, msg, initialDelay, interval)`.
template <class M, class Rep1, class Period1, class Rep2, class Period2>
Timer send_at_fixed_rate(const RefAddr& to, M&& msg, std::chrono::duration<Rep1, Period1> initial_delay,
                         std::chrono::duration<Rep2, Period2> interval) {
    if (interval <= interval.zero()) {
        throw std::invalid_argument{"bastion: send_at_fixed_rate needs a positive interval"};
    }
    return detail::start_timer(to.cell(), detail::repeating_ticks(RefAddr{}, std::forward<M>(msg)),
                               std::chrono::ceil<std::chrono::nanoseconds>(initial_delay),
                               std::chrono::ceil<std::chrono::nanoseconds>(interval), nullptr);
}

}  // namespace bastion
