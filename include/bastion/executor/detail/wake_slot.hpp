#pragma once
// Where one waiter leaves its parker for whoever produces what it waits for (a message, an answer).

#include <bastion/executor/detail/parker.hpp>
#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/proc_state.hpp>

#include <atomic>
#include <chrono>

namespace bastion::executor::detail {

/// A slot holding the parker of at most one waiter, so a producer can wake it.
///
/// The waiter (`wait_until`) arms the slot, re-checks its condition, parks, and disarms before it goes on. A producer
/// publishes its result, then calls `wake`. `disarm` returns only once no producer still holds the parker, so a
/// lightproc may end (and its parker vanish with its stack) right after it. Producer side: publish with a seq_cst
/// read-modify-write (or any write and then a seq_cst fence), then `wake`, whose load is seq_cst; the waiter does arm,
/// seq_cst fence, re-check. Whichever of the fence and the publishing write comes first in the single total order,
/// the other side's later read sees it, so one of the two always sees the other. (A seq_cst RMW is one locked
/// instruction on x86; the fence it replaces was a second, slower one on every send.)
class WakeSlot {
public:
    /// Waits, as the one waiter, until `ready()` holds (true) or `deadline` passes (false); `ready` may take what it
    /// finds (a letter), it is called until it returns true. A lightproc parks on its own parker, so a cancellation
    /// wakes it: then ProcCancelled is thrown. An untimed wait reads no clock.
    template <class Ready>
    bool wait_until(std::chrono::steady_clock::time_point deadline, Ready&& ready) {
        ProcCoreBase* core = current_core();  // once: it reads a thread-local
        Parker& parker = parker_of(core);
        const bool timed = deadline != std::chrono::steady_clock::time_point::max();
        for (;;) {
            if (ready()) return true;
            if (core != nullptr && core->cancel_requested()) throw ProcCancelled{};
            if (timed && std::chrono::steady_clock::now() >= deadline) return false;
            arm(parker);
            const bool found = ready();
            if (!found) parker.park_until(deadline);
            disarm(parker);
            if (found) return true;
        }
    }

    /// Wakes the armed waiter, if any. Call after publishing with a seq_cst RMW, or a write and a seq_cst fence.
    void wake() noexcept {
        Parker* waiter = slot_.load(std::memory_order_seq_cst);
        if (waiter == nullptr || waiter == busy) return;
        if (!slot_.compare_exchange_strong(waiter, busy, std::memory_order_acquire)) return;
        waiter->unpark();
        slot_.store(nullptr, std::memory_order_release);
    }

private:
    void arm(Parker& parker) noexcept {
        slot_.store(&parker, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
    }

    /// Takes the parker back; waits out a producer that is waking it right now. A wake that lands after the waiter
    /// stopped waiting leaves a permit behind: the next park returns early, which every park loop tolerates.
    void disarm(Parker& parker) noexcept {
        Parker* expected = slot_.load(std::memory_order_acquire);
        // Woken by a producer, the slot is already empty (or about to be): no need to claim it.
        if (expected == &parker && slot_.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) return;
        if (expected == busy) settle();
    }

    void settle() const noexcept;

    static inline Parker* const busy = reinterpret_cast<Parker*>(std::uintptr_t{1});
    std::atomic<Parker*> slot_{nullptr};
};

}  // namespace bastion::executor::detail
