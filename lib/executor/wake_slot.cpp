#include <bastion/executor/detail/wake_slot.hpp>

#include "executor/spinlock.hpp"

namespace bastion::executor::detail {

// A producer holds the parker for the length of one unpark: spin briefly, then let it run if it was preempted.
void WakeSlot::settle() const noexcept {
    for (unsigned spins = 0; slot_.load(std::memory_order_acquire) == busy; ++spins) wait_step(spins);
}

}  // namespace bastion::executor::detail
