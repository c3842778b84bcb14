#pragma once
// The meeting point of one in-flight request and the lightproc waiting for it. It lives on that lightproc's stack.

#include <bastion/executor/detail/parker.hpp>
#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/proc_state.hpp>

#include "executor/spinlock.hpp"

#include <atomic>
#include <cassert>
#include <cstdint>

namespace bastion::io::detail {

/// A one-shot result with at most one waiter, safe to destroy as soon as `wait` returns.
///
/// States: empty, a waiter's parker (armed), busy (the producer is waking the waiter), done. The producer stores the
/// result, swaps in busy, unparks an armed waiter, then stores done; the waiter returns only once it reads done, so
/// the producer has let go of both this slot and the waiter's parker (which lives on the waiter's stack) by then.
class Completion {
public:
    /// What the kernel answered: a count, a descriptor, or -errno.
    long result = 0;

    /// Publishes `result` and wakes the waiter. The producer's last touch of this object.
    void complete(long res) noexcept {
        result = res;
        const std::uintptr_t previous = state_.exchange(busy, std::memory_order_acq_rel);
        assert(previous != busy && previous != done && "Completion: completed twice (it is one-shot)");
        if (previous > done) reinterpret_cast<executor::detail::Parker*>(previous)->unpark();
        state_.store(done, std::memory_order_release);
    }

    bool is_done() const noexcept { return state_.load(std::memory_order_acquire) == done; }

    /// Suspends the calling lightproc (or thread) until `complete`. With `Cancellation::Honour`, throws
    /// ProcCancelled when the lightproc is asked to end while waiting; the request is then still in flight.
    enum class Cancellation { Honour, Ignore };
    void wait(Cancellation cancellation) {
        executor::detail::ProcCoreBase* core = executor::detail::current_core();
        executor::detail::Parker& parker = executor::detail::parker_of(core);
        const auto mine = reinterpret_cast<std::uintptr_t>(&parker);
        for (unsigned spins = 0;;) {
            std::uintptr_t state = state_.load(std::memory_order_acquire);
            if (state == done) return;
            if (state == busy) {  // the producer is between its unpark and its last store: a few instructions
                executor::detail::wait_step(spins++);
                continue;
            }
            if (cancellation == Cancellation::Honour && core != nullptr && core->cancel_requested()) {
                throw executor::ProcCancelled{};
            }
            assert(state == empty && "Completion: a second waiter (it has at most one)");
            if (state_.compare_exchange_strong(state, mine, std::memory_order_acq_rel)) {
                parker.park();
                state = state_.load(std::memory_order_acquire);
                // Still armed: a spurious wake (a cancellation, a stale permit). Disarm before looking again.
                if (state == mine) state_.compare_exchange_strong(state, empty, std::memory_order_acq_rel);
            }
        }
    }

private:
    static constexpr std::uintptr_t empty = 0, busy = 1, done = 2;
    std::atomic<std::uintptr_t> state_{empty};
};

}  // namespace bastion::io::detail
