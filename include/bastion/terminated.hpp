#pragma once
/// \file
/// Terminated and its kin: what a watcher is told when an actor, a children group or a supervisor it monitors stops
/// for good (death watch, as Erlang's monitors), or when a supervisor it monitors gives up.

#include <bastion/child_ref.hpp>
#include <bastion/children_ref.hpp>
#include <bastion/failure.hpp>
#include <bastion/supervisor_ref.hpp>

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

/// Told (as a tell, signed as dead letters) to everyone who called `ctx.monitor(group)`, once every actor of the group
/// has stopped for good (not sent for a group with a resizer, whose members come and go). A restart of its supervisor
/// that starts it again makes it watchable anew.
struct GroupTerminated {
    /// The group that ended.
    ChildrenRef group;
    /// Why its last actor stopped.
    ExitReason reason;
};

/// Told (as a tell, signed as dead letters) to everyone who called `ctx.monitor(supervisor)`, once the supervisor has
/// stopped for good, after everything below it: `Stopped` or `Killed`.
struct SupervisorTerminated {
    /// The supervisor that ended.
    SupervisorRef supervisor;
    /// Stopped or Killed.
    ExitReason reason;
};

/// Told to the watchers of a supervisor each time it gives up (more restarts than its intensity allows) and escalates
/// to its parent, which then restarts it or gives up in turn. Not an end: the watchers stay.
struct SupervisorGaveUp {
    /// The supervisor that gave up.
    SupervisorRef supervisor;
    /// The failure that went past its restart intensity.
    Failure failure;
};

}  // namespace bastion
