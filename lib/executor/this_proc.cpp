#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/this_proc.hpp>

#include "executor/smp_algorithm.hpp"
#include "executor/thread_state.hpp"

#include <boost/fiber/operations.hpp>

namespace bastion::executor::this_proc {

void yield_now() {
    detail::SmpAlgorithm* worker = detail::this_thread_algorithm();
    if (worker == nullptr || !worker->yield_running()) boost::this_fiber::yield();
    // After the switch: possibly on another worker. Its own core is read only if some cancel is in flight.
    if (detail::ProcCoreBase::any_cancel_in_flight() && is_cancelled()) throw ProcCancelled{};
}

void sleep_until(std::chrono::steady_clock::time_point deadline) {
    detail::ProcCoreBase* core = detail::current_core();
    detail::Parker& parker = detail::parker_of(core);
    for (;;) {
        if (core != nullptr && core->cancel_requested()) throw ProcCancelled{};
        if (std::chrono::steady_clock::now() >= deadline) return;
        parker.park_until(deadline);
    }
}

const ProcStack* stack() noexcept {
    detail::ProcCoreBase* core = detail::current_core();
    return core != nullptr ? &core->stack() : nullptr;
}

bool is_cancelled() noexcept {
    detail::ProcCoreBase* core = detail::current_core();
    return core != nullptr && core->cancel_requested();
}

}  // namespace bastion::executor::this_proc
