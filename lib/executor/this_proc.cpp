#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/this_proc.hpp>

#include "executor/smp_algorithm.hpp"
#include "executor/thread_state.hpp"

#include <boost/fiber/operations.hpp>

namespace bastion::executor::this_proc {

void yield_now() {
    if (detail::SmpAlgorithm* algo = detail::this_thread_worker().algorithm) algo->mark_yield();
    boost::this_fiber::yield();
    detail::check_cancelled();
}

void sleep_until(std::chrono::steady_clock::time_point deadline) {
    detail::Parker& parker = detail::current_parker();
    detail::ProcCoreBase* core = detail::current_core();
    while (std::chrono::steady_clock::now() < deadline) {
        if (core != nullptr && core->cancel_requested()) throw ProcCancelled{};
        parker.park_until(deadline);
    }
    detail::check_cancelled();
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
