#pragma once
/// \file
/// Member: another node of the cluster as this node sees it, and the events that tell an actor when one comes or goes.

#include <cstdint>
#include <ostream>
#include <string>

namespace bastion::distributed {

/// Where a member is in its life, as seen from here.
enum class MemberState {
    Alive,    ///< linked, and heard from within the heartbeat timeout
    Suspect,  ///< silent for half the heartbeat timeout, or its link broke: still counted, being reconnected
    Down,     ///< silent for the whole heartbeat timeout: sends to it come back; it rejoins if it answers again
};

/// Writes the enumerator's name (`Alive`, `Suspect`, `Down`).
std::ostream& operator<<(std::ostream& out, MemberState state);

/// One other node.
struct Member {
    /// Its name, unique in the cluster (`ClusterConfig::node_name`).
    std::string name;
    /// Where it listens for other nodes (`host:port`).
    std::string address;
    /// Which run of that node this is: a node that restarts comes back with a new incarnation, and references to
    /// actors of its previous run no longer reach anything.
    std::uint64_t incarnation = 0;
    /// As seen from here.
    MemberState state = MemberState::Down;
};

/// Told to the subscribers of `Cluster::subscribe` when a member comes up: it joined, came back with a new
/// incarnation, or was reached again after it was Down.
struct MemberUp {
    /// The member, as it is now.
    Member member;
};

/// Told to the subscribers of `Cluster::subscribe` when a member is lost: Down after the heartbeat timeout, or gone
/// for good because it left (`Cluster::leave`, or its system stopped) or was replaced by a new incarnation.
struct MemberDown {
    /// The member, as it was last seen.
    Member member;
    /// True if it said goodbye (or restarted as a new incarnation) rather than fell silent.
    bool left = false;
};

}  // namespace bastion::distributed
