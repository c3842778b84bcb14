#include <bastion/executor/detail/wake_slot.hpp>

#include "executor/spinlock.hpp"

#include <thread>

namespace bastion::executor::detail {

// A producer holds the parker for the length of one unpark: spin briefly, then let it run if it was preempted.
void WakeSlot::settle() const noexcept {
    for (unsigned spins = 0; slot_.load(std::memory_order_acquire) == busy; ++spins) {
        if (spins < 64) {
            spin_pause();
        } else {
            std::this_thread::yield();
        }
    }
}

}  // namespace bastion::executor::detail
