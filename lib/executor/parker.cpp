#include <bastion/executor/detail/parker.hpp>
#include <bastion/executor/detail/proc_core.hpp>

#include "executor/spinlock.hpp"
#include "executor/thread_state.hpp"

#include <boost/fiber/scheduler.hpp>

#include <mutex>
#include <typeinfo>

namespace bastion::executor::detail {

namespace {

// Boost's spinlock_ttas::lock() reserves a 5 KB frame (a std::random_device for its back-off generator) even when
// uncontended, so every lightproc that parked through it touched a second stack page. try_lock has no such frame.
boost::fibers::detail::spinlock_lock acquire(boost::fibers::detail::spinlock& lock) noexcept {
    boost::fibers::detail::spinlock_lock lk{lock, std::defer_lock};
    while (!lk.try_lock()) spin_pause();
    return lk;
}

}  // namespace

bool Parker::park_until(Clock::time_point deadline) noexcept {
    boost::fibers::context* self = boost::fibers::context::active();
    boost::fibers::detail::spinlock_lock lk = acquire(lock_);
    if (permit_) {
        permit_ = false;
        return true;
    }
    waiter_ = self;
    if (deadline == Clock::time_point::max()) {
        self->suspend(lk);  // releases the lock once this fiber has switched away
        return true;        // only unpark's hand-off resumes an untimed wait
    }
    self->twstatus.store(reinterpret_cast<std::intptr_t>(this), std::memory_order_release);
    self->wait_until(deadline, lk);
    lk = acquire(lock_);
    self->twstatus.store(0, std::memory_order_release);
    if (waiter_ == self) {
        waiter_ = nullptr;
        return false;
    }
    permit_ = false;  // unpark lost the race with the timer and left its permit
    return true;
}

void Parker::unpark() noexcept {
    boost::fibers::detail::spinlock_lock lk = acquire(lock_);
    boost::fibers::context* waiter = waiter_;
    if (waiter == nullptr) {
        permit_ = true;
        return;
    }
    waiter_ = nullptr;
    // Only a timed wait races the timer (twstatus names us); an untimed one (twstatus 0) needs no claim.
    std::intptr_t expected = waiter->twstatus.load(std::memory_order_acquire);
    if (expected != 0) {
        const std::intptr_t mine = reinterpret_cast<std::intptr_t>(this);
        if (expected != mine || !waiter->twstatus.compare_exchange_strong(expected, -1, std::memory_order_acq_rel)) {
            permit_ = true;  // the timer already woke it: leave the permit for it to find
            return;
        }
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

Parker& parker_of(ProcCoreBase* core) noexcept { return core != nullptr ? core->parker() : this_thread_parker(); }

}  // namespace bastion::executor::detail
