#include <bastion/executor/detail/wake_slot.hpp>

#include "executor/spinlock.hpp"

namespace bastion::executor::detail {

// A producer holds the parker for the length of one unpark: spin briefly, then let it run if it was preempted.
void WakeSlot::settle() const noexcept {
    for (unsigned spins = 0; slot_.load(std::memory_order_acquire) == busy; ++spins) wait_step(spins);
}

void WakeSlot::settle_watched() noexcept {
    for (unsigned spins = 0;; ++spins) {
        std::uintptr_t armed = slot_.load(std::memory_order_acquire);
        if ((armed & alerting) == 0 && slot_.compare_exchange_weak(armed, empty, std::memory_order_acq_rel)) return;
        wait_step(spins);
    }
}

}  // namespace bastion::executor::detail
