#pragma once
/// \file
/// Where a lightproc is in its life, as its handle reports it.

#include <cstdint>

namespace bastion::executor {

/// A snapshot of a lightproc's state. Rust: lightproc `State` (`is_scheduled`, `is_running`, `is_completed`,
/// `is_closed`); `is_panicked` is ours.
class ProcState {
public:
    /// The flags a state is made of.
    enum Bits : std::uint32_t {
        Scheduled = 1u << 0,  ///< created and waiting to run for the first time
        Running = 1u << 1,    ///< its fiber has started and has not finished (it may be suspended)
        Completed = 1u << 2,  ///< its function returned a value
        Panicked = 1u << 3,   ///< its function threw; the exception went to the hooks and the handle
        Cancelled = 1u << 4,  ///< it was cancelled before it finished
    };
    /// The flags of a lightproc that has ended, in any way.
    static constexpr std::uint32_t finished = Completed | Panicked | Cancelled;

    /// No flag set.
    constexpr ProcState() noexcept = default;
    /// From `Bits` or-ed together.
    constexpr explicit ProcState(std::uint32_t bits) noexcept : bits_{bits} {}

    /// Created and not yet started. Rust: `is_scheduled`.
    constexpr bool is_scheduled() const noexcept { return (bits_ & Scheduled) != 0; }
    /// Started and not finished (it may be suspended). Rust: `is_running`.
    constexpr bool is_running() const noexcept { return (bits_ & Running) != 0; }
    /// True once it finished in any way (value, panic or cancel). Rust: `is_completed` || `is_closed`.
    constexpr bool is_completed() const noexcept { return (bits_ & finished) != 0; }
    /// True if it finished by panic or cancel, so its handle yields no value. Rust: `is_closed`.
    constexpr bool is_closed() const noexcept { return (bits_ & (Panicked | Cancelled)) != 0; }
    /// Finished by throwing. Beyond upstream.
    constexpr bool is_panicked() const noexcept { return (bits_ & Panicked) != 0; }
    /// Cancelled before it finished.
    constexpr bool is_cancelled() const noexcept { return (bits_ & Cancelled) != 0; }
    /// True while it has not finished.
    constexpr bool is_pending() const noexcept { return !is_completed(); }

    /// The raw flags.
    constexpr std::uint32_t bits() const noexcept { return bits_; }
    /// Same flags.
    friend constexpr bool operator==(ProcState, ProcState) noexcept = default;

private:
    std::uint32_t bits_ = 0;
};

/// Thrown inside a lightproc from a bastion wait point (joining a handle, `sleep_for`, ...) once the lightproc has
/// been cancelled, so that its stack unwinds and it ends. Deliberately not a `std::exception`: a
/// `catch (const std::exception&)` in user code does not swallow it. A lightproc that catches it with `catch (...)`
/// must rethrow.
struct ProcCancelled {};

}  // namespace bastion::executor
