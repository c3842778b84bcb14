#pragma once
/// \file
/// DistributedContext and ClusterMessage: upstream's surface for a cluster, node to node, for ports of programs written
/// against `Bastion::distributed`. New code can use `Cluster` and ordinary actor addresses instead. Rust:
/// `bastion::distributed::{DistributedContext, ClusterMessage}`.

#include <bastion/bastion.hpp>
#include <bastion/children_ref.hpp>
#include <bastion/context.hpp>
#include <bastion/distributed/cluster.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace bastion::distributed {

/// The name under which every node registers its distributed actor.
inline constexpr const char* distributed_actor_name = "bastion::distributed";

/// The node name of the actor `addr` names: its node for an actor of another node, this node's for a local one, empty
/// for dead letters.
std::string node_of(const RefAddr& addr);

/// A message one member's distributed actor sent to this one's. Rust: `ClusterMessage`.
class ClusterMessage {
public:
    /// A message and the member it came from.
    ClusterMessage(Msg msg, std::string member) noexcept : msg_{std::move(msg)}, member_{std::move(member)} {}
    /// The message. Rust: `extract`.
    Msg extract() && { return std::move(msg_); }
    /// The sending member's node name (upstream: its id).
    const std::string& member() const noexcept { return member_; }

private:
    Msg msg_;
    std::string member_;
};

/// What the action of `Bastion::distributed` gets: the local context, the cluster, and a mailbox for messages from the
/// other members' distributed actors. Rust: `DistributedContext`.
class DistributedContext {
public:
    /// Made by `Bastion::distributed` for each run of the action.
    DistributedContext(BastionContext ctx, Cluster cluster) noexcept
        : ctx_{std::move(ctx)}, cluster_{std::move(cluster)}, peers_{std::make_shared<Peers>()} {}

    /// The actor's own context. Rust: `local_ctx`.
    const BastionContext& local_ctx() const noexcept { return ctx_; }
    /// The cluster this node joined.
    const Cluster& cluster() const noexcept { return cluster_; }
    /// This node's name (upstream: its id). Rust: `current`.
    const std::string& current() const noexcept { return cluster_.name(); }
    /// The other members that are not Down. Rust: `members`.
    std::vector<Member> members() const;

    /// Sends `msg` to the distributed actor of `member` (a node name); the message comes back if that member is
    /// unknown, down, or runs no distributed actor. Unlike upstream, any remote message type, not only strings.
    /// Rust: `tell`.
    template <class M>
    Result<void, bastion::detail::Payload<M>> tell(const std::string& member, M&& msg) const {
        bastion::detail::Payload<M> payload{std::forward<M>(msg)};
        for (int attempt = 0; attempt < 2; ++attempt) {  // a cached address may name the member's previous run
            RefAddr to = actor_of(member, attempt > 0);
            if (!to.is_sender_identified()) break;
            auto sent = ctx_.tell(to, std::move(payload));
            if (sent.is_ok()) return Ok();
            payload = std::move(sent).unwrap_err();
        }
        return Err(std::move(payload));
    }

    /// Waits for the next message, suspending only this lightproc (upstream spins). Rust: `recv`.
    ClusterMessage recv() const;

private:
    struct Peers {
        std::mutex lock;
        std::map<std::string, RefAddr, std::less<>> actors;  // each member's distributed actor, once looked up
    };
    RefAddr actor_of(const std::string& member, bool refresh) const;

    BastionContext ctx_;
    Cluster cluster_;
    std::shared_ptr<Peers> peers_;
};

/// Joins the cluster `config` describes and starts, under the root supervisor, the distributed actor running `action`
/// (`Exec(DistributedContext)`), reachable from the other members as `distributed_actor_name`. Called as
/// `Bastion::distributed(config, action)`, which finds it by argument-dependent lookup. Err if the cluster cannot be
/// joined. Rust: `Bastion::distributed`.
template <class F>
Result<ChildrenRef, io::Error> distributed_spawn(ClusterConfig config, F action) {
    auto joined = Cluster::join(std::move(config));
    if (joined.is_err()) return Err(std::move(joined).unwrap_err());
    Cluster cluster = std::move(joined).unwrap();
    auto group = Bastion::children([cluster, action = std::move(action)](Children children) {
        return children.with_exec([cluster, action](BastionContext ctx) -> Exec {
            cluster.register_name(distributed_actor_name, ctx.current());
            return action(DistributedContext{std::move(ctx), cluster});
        });
    });
    return Ok(std::move(group).expect("the system exists: Cluster::join checked it"));
}

}  // namespace bastion::distributed
