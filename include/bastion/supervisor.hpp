#pragma once
/// \file
/// Supervisor: the builder of a supervisor (its elements, strategies and callbacks). Rust:
/// `bastion::supervisor::Supervisor`.

#include <bastion/bastion_id.hpp>
#include <bastion/callbacks.hpp>
#include <bastion/children.hpp>
#include <bastion/children_ref.hpp>
#include <bastion/restart_strategy.hpp>
#include <bastion/supervision_strategy.hpp>
#include <bastion/supervisor_ref.hpp>

#include <memory>
#include <utility>

namespace bastion {

/// Describes a supervisor: the children groups and supervisors it starts (in order) and how it restarts them. The
/// runtime hands one to the closure given to `Bastion::supervisor`. It is a handle on the one description the runtime
/// builds: each builder call changes that description and returns the handle, so calls chain (and a call whose
/// result is dropped still counts).
/// Defaults: OneForOne, `RestartStrategy{}` (always, immediately, no intensity limit). Rust: `Supervisor`.
class Supervisor {
public:
    /// Made by the runtime and handed to the closure that describes the supervisor (`Bastion::supervisor`, ...).
    explicit Supervisor(std::shared_ptr<detail::SupervisorCell> cell) noexcept : cell_{std::move(cell)} {}

    /// Adds a children group. Rust: `children`.
    Supervisor children(detail::ChildrenInit init) const;
    /// Adds a children group and returns a reference to it. Rust: `children_ref`.
    ChildrenRef children_ref(detail::ChildrenInit init) const;
    /// Adds a supervisor. Rust: `supervisor`.
    Supervisor supervisor(detail::SupervisorInit init) const;
    /// Adds a supervisor and returns a reference to it. Rust: `supervisor_ref`.
    SupervisorRef supervisor_ref(detail::SupervisorInit init) const;

    /// Which elements restart when one fails. Rust: `with_strategy`.
    Supervisor with_strategy(SupervisionStrategy strategy) const;
    /// Whether, when and how often a failed element restarts. Rust: `with_restart_strategy`.
    Supervisor with_restart_strategy(RestartStrategy strategy) const;
    /// Rust: `with_callbacks`.
    Supervisor with_callbacks(Callbacks callbacks) const;

    /// The supervisor's id. Rust: `Supervisor::id`.
    const BastionId& id() const noexcept;

    /// The runtime's record of the supervisor. For the runtime.
    const std::shared_ptr<detail::SupervisorCell>& cell() const noexcept { return cell_; }

private:
    std::shared_ptr<detail::SupervisorCell> cell_;
};

}  // namespace bastion
