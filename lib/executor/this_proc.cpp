#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/this_proc.hpp>

#include <boost/fiber/operations.hpp>

namespace bastion::executor::this_proc {

void yield_now() {
    detail::ProcCoreBase* core = detail::current_core();  // the fiber's own: still valid on whichever worker resumes it
    if (core != nullptr) core->yielding = true;
    boost::this_fiber::yield();
    if (core != nullptr && core->cancel_requested()) throw ProcCancelled{};
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
