#pragma once
/// \file
/// BastionContext: what an actor's exec gets to receive, send and learn about itself. Rust:
/// `bastion::context::BastionContext`.

#include <bastion/answer.hpp>
#include <bastion/broadcast_target.hpp>
#include <bastion/child_ref.hpp>
#include <bastion/children_ref.hpp>
#include <bastion/detail/send.hpp>
#include <bastion/detail/signature_stash.hpp>
#include <bastion/dispatcher.hpp>
#include <bastion/errors.hpp>
#include <bastion/executor/proc_handle.hpp>
#include <bastion/supervisor_ref.hpp>
#include <bastion/timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace bastion {

namespace detail {
/// How a dispatch ended.
enum class Dispatched { Delivered, NoDispatcher, NoMember };
/// Hands `message` to the dispatchers `target` names, in the system of `from`.
Dispatched dispatch(const ActorCell& from, const BroadcastTarget& target, const DispatchedMessage& message);
}

/// An actor's view of itself and its mailbox, passed by value to its exec on every (re)start. Receiving suspends only
/// the actor's lightproc; when the actor is stopped, a waiting receive throws ProcCancelled, which the runtime
/// expects (do not swallow it). Rust: `BastionContext`.
class BastionContext {
public:
    /// Made by the runtime for each run of the exec of `current`; user code receives it. `timers` is the run's
    /// registry of timers (null: its timers have no owner). Rust: `BastionContext::new` (crate-private).
    BastionContext(ChildRef current, ChildrenRef parent, std::optional<SupervisorRef> supervisor,
                   std::shared_ptr<detail::TimerScope> timers = nullptr) noexcept
        : current_{std::move(current)},
          parent_{std::move(parent)},
          supervisor_{std::move(supervisor)},
          timers_{std::move(timers)} {}

    /// This actor. Rust: `current`.
    const ChildRef& current() const noexcept { return current_; }
    /// Its children group. Rust: `parent`.
    const ChildrenRef& parent() const noexcept { return parent_; }
    /// Its group's supervisor (none for a group under the system supervisor). Rust: `supervisor`.
    const std::optional<SupervisorRef>& supervisor() const noexcept { return supervisor_; }

    /// Waits for the next message. Rust: `ctx.recv().await?`.
    ///
    /// Every receive (this, `try_recv`, `try_recv_timeout`) is a cancellation point, whether or not a message is
    /// waiting: once the actor is stopped, killed or restarted, it throws ProcCancelled before taking anything, so
    /// unread messages stay in the mailbox. After 128 receives in a row that did not wait, a receive first yields
    /// to the worker's other actors (its fairness budget), so a busy actor neither starves them nor outlives a stop.
    SignedMessage recv() const;
    /// The next message if one is waiting, without waiting. A receive point (see `recv`). Rust: `try_recv`.
    std::optional<SignedMessage> try_recv() const;
    /// Waits at most `timeout`. A receive point (see `recv`). Rust: `try_recv_timeout`.
    template <class Rep, class Period>
    Result<SignedMessage, ReceiveError> try_recv_timeout(std::chrono::duration<Rep, Period> timeout) const {
        return recv_for(std::chrono::ceil<std::chrono::nanoseconds>(timeout));
    }

    /// This actor's address: what its messages are signed with. Rust: `signature`.
    const RefAddr& signature() const noexcept { return current_.addr(); }

    /// Sends `msg` to `to`, signed with this actor's address; the message comes back if `to` has stopped.
    /// Rust: `tell`.
    template <class M>
    Result<void, detail::Payload<M>> tell(const RefAddr& to, M&& msg) const {
        return detail::tell(to.cell(), signatures_.take(signature()), std::forward<M>(msg));
    }
    /// Asks `to`, signed with this actor's address. Rust: `ask`.
    template <class M>
    Result<Answer, detail::Payload<M>> ask(const RefAddr& to, M&& msg) const {
        return detail::ask(to.cell(), signatures_.take(signature()), std::forward<M>(msg));
    }

    /// Tells `msg` to `to` after `delay`, signed with this actor's address (a timer: nothing waits meanwhile; the
    /// timer's lightproc is parked until then). The timer belongs to this run of the actor: it is cancelled when the
    /// exec ends (returns, throws, or is stopped, killed or restarted), as Akka cancels an actor's timers when it
    /// stops or restarts; one made through a copy of the context after that never fires. Cancel the returned Timer to
    /// call it off sooner; dropping it lets it fire. If `to` has stopped for good by then, the message is dropped.
    /// To send to itself later, pass `ctx.signature()`. See `bastion::send_after` (timer.hpp) for a timer made
    /// outside an actor. Akka: `timers.startSingleTimer(key, msg, delay)`; Erlang: `erlang:send_after/3`.
    template <class M, class Rep, class Period>
    Timer send_after(const RefAddr& to, M&& msg, std::chrono::duration<Rep, Period> delay) const {
        return detail::start_timer(to.cell(), detail::once_tick(signature(), std::forward<M>(msg)),
                                   std::chrono::ceil<std::chrono::nanoseconds>(delay), std::chrono::nanoseconds::zero(),
                                   timers_.get());
    }

