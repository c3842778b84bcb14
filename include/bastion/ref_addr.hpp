#pragma once
/// \file
/// RefAddr: the address a message is signed with and can be answered at. Rust: `bastion::envelope::RefAddr`.

#include <bastion/path.hpp>

#include <memory>
#include <utility>

namespace bastion {

namespace detail {
class ActorCell;
}

/// Where an actor can be reached: its path and its mailbox. Cheap to copy; it names the actor, not one run of it, so
/// an address taken before a restart still reaches the restarted actor. A send to an actor that has stopped for good
/// hands the message back. The default address is dead letters: anonymous senders sign with it and nothing
/// receives there.
class RefAddr {
public:
    /// Dead letters: the anonymous signature.
    RefAddr() noexcept = default;
    /// The address of an actor the runtime made. For the runtime.
    explicit RefAddr(std::shared_ptr<detail::ActorCell> cell) noexcept : cell_{std::move(cell)} {}

    /// The actor's path (the dead-letters path for an anonymous signature).
    const BastionPath& path() const noexcept;

    /// True if this address names an actor, false for dead letters (an anonymous sender). Unlike upstream, this
    /// tells the truth.
    bool is_sender_identified() const noexcept { return cell_ != nullptr; }

    /// Same actor (or both dead letters).
    friend bool operator==(const RefAddr& a, const RefAddr& b) noexcept { return a.cell_ == b.cell_; }

    /// The actor behind the address (null for dead letters). For the runtime.
    const std::shared_ptr<detail::ActorCell>& cell() const noexcept { return cell_; }

private:
    std::shared_ptr<detail::ActorCell> cell_;
};

}  // namespace bastion
