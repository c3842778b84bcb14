#include <bastion/executor/detail/wake_slot.hpp>

#include "executor/smp_algorithm.hpp"
#include "executor/spinlock.hpp"
#include "executor/thread_state.hpp"
#include "executor/worker_pool.hpp"

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

std::uintptr_t WakeSlot::watch(WakeSlot& slot, Parker& parker) noexcept {
    SmpAlgorithm* algorithm = this_thread_worker().algorithm;
    if (algorithm == nullptr || !algorithm->watch(slot, parker)) return empty;
    return reinterpret_cast<std::uintptr_t>(&algorithm->worker()) | watched;
}

void WakeSlot::unwatch(WakeSlot& slot) noexcept {
    if (SmpAlgorithm* algorithm = this_thread_worker().algorithm) algorithm->unwatch(slot);
}

// A worker that is awake looks at its slots before it next parks (it publishes "parking" first, then looks): only a
// sleeping one needs waking.
void WakeSlot::alert_watcher(std::uintptr_t worker) noexcept {
    Worker& w = *reinterpret_cast<Worker*>(worker);
    if (w.park.load(std::memory_order_seq_cst) != Awake) WorkerPool::wake(w);
}

}  // namespace bastion::executor::detail