    /// Tells `msg` (copied each time, or made by calling it if it is a factory) to `to` every `interval`, the first
    /// time after `initial_delay`, signed with this actor's address. Fixed rate without bursts: tick k is due at
    /// `now + initial_delay + k * interval`, and a slot is skipped while the previous tick is still unread (see
    /// `bastion::send_at_fixed_rate` for the full rules). Owned by this run, as `send_after`: cancelled when the exec
    /// ends; ends itself once `to` stops for good. Akka: `timers.startTimerAtFixedRate(key, msg, initialDelay,
    /// interval)`.
    template <class M, class Rep1, class Period1, class Rep2, class Period2>
    Timer send_at_fixed_rate(const RefAddr& to, M&& msg, std::chrono::duration<Rep1, Period1> initial_delay,
                             std::chrono::duration<Rep2, Period2> interval) const {
        if (interval <= interval.zero()) {
            throw std::invalid_argument{"bastion: send_at_fixed_rate needs a positive interval"};
        }
        return detail::start_timer(to.cell(), detail::repeating_ticks(signature(), std::forward<M>(msg)),
                                   std::chrono::ceil<std::chrono::nanoseconds>(initial_delay),
                                   std::chrono::ceil<std::chrono::nanoseconds>(interval), timers_.get());
    }

    /// Gives `msg` to the dispatchers `target` names, whose handlers choose the members that receive it (the
    /// default, round robin: one member). A member receives a tell of `std::shared_ptr<SignedMessage>` wrapping a
    /// broadcast of `msg` signed by this actor (see DispatchedMessage). The message comes back inside the error if
    /// no such dispatcher exists (NoDistributor, naming it) or no member took it (EmptyRecipient); upstream lost it
    /// silently. Rust: `broadcast_message`.
    template <class M>
    Result<void, SendError> broadcast_message(const BroadcastTarget& target, M&& msg) const {
        using T = detail::Payload<M>;
        const DispatchedMessage message{signature(), detail::share(std::forward<M>(msg))};
        const detail::Dispatched outcome = detail::dispatch(*current_.cell(), target, message);
        if (outcome == detail::Dispatched::Delivered) return Ok();
        detail::SharedPayload payload = message.payload();
        Msg back{detail::make_letter(detail::MessageKind::Tell, signature(), detail::unshare<T>(std::move(payload)))};
        if (outcome == detail::Dispatched::NoDispatcher) {
            return Err(SendError::NoDistributor(target.is_all() ? "(any dispatcher)" : target.group(), std::move(back)));
        }
        return Err(SendError::EmptyRecipient(std::move(back)));
    }

    /// Makes this actor join (`Register`) or leave (`Remove`) the dispatchers of the given types that exist. A
    /// joined dispatcher keeps it across restarts until it leaves or stops for good; leaving a dispatcher of its
    /// group lasts until its next restart, when it joins again. Rust: `notify`.
    void notify(const std::vector<DispatcherType>& dispatchers, NotificationType type) const;

    /// Death watch: once `actor` stops for good, this actor is told `Terminated{actor, reason}` (at once if it
    /// already has). Restarts are not terminations. An actor on another node is watched over the wire; if its node is
    /// lost first, the reason is NodeDown.
    void monitor(const ChildRef& actor) const;
    /// As `monitor(ChildRef)`, for an address (for instance one `Cluster::whereis` found). Dead letters: nothing.
    void monitor(const RefAddr& actor) const {
        if (actor.cell()) monitor(ChildRef{actor.cell()});
    }
    /// Watches a children group: once every actor of it has stopped for good, this actor is told
    /// `GroupTerminated{group, reason}` (at once if it already has). Not for a group with a resizer.
    void monitor(const ChildrenRef& group) const;
    /// Watches a supervisor: this actor is told `SupervisorGaveUp{supervisor, failure}` each time it gives up and
    /// escalates, and `SupervisorTerminated{supervisor, reason}` once it stops for good (at once if it already has).
    void monitor(const SupervisorRef& supervisor) const;

private:
    Result<SignedMessage, ReceiveError> recv_for(std::chrono::nanoseconds timeout) const;

    ChildRef current_;
    ChildrenRef parent_;
    std::optional<SupervisorRef> supervisor_;
    mutable detail::SignatureStash signatures_;  // what tell and ask sign with
    std::shared_ptr<detail::TimerScope> timers_;  // this run's timers, cancelled when it ends
};

}  // namespace bastion
