#pragma once
// A one-waiter park/unpark permit for fibers and plain threads alike.

#include <boost/fiber/context.hpp>
#include <boost/fiber/detail/spinlock.hpp>

#include <chrono>
#include <cstdint>

namespace bastion::executor::detail {

/// A binary permit with at most one waiter, like Rust's `thread::park`/`unpark`.
///
/// `park_until` suspends the calling fiber (a lightproc suspends alone; a plain thread blocks in its own Boost.Fiber
/// scheduler) until `unpark` is called or the deadline passes; an `unpark` with nobody waiting is kept as a permit for
/// the next `park_until`. Returns may be spurious: every caller waits in a loop on its own predicate.
///
/// The waiter is published under the spinlock and the lock is released only after the waiter has switched away
/// (Boost's `suspend(lk)`), so `unpark` never schedules a fiber that is still running. Timed waits race the sleep
/// queue through `context::twstatus`, the same protocol Boost's own channels use: exactly one of the timer and
/// `unpark` wakes the fiber.
class Parker {
public:
    using Clock = std::chrono::steady_clock;

    /// Waits for a permit. True if one was consumed, false on timeout. Only the owner calls this.
    bool park_until(Clock::time_point deadline) noexcept;

    bool park() noexcept { return park_until(Clock::time_point::max()); }

    /// Hands the permit over, waking the waiter if there is one. Any thread, any fiber.
    void unpark() noexcept;

private:
    boost::fibers::detail::spinlock lock_;
    boost::fibers::context* waiter_ = nullptr;
    bool permit_ = false;
};

}  // namespace bastion::executor::detail
