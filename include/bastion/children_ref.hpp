#pragma once
/// \file
/// ChildrenRef: a reference to a children group. Rust: `bastion::children_ref::ChildrenRef`.

#include <bastion/bastion_id.hpp>
#include <bastion/child_ref.hpp>
#include <bastion/detail/send.hpp>
#include <bastion/dispatcher.hpp>
#include <bastion/distributor.hpp>
#include <bastion/path.hpp>

#include <memory>
#include <utility>
#include <vector>

namespace bastion {

namespace detail {
class GroupCell;
/// Delivers one broadcast letter to every element; false if none was reached.
bool broadcast_to(const GroupCell& group, const SharedPayload& payload);
}  // namespace detail

/// Names a children group. Cheap to copy; valid across restarts. Equality uses the id. Rust: `ChildrenRef`.
class ChildrenRef {
public:
    /// A reference to a group the runtime made; user code gets one from `Bastion::children`,
    /// `Supervisor::children_ref` or `ctx.parent()`.
    explicit ChildrenRef(std::shared_ptr<detail::GroupCell> cell) noexcept : cell_{std::move(cell)} {}

    /// The group's id, kept across restarts. Rust: `ChildrenRef::id`.
    const BastionId& id() const noexcept;
    /// Where the group sits in the supervision tree. Rust: `ChildrenRef::path`.
    const BastionPath& path() const noexcept;
    /// The group's name (`"__Anonymous__"` unless set with `Children::with_name`).
    const std::string& name() const noexcept;

    /// The group's elements now, in start order (a copy). Each ref stays valid across restarts (upstream's went
    /// stale). Fixed when the group is built, unless it has a resizer: then the current members (members it removed
    /// are left out, those it added are in). Rust: `elems`.
    std::vector<ChildRef> elems() const;

    /// The dispatchers its actors belong to, as given to `with_dispatcher`. Rust: `dispatchers`, which returns their
    /// `DispatcherType`s; here each one's type is `dispatcher_type()`.
    const std::vector<Dispatcher>& dispatchers() const noexcept;
    /// The distributors its actors belong to, as given to `with_distributor`. Rust: `distributors`.
    const std::vector<Distributor>& distributors() const noexcept;

    /// Sends `msg` to every element, shared: each receives it by const reference. The message comes back if no
    /// element could receive it. Rust: `broadcast`.
    template <class M>
    Result<void, detail::Payload<M>> broadcast(M&& msg) const {
        return detail::broadcast(*cell_, std::forward<M>(msg));
    }

    /// Stops every element for good (each runs `after_stop`). Returns at once. Rust: `stop`.
    Result<void, void> stop() const;
    /// As `stop`, without callbacks. Rust: `kill`.
    Result<void, void> kill() const;

    /// Same group. Rust: `impl PartialEq for ChildrenRef`.
    friend bool operator==(const ChildrenRef& a, const ChildrenRef& b) noexcept { return a.cell_ == b.cell_; }

    /// The runtime's record of the group. For the runtime.
    const std::shared_ptr<detail::GroupCell>& cell() const noexcept { return cell_; }

private:
    std::shared_ptr<detail::GroupCell> cell_;
};

}  // namespace bastion
