#pragma once
/// \file
/// Where an element sits in the supervision tree. Rust: `bastion::path`.

#include <bastion/bastion_id.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bastion {

/// The last step of a path: a supervisor, a children group or a child, with its id.
/// Rust: `enum BastionPathElement { Supervisor(id), Children(id), Child(id) }`.
class BastionPathElement {
public:
    ///@{
    /// Rust: `BastionPathElement::Supervisor(id)`; likewise `Children` and `Child`.
    static BastionPathElement Supervisor(BastionId id) noexcept { return {Kind::Supervisor, id}; }
    static BastionPathElement Children(BastionId id) noexcept { return {Kind::Children, id}; }
    static BastionPathElement Child(BastionId id) noexcept { return {Kind::Child, id}; }
    ///@}

    /// Names a supervisor. Rust: `is_supervisor`.
    bool is_supervisor() const noexcept { return kind_ == Kind::Supervisor; }
    /// Names a children group. Rust: `is_children`.
    bool is_children() const noexcept { return kind_ == Kind::Children; }
    /// Names a child. Rust: `is_child`.
    bool is_child() const noexcept { return kind_ == Kind::Child; }

    /// The id of the supervisor, group or child this element names.
    const BastionId& id() const noexcept { return id_; }

    /// Same kind and id.
    friend bool operator==(const BastionPathElement&, const BastionPathElement&) noexcept = default;

private:
    enum class Kind : std::uint8_t { Supervisor, Children, Child };

    BastionPathElement(Kind kind, BastionId id) noexcept : kind_{kind}, id_{id} {}

    Kind kind_;
    BastionId id_;
};

/// The address of a sender or an element: the ids of its ancestors, then its own element.
///
/// Immutable: `append` returns a new path. The system (or a sender outside bastion) has the root path, with no
/// element. Rust: `bastion::path::BastionPath`.
class BastionPath {
public:
    /// The system's path, and that of senders outside the tree: no element, no parents.
    static BastionPath root() { return {}; }

    /// The dead-letters group's path: `Children(NIL_ID)` under the system supervisor, `Supervisor(NIL_ID)`.
    static BastionPath dead_letters();

    /// This path extended by `elem`, or nullopt where upstream refuses: a supervisor goes under the root or a
    /// supervisor, a children group under a supervisor, a child under a children group.
    std::optional<BastionPath> append(BastionPathElement elem) const;

    /// The element's id; `NIL_ID` for the root.
    const BastionId& id() const noexcept { return elem_ ? elem_->id() : NIL_ID; }

    /// The element; nullopt for the root.
    const std::optional<BastionPathElement>& elem() const noexcept { return elem_; }

    /// The ancestors' ids, outermost first.
    std::span<const BastionId> parent_chain() const noexcept { return parent_chain_; }

    /// Whether this is `dead_letters()`.
    ///
    /// Upstream answers true for every child two levels below the root, including children of top-level groups; we
    /// answer true for the dead-letters path only.
    bool is_dead_letters() const noexcept;

    /// The ids joined by `/` after a leading `/` (`/` alone for the root), as Rust's `Display`.
    std::string to_string() const;

    /// `/supervisor#<id>/children#<id>/child#<id>`, as Rust's `Debug`.
    std::string debug_string() const;

    /// Same ancestors and element.
    friend bool operator==(const BastionPath&, const BastionPath&) = default;

private:
    BastionPath() = default;

    std::vector<BastionId> parent_chain_;
    std::optional<BastionPathElement> elem_;
};

/// Writes `to_string()`.
std::ostream& operator<<(std::ostream& os, const BastionPath& path);

}  // namespace bastion
