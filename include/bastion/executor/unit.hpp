#pragma once
/// \file
/// Unit: Rust's `()`, what stands for `void` where a value is needed (a handle's result, a Result's side).

#include <type_traits>

namespace bastion::executor {

/// Rust's `()`: what a lightproc returning `void` yields through its handle, and what `Result<void, E>` stores.
struct Unit {
    /// Always equal, as `() == ()`.
    friend constexpr bool operator==(Unit, Unit) noexcept = default;
};

namespace detail {
/// `T` itself, or Unit for `void`.
template <class T>
using Stored = std::conditional_t<std::is_void_v<T>, Unit, T>;
}  // namespace detail

}  // namespace bastion::executor
