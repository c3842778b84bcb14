#pragma once
/// \file
/// BroadcastTarget: where `BastionContext::broadcast_message` sends. Rust: `bastion::dispatcher::BroadcastTarget`.

#include <string>
#include <utility>

namespace bastion {

/// Every dispatcher (`All()`), or the dispatcher of one name (`Group("name")`, the name of a
/// `DispatcherType::Named`; `"__Anonymous__"` names the anonymous one). Rust: `BroadcastTarget`.
class BroadcastTarget {
public:
    /// Every dispatcher of the system. Rust: `BroadcastTarget::All`.
    static BroadcastTarget All() { return BroadcastTarget{true, {}}; }
    /// The dispatcher named `name`. Rust: `BroadcastTarget::Group(name)`.
    static BroadcastTarget Group(std::string name) { return BroadcastTarget{false, std::move(name)}; }

    /// Whether this is `All()`.
    bool is_all() const noexcept { return all_; }
    /// The group's name (empty for All).
    const std::string& group() const noexcept { return group_; }

    /// Same target: both All, or the same group name.
    friend bool operator==(const BroadcastTarget&, const BroadcastTarget&) = default;

private:
    BroadcastTarget(bool all, std::string group) : all_{all}, group_{std::move(group)} {}
    bool all_;
    std::string group_;
};

}  // namespace bastion
