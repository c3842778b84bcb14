#pragma once
/// \file
/// Terminated: what a watcher is told when an actor it monitors stops for good (death watch, as Erlang's monitors).

#include <bastion/child_ref.hpp>

#include <ostream>

namespace bastion {

/// Why a monitored actor stopped for good.
enum class ExitReason {
    Finished,  ///< its exec returned normally
    Stopped,   ///< it (or its group, supervisor or the system) was stopped
    Killed,    ///< it was killed
    GaveUp,    ///< it failed and its supervisor would not restart it again
    NodeDown,  ///< it lived on another node, and that node was lost (or it was not there when watched)
};

/// Writes the enumerator's name (`Finished`, `Stopped`, `Killed`, `GaveUp`, `NodeDown`).
std::ostream& operator<<(std::ostream& out, ExitReason reason);

/// Told (as a tell, signed by the stopped actor) to everyone who called `ctx.monitor(actor)`, once the actor has
/// stopped for good. A restart is not a termination.
struct Terminated {
    /// The actor that stopped.
    ChildRef actor;
    /// Why it stopped.
    ExitReason reason;
};

}  // namespace bastion
