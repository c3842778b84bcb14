#pragma once
/// \file
/// Bastion: the system, started and stopped as a whole. Rust: `bastion::Bastion`.

#include <bastion/children.hpp>
#include <bastion/children_ref.hpp>
#include <bastion/config.hpp>
#include <bastion/detail/send.hpp>
#include <bastion/supervisor.hpp>
#include <bastion/supervisor_ref.hpp>

#include <chrono>
#include <utility>

namespace bastion {

namespace detail {
struct WholeSystem {};
/// Delivers to every actor of the system; false if there is no running system or no actor.
bool broadcast_to(WholeSystem, const SharedPayload& payload);
}  // namespace detail

/// The process's actor system: a root supervisor (one-for-one, always restart, immediately) under which top-level
/// supervisors and children groups run, on an executor of its own.
///
/// Life: `init` → build (`supervisor`, `children`, `spawn`; also later) → `start` → ... → `stop` or `kill` →
/// `block_until_stopped`. Nothing runs before `start`: messages sent to actors before it wait in their mailboxes
/// and are handled once it is called (upstream starts children early). Unlike upstream, a stopped system can be
/// initialised again in the same process: `init` after `block_until_stopped` returns builds a fresh one.
class Bastion {
public:
    /// Creates the system if there is none (or the last one has stopped). Idempotent. Rust: `init`.
    static void init();
    /// As `init`, with a configuration (ignored if a system already exists). Rust: `init_with`.
    static void init_with(Config config);
    /// Starts everything built so far; later additions start at once. Rust: `start`.
    static void start();
    /// Stops the system: every actor stops (callbacks run, bottom up) and then `block_until_stopped` returns. Returns
    /// at once; callable from an actor. Rust: `stop`.
    static void stop();
    /// As `stop`, without callbacks. Rust: `kill`.
    static void kill();
    /// Blocks the calling thread (no CPU) until the system has stopped, then joins its threads. Call it from a plain
    /// thread, not from an actor. Returns at once if there is no system. Rust: `block_until_stopped`.
    static void block_until_stopped();
    /// As `block_until_stopped`, but waits at most `timeout`: true once the system has stopped (its threads are then
    /// joined), false if it is still stopping (an actor in a loop that reaches no wait point holds it up: see
    /// `this_proc::yield_now`); call it again, or `block_until_stopped`, to go on waiting. Beyond upstream.
    template <class Rep, class Period>
    static bool block_until_stopped_for(std::chrono::duration<Rep, Period> timeout) {
        return block_until_stopped_until(std::chrono::steady_clock::now() +
                                         std::chrono::ceil<std::chrono::steady_clock::duration>(timeout));
    }
    /// As `block_until_stopped_for`, with a deadline.
    static bool block_until_stopped_until(std::chrono::steady_clock::time_point deadline);

    /// Adds a top-level supervisor. Err before `init` and once the system has stopped (a stopped system runs
    /// nothing new). Rust: `supervisor`.
    static Result<SupervisorRef, void> supervisor(detail::SupervisorInit init);
    /// Adds a children group under the root supervisor. Err before `init` and once the system has stopped.
    /// Rust: `children`.
    static Result<ChildrenRef, void> children(detail::ChildrenInit init);
    /// A group of one actor running `exec`. Rust: `spawn`.
    template <class F>
    static Result<ChildrenRef, void> spawn(F exec) {
        return children([exec = std::move(exec)](Children c) { return c.with_exec(exec); });
    }

    /// Joins the cluster `config` (a `distributed::ClusterConfig`) describes and starts the distributed actor running
    /// `action`, which gets a `distributed::DistributedContext`. Needs `<bastion/distributed.hpp>`; see
    /// `distributed::distributed_spawn`. Returns `Result<ChildrenRef, io::Error>`: the distributed actor's group, or
    /// why the node could not join (its listen address taken or invalid). Rust: `Bastion::distributed`.
    template <class ClusterConfig, class F>
    static auto distributed(ClusterConfig config, F action) {
        return distributed_spawn(std::move(config), std::move(action));  // found by argument-dependent lookup
    }

    /// Sends `msg` to every actor of the system; it comes back if there was none. Rust: `broadcast`.
    template <class M>
    static Result<void, detail::Payload<M>> broadcast(M&& msg) {
        return detail::broadcast(detail::WholeSystem{}, std::forward<M>(msg));
    }
};

}  // namespace bastion
