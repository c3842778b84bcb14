#pragma once
// Where one waiter leaves its parker for whoever produces what it waits for (a message, an answer).

#include <bastion/executor/detail/parker.hpp>

#include <atomic>

namespace bastion::executor::detail {

/// A slot holding the parker of at most one waiter, so a producer can wake it.
///
/// The waiter arms the slot, re-checks its condition, parks, and disarms before it goes on. A producer publishes its
/// result, then calls `wake`. `disarm` returns only once no producer still holds the parker, so a lightproc may end
/// (and its parker vanish with its stack) right after it. Producer side: publish, seq_cst fence, `wake` (the waiter
/// does arm, seq_cst fence, re-check), so one of the two always sees the other.
class WakeSlot {
public:
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

    /// Wakes the armed waiter, if any. Call after publishing and a seq_cst fence.
    void wake() noexcept {
        Parker* waiter = slot_.load(std::memory_order_relaxed);
        if (waiter == nullptr || waiter == busy) return;
        if (!slot_.compare_exchange_strong(waiter, busy, std::memory_order_acquire)) return;
        waiter->unpark();
        slot_.store(nullptr, std::memory_order_release);
    }

private:
    void settle() const noexcept;

    static inline Parker* const busy = reinterpret_cast<Parker*>(std::uintptr_t{1});
    std::atomic<Parker*> slot_{nullptr};
};

}  // namespace bastion::executor::detail
