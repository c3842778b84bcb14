#pragma once
/// \file
/// Cluster: this process as a node of a cluster. Actors on other nodes are reached through ordinary `RefAddr`s, so
/// `ctx.tell`, `ctx.ask` and `MSG` work unchanged across nodes.

#include <bastion/child_ref.hpp>
#include <bastion/distributed/cluster_config.hpp>
#include <bastion/distributed/member.hpp>
#include <bastion/io/error.hpp>
#include <bastion/ref_addr.hpp>
#include <bastion/result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace bastion::distributed {

namespace detail {
class Node;
}

/// Why `Cluster::whereis` found nothing.
enum class LookupError {
    UnknownNode,  ///< no member has that name (yet)
    NotFound,     ///< the member answered: no actor is registered under that name there
    Unreachable,  ///< the member is down, or did not answer within the timeout
};

/// Writes the enumerator's name.
std::ostream& operator<<(std::ostream& out, LookupError error);

/// This process's node. Cheap to copy; every copy is the same node.
///
/// A node lives inside the running system: `join` after `Bastion::init`, and the node leaves (saying goodbye to its
/// peers) when the system stops. It listens on one TCP port and keeps one connection to every other member; messages
/// between two actors travel in order over that connection, at most once. Each member is watched with heartbeats:
/// Alive → Suspect → Down (see `ClusterConfig`); a Down member that answers again comes back. Sending to an actor on
/// a Down member hands the message back, as a send to a stopped actor does; an ask in flight when its member's link
/// breaks resolves to an error.
class Cluster {
public:
    /// Binds the listener and starts discovery. Err if the listen address cannot be bound; throws std::logic_error if
    /// `Bastion::init` was not called or this system already joined a cluster.
    static Result<Cluster, io::Error> join(ClusterConfig config);

    /// This node's name.
    const std::string& name() const noexcept;
    /// Where this node listens (`host:port`, with the port actually bound).
    const std::string& address() const noexcept;
    /// This run's incarnation (random, fixed until the process restarts).
    std::uint64_t incarnation() const noexcept;

    /// The other nodes known now, Down ones included, ordered by name.
    std::vector<Member> members() const;
    /// Waits until at least `count` other members are Alive; false if `timeout` passes first. From a lightproc it
    /// suspends only that lightproc.
    bool wait_for_members(std::size_t count, std::chrono::milliseconds timeout) const;

    /// Makes `actor` reachable from other nodes as `name` (replacing an earlier registration of that name).
    void register_name(const std::string& name, const ChildRef& actor) const;
    /// Removes a registration; false if there was none.
    bool unregister_name(const std::string& name) const;
    /// The actor registered as `name` on member `node` (this node's own name works too), waiting at most `timeout`
    /// for its answer. As Erlang's `{Name, Node}`.
    Result<RefAddr, LookupError> whereis(const std::string& node, const std::string& name,
                                         std::chrono::milliseconds timeout = std::chrono::seconds{5}) const;

    /// Tells `actor` a MemberUp or MemberDown each time a member comes or goes, starting with a MemberUp for every
    /// member Alive now.
    void subscribe(const ChildRef& actor) const;

    /// Says goodbye to every member and closes every link; members see this node leave at once rather than after a
    /// timeout. Idempotent; also done when the system stops.
    void leave() const;

private:
    explicit Cluster(std::shared_ptr<detail::Node> node) noexcept : node_{std::move(node)} {}
    std::shared_ptr<detail::Node> node_;
};

}  // namespace bastion::distributed
