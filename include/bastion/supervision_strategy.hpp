#pragma once
/// \file
/// Which elements a supervisor restarts when one fails. Rust: `bastion::supervisor::SupervisionStrategy`.

#include <ostream>

namespace bastion {

/// Which of a supervisor's elements are restarted when one of them fails.
///
/// `OneForOne` is the default of `Supervisor`. Porters beware: upstream's `supervisor!` macro defaults to
/// `OneForAll`, unlike its `Supervisor::new`.
///
/// Unlike upstream, `OneForAll` and `RestForOne` stop the healthy siblings before restarting them; upstream
/// re-creates them under the same ids while the old instances are left running, detached.
enum class SupervisionStrategy {
    /// Restart only the element that failed.
    OneForOne,
    /// Restart every element of the supervisor, in the order they were added.
    OneForAll,
    /// Restart the element that failed and every element added after it, in the order they were added.
    RestForOne,
};

/// Writes the variant's name, as Rust's `Debug`.
inline std::ostream& operator<<(std::ostream& os, SupervisionStrategy strategy) {
    switch (strategy) {
    case SupervisionStrategy::OneForOne: return os << "OneForOne";
    case SupervisionStrategy::OneForAll: return os << "OneForAll";
    case SupervisionStrategy::RestForOne: return os << "RestForOne";
    }
    return os << "SupervisionStrategy(" << static_cast<int>(strategy) << ')';
}

}  // namespace bastion
