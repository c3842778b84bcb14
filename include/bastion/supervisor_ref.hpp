#pragma once
/// \file
/// SupervisorRef: a reference to a running supervisor. Rust: `bastion::supervisor::SupervisorRef`.

#include <bastion/bastion_id.hpp>
#include <bastion/detail/send.hpp>
#include <bastion/path.hpp>
#include <bastion/supervision_strategy.hpp>

#include <functional>
#include <memory>
#include <utility>

namespace bastion {

class Children;
class ChildrenRef;
class Supervisor;

namespace detail {
class SupervisorCell;
using ChildrenInit = std::function<Children(Children)>;
using SupervisorInit = std::function<Supervisor(Supervisor)>;
bool broadcast_to(const SupervisorCell& supervisor, const SharedPayload& payload);
}  // namespace detail

/// Names a supervisor. Cheap to copy; valid across restarts. Equality uses the id. Rust: `SupervisorRef`.
class SupervisorRef {
public:
    /// A reference to a supervisor the runtime made; user code gets one from `Bastion::supervisor` or `supervisor_ref`.
    explicit SupervisorRef(std::shared_ptr<detail::SupervisorCell> cell) noexcept : cell_{std::move(cell)} {}

    /// The supervisor's id. Rust: `SupervisorRef::id`.
    const BastionId& id() const noexcept;
    /// Where the supervisor sits in the tree.
    const BastionPath& path() const noexcept;

    /// Creates a supervisor under this one and starts it (once the system has started). Rust: `supervisor`.
    Result<SupervisorRef, void> supervisor(detail::SupervisorInit init) const;
    /// Creates a children group under this supervisor and starts it (once the system has started). Rust: `children`.
    Result<ChildrenRef, void> children(detail::ChildrenInit init) const;
    /// Changes how this supervisor restarts its elements from now on. Rust: `strategy`.
    Result<void, void> strategy(SupervisionStrategy strategy) const;

    /// Sends `msg` to every actor below this supervisor. The message comes back if none was reached. Rust: `broadcast`.
    template <class M>
    Result<void, detail::Payload<M>> broadcast(M&& msg) const {
        return detail::broadcast(*cell_, std::forward<M>(msg));
    }

    /// Stops everything below it, runs its `after_stop`, and ends it (it is not restarted). Returns at once.
    Result<void, void> stop() const;
    /// As `stop`, without callbacks.
    Result<void, void> kill() const;

    /// Same supervisor.
    friend bool operator==(const SupervisorRef& a, const SupervisorRef& b) noexcept { return a.cell_ == b.cell_; }

    /// The runtime's record of the supervisor. For the runtime.
    const std::shared_ptr<detail::SupervisorCell>& cell() const noexcept { return cell_; }

private:
    std::shared_ptr<detail::SupervisorCell> cell_;
};

}  // namespace bastion
