#pragma once
// The seam between actors and the cluster: an actor on another node is a proxy cell whose letters go to a link instead
// of a mailbox. The actor layer knows only this interface; lib/distributed implements it.

#include <bastion/detail/letter.hpp>
#include <bastion/ref_addr.hpp>

namespace bastion::detail {

class ActorCell;

class RemoteLink {
public:
    virtual ~RemoteLink() = default;
    /// Sends `letter` to the actor `proxy` stands for. Empty once it is on its way; the letter back if it cannot go
    /// (the node is down, or the payload has no wire format).
    virtual LetterPtr deliver(const ActorCell& proxy, LetterPtr letter) noexcept = 0;
    /// Death watch across nodes: `watcher` is told Terminated when the actor stops, or when its node is lost.
    virtual void monitor(const ActorCell& proxy, const RefAddr& watcher) noexcept = 0;
};

}  // namespace bastion::detail
