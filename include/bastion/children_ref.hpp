#pragma once
/// \file
/// ChildrenRef: a reference to a children group. Rust: `bastion::children_ref::ChildrenRef`.

#include <bastion/bastion_id.hpp>
#include <bastion/child_ref.hpp>
#include <bastion/detail/send.hpp>
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
    explicit ChildrenRef(std::shared_ptr<detail::GroupCell> cell) noexcept : cell_{std::move(cell)} {}

    const BastionId& id() const noexcept;
    const BastionPath& path() const noexcept;
    const std::string& name() const noexcept;

    /// The group's elements, in start order: fixed when the group is built, and valid across restarts (upstream's
    /// was a snapshot whose refs went stale). Lives as long as the group. Rust: `elems`.
    const std::vector<ChildRef>& elems() const noexcept;

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

    friend bool operator==(const ChildrenRef& a, const ChildrenRef& b) noexcept { return a.cell_ == b.cell_; }

    const std::shared_ptr<detail::GroupCell>& cell() const noexcept { return cell_; }

private:
    std::shared_ptr<detail::GroupCell> cell_;
};

}  // namespace bastion
