#pragma once
// The members of a dispatcher or a distributor (a route), and the system's table of them.
//
// Membership follows the actors' runs: an actor joins its group's routes (and those it subscribed to) when it is
// built and again when a later run starts, and leaves them when a run's exec ends, on its own lightproc, so a route
// lists exactly the actors that are reading their mailboxes or about to (what reaches an actor before its first run
// waits in its mailbox, as any message sent before a start does). A sender picks a member from the route and pushes; if the member stopped for good in
// between, its mailbox refuses the letter and the sender tries the next one; if it stopped with routed letters still
// inside, the supervisor hands them to a running sibling. A message is thus delivered to a live member, or comes back
// to its sender inside a SendError.
//
// Cost: a route's member list is copy-on-write (a membership change copies it; changes are rare next to sends), read
// under a spinlock held for a few instructions: tell_one takes the lock, copies one member's pointer and advances the
// round robin, and pushes after releasing it. Groups without routes pay nothing: the direct send path is untouched.

#include <bastion/dispatcher.hpp>

#include "executor/spinlock.hpp"

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bastion::detail {

class ActorCell;
class GroupCell;
class Routes;

/// Told when an actor of this node joins or leaves a distributor, so the cluster layer can tell the other nodes (their
/// distributors of the same name then reach it too).
class RouteObserver {
public:
    virtual ~RouteObserver() = default;
    virtual void changed(const std::string& distributor, const ChildRef& member, bool joined) noexcept = 0;
};

class Route {
public:
    using Members = std::vector<ChildRef>;

    explicit Route(std::string name, const Routes* distributors = nullptr)
        : name{std::move(name)}, table_{distributors} {}

    const std::string name;
    // A group declared it (with_distributor / with_dispatcher) or someone subscribed to it: sends to it are then
    // EmptyRecipient rather than NoDistributor while it has no member.
    std::atomic<bool> declared{false};
    // Dispatchers only: set once, by the first group that declares it (under the Routes lock), then read-only.
    std::shared_ptr<DispatcherHandler> handler;

    /// Adds `member` (once). Serialised with the other changes; readers are never blocked for more than a swap.
    void add(const ChildRef& member);
    /// Removes `member` if present.
    void remove(const ChildRef& member);
    /// The members now (never null).
    std::shared_ptr<const Members> members() const noexcept;
    struct Pick {
        std::shared_ptr<ActorCell> member;  // null if there is none
        std::size_t members = 0;            // how many there are
    };
    /// The next member in turn.
    Pick next() noexcept;

private:
    void publish(std::shared_ptr<const Members> members) noexcept;
    void notify(const ChildRef& member, const Members& members, NotificationType type) const;

    mutable executor::detail::Spinlock lock_;
    std::shared_ptr<const Members> members_ = std::make_shared<const Members>();  // under lock_
    std::size_t next_ = 0;                                                         // under lock_
    std::mutex writers_;  // one membership change at a time
    const Routes* const table_;  // set for a distributor: its table, whose observer hears of changes
};

/// Every dispatcher and distributor of one system, by name (dispatchers and distributors are separate namespaces).
class Routes {
public:
    /// The distributor called `name`, created if needed.
    std::shared_ptr<Route> distributor(std::string_view name);
    /// The dispatcher of `type`, created with `handler` if needed (an existing one keeps its handler).
    std::shared_ptr<Route> dispatcher(const DispatcherType& type, const std::shared_ptr<DispatcherHandler>& handler);
    /// The dispatcher called `name`, or null.
    std::shared_ptr<Route> find_dispatcher(const std::string& name) const;
    /// Every dispatcher.
    std::vector<std::shared_ptr<Route>> dispatchers() const;
    /// Every distributor.
    std::vector<std::shared_ptr<Route>> distributors() const;

    /// Who hears of distributor membership changes (the cluster layer), or null.
    void set_observer(std::shared_ptr<RouteObserver> observer);
    std::shared_ptr<RouteObserver> observer() const;

private:
    mutable std::mutex lock_;
    std::unordered_map<std::string, std::shared_ptr<Route>> distributors_;
    std::unordered_map<std::string, std::shared_ptr<Route>> dispatchers_;
    std::shared_ptr<RouteObserver> observer_;
};

/// The routes of `cell`'s run: its group's and its own (subscribe, notify). Joined when the actor is built and when a
/// run starts (on its lightproc), left when its exec has ended and by the supervisor before it removes a member.
void join_routes(const std::shared_ptr<ActorCell>& cell, const GroupCell& group);
void leave_routes(const std::shared_ptr<ActorCell>& cell, const GroupCell& group);
/// Adds `route` to the routes `cell` joined itself (joining it now if its run is a member of its routes).
void subscribe_route(const std::shared_ptr<ActorCell>& cell, const std::shared_ptr<Route>& route);
/// Removes `route` from them and leaves it now.
void unsubscribe_route(const std::shared_ptr<ActorCell>& cell, const std::shared_ptr<Route>& route);

/// What a resizer sends a member it removes, after the member has left its routes: read after every message already
/// in the mailbox, so none is lost with it.
struct Retire {};
/// Asks `cell` to retire: it finishes what is in its mailbox, then stops for good.
void send_retire(const std::shared_ptr<ActorCell>& cell) noexcept;

/// A received routed letter (`letter.routed`) leaves its receiver's backlog; a Retire letter stops the receiver for
/// good instead (this never returns: the receiver waits to be cancelled, reading nothing more).
void settle_routed(const std::shared_ptr<ActorCell>& receiver, const Letter& letter);

}  // namespace bastion::detail
