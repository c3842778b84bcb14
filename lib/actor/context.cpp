#include <bastion/context.hpp>

#include "actor/cells.hpp"


namespace bastion {

SignedMessage BastionContext::recv() const {
    detail::ActorCell& cell = *current_.cell();
    detail::LetterPtr letter = cell.mailbox.pop_until(std::chrono::steady_clock::time_point::max());
    if (letter->routed) detail::settle_routed(current_.cell(), *letter);
    return SignedMessage{std::move(letter)};
}

std::optional<SignedMessage> BastionContext::try_recv() const {
    detail::ActorCell& cell = *current_.cell();
    cell.mailbox.receive_point();  // a polling loop yields and sees its stop too
    if (auto letter = cell.mailbox.try_pop()) {
        if (letter->routed) detail::settle_routed(current_.cell(), *letter);
        return SignedMessage{std::move(letter)};
    }
    return std::nullopt;
}

Result<SignedMessage, ReceiveError> BastionContext::recv_for(std::chrono::nanoseconds timeout) const {
    detail::ActorCell& cell = *current_.cell();
    if (auto letter = cell.mailbox.pop_until(std::chrono::steady_clock::now() + timeout)) {
        if (letter->routed) detail::settle_routed(current_.cell(), *letter);
        return Ok(SignedMessage{std::move(letter)});
    }
    return Err(ReceiveError::Timeout(timeout));
}

void BastionContext::monitor(const ChildRef& actor) const {
    detail::ActorCell& cell = *actor.cell();
    if (cell.remote) {
        cell.remote->monitor(cell, signature());
        return;
    }
    if (auto ended = cell.watch.watch(signature())) (void)tell(signature(), Terminated{actor, *ended});
}

void BastionContext::monitor(const ChildrenRef& group) const {
    if (auto ended = group.cell()->watch.watch(signature())) (void)tell(signature(), GroupTerminated{group, *ended});
}

void BastionContext::monitor(const SupervisorRef& supervisor) const {
    if (auto ended = supervisor.cell()->watch.watch(signature())) {
        (void)tell(signature(), SupervisorTerminated{supervisor, *ended});
    }
}

std::ostream& operator<<(std::ostream& out, ExitReason reason) {
    switch (reason) {
        case ExitReason::Finished: return out << "Finished";
        case ExitReason::Stopped: return out << "Stopped";
        case ExitReason::Killed: return out << "Killed";
        case ExitReason::GaveUp: return out << "GaveUp";
        case ExitReason::NodeDown: return out << "NodeDown";
    }
    return out;
}

}  // namespace bastion
