#include <bastion/executor/detail/parker.hpp>
#include <bastion/executor/detail/proc_core.hpp>

#include "executor/thread_state.hpp"

#include <boost/fiber/scheduler.hpp>

#include <typeinfo>

namespace bastion::executor::detail {

void Parker::unpark() noexcept {
    boost::fibers::detail::spinlock_lock lk{lock_};
    boost::fibers::context* waiter = waiter_;
    if (waiter == nullptr) {
        permit_ = true;
        return;
    }
    waiter_ = nullptr;
    std::intptr_t expected = reinterpret_cast<std::intptr_t>(this);
    const bool claimed = waiter->twstatus.compare_exchange_strong(expected, -1, std::memory_order_acq_rel);
    if (!claimed && expected != 0) {
        permit_ = true;  // the timer already woke it: leave the permit for it to find
        return;
    }
    lk.unlock();
    // A wake from the waiter's own worker goes straight to its run queue; any other thread (a plain thread, the
    // blocking pool, a shutdown running after Boost's thread-local state is gone) goes through the waiter's remote
    // queue and never touches context::active().
    boost::fibers::scheduler* home = waiter->get_scheduler();
    if (home == this_thread_scheduler()) {
        home->schedule(waiter);
    } else {
        home->schedule_from_remote(waiter);
    }
}

ProcCoreBase* current_core() noexcept {
    boost::fibers::fiber_properties* props = boost::fibers::context::active()->get_properties();
    if (props == nullptr || typeid(*props) != typeid(ProcTag)) return nullptr;
    return static_cast<ProcTag*>(props)->core();
}

Parker& current_parker() noexcept {
    if (ProcCoreBase* core = current_core()) return core->parker();
    return this_thread_parker();
}

}  // namespace bastion::executor::detail
