#pragma once
/// \file
/// Children: the builder of a children group (one exec, run by `redundancy` actors). Rust: `bastion::children::Children`.

#include <bastion/bastion_id.hpp>
#include <bastion/callbacks.hpp>
#include <bastion/context.hpp>
#include <bastion/dispatcher.hpp>
#include <bastion/distributor.hpp>
#include <bastion/resizer.hpp>
#include <bastion/result.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace bastion {

/// What an exec returns: `Ok()` when the actor is done (it is then removed, not restarted), `Err()` to fail (it is
/// then restarted as its supervisor says). Throwing fails it too. Rust: `Result<(), ()>`.
using Exec = Result<void, void>;

namespace detail {
class GroupCell;
using ExecFn = std::function<Exec(BastionContext)>;

template <class F>
inline constexpr bool exec_misuse = false;

// Accepts the shapes an exec comes in: returning Exec, any Result (an Err fails the actor), or void.
template <class F>
ExecFn to_exec(F exec) {
    static_assert(std::is_copy_constructible_v<F>,
                  "with_exec takes a copyable callable: capture move-only state through a shared_ptr");
    if constexpr (!std::is_invocable_v<const F&, BastionContext>) {
        static_assert(exec_misuse<F>,
                      "with_exec takes [..](BastionContext ctx) -> Exec { ... }, callable as const (no `mutable`): it "
                      "runs again for every element and every restart");
        return {};
    } else {
        using R = std::invoke_result_t<const F&, BastionContext>;
        static_assert(std::is_void_v<R> || is_result<R>, "an exec returns Exec (Ok() or Err()), another Result, or void");
        return [exec = std::move(exec)](BastionContext ctx) -> Exec {
            if constexpr (std::is_void_v<R>) {
                exec(std::move(ctx));
                return Ok();
            } else {
                if (exec(std::move(ctx)).is_ok()) return Ok();
                return Err();
            }
        };
    }
}
}  // namespace detail

/// Describes a children group: what each actor runs, how many there are, what they are called, and their callbacks.
/// The runtime hands one to the closure given to `Bastion::children` or `Supervisor::children`. It is a handle on the
/// one description the runtime builds: each builder call changes that description and returns the handle, so calls
/// chain (and a call whose result is dropped still counts). Rust: `Children`.
class Children {
public:
    /// The builder of a group the runtime made; user code receives it in the closure given to `Bastion::children`.
    /// Rust: `Children::new` (crate-private).
    explicit Children(std::shared_ptr<detail::GroupCell> cell) noexcept : cell_{std::move(cell)} {}

    /// What every actor of the group runs, again on every restart: `[..](BastionContext ctx) -> Exec { ... }`.
    /// Rust: `with_exec`.
    template <class F>
    Children with_exec(F exec) const {
        set_exec(detail::to_exec(std::move(exec)));
        return *this;
    }
    /// How many actors run the exec (0 counts as 1). Default 1. Rust: `with_redundancy`.
    Children with_redundancy(std::size_t redundancy) const;
    /// The group's name, visible as `ChildRef::name()`. Default `"__Anonymous__"`. Rust: `with_name`.
    Children with_name(std::string name) const;
    /// Rust: `with_callbacks`.
    Children with_callbacks(Callbacks callbacks) const;
    /// How often the group's resizer samples it (default 60 s, as upstream). Without a resizer there is nothing to
    /// tick: upstream's heartbeat (a hidden child, visible in `elems()`) only woke the group to notice panics, and
    /// here a failure reaches the supervisor the moment it happens. Rust: `with_heartbeat_tick`.
    Children with_heartbeat_tick(std::chrono::nanoseconds interval) const;
    /// Binds every actor of the group to executor worker `worker` (counted modulo the worker count): it runs only
    /// there, restarts there, and is never stolen by another worker, so it keeps its core and cache. Default: unbound,
    /// which balances load better. See `Executor::spawn_on`. No upstream equivalent.
    Children with_worker(std::size_t worker) const;
    /// Makes every actor of the group a member of `dispatcher` while it runs (joins on start and restart, leaves
    /// when it stops, fails or panics). Repeatable. Rust: `with_dispatcher`.
    Children with_dispatcher(Dispatcher dispatcher) const;
    /// Makes every actor of the group a member of `distributor` while it runs, as `with_dispatcher`; the distributor
    /// exists from this call on. Repeatable. Rust: `with_distributor`.
    Children with_distributor(Distributor distributor) const;
    /// Resizes the group at run time (see OptimalSizeExploringResizer); sets the redundancy to its lower bound.
    /// Rust: `with_resizer` (feature `scaling`).
    Children with_resizer(OptimalSizeExploringResizer resizer) const;

    /// The group's id, as its ChildrenRef reports it. Rust: `Children::id`.
    const BastionId& id() const noexcept;

    /// The runtime's record of the group. For the runtime.
    const std::shared_ptr<detail::GroupCell>& cell() const noexcept { return cell_; }

private:
    void set_exec(detail::ExecFn exec) const;
    std::shared_ptr<detail::GroupCell> cell_;
};

}  // namespace bastion
