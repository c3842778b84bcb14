#include <bastion/executor/detail/proc_core.hpp>

#include "executor/proc_registry.hpp"
#include "executor/spinlock.hpp"

#include <thread>

namespace bastion::executor::detail {

void ProcCoreBase::run() noexcept {
    ProcState::Bits outcome = ProcState::Cancelled;
    if (!cancel_requested()) {
        state_.store(ProcState::Running, std::memory_order_release);
        try {
            stack_.before_start();
            invoke();
            outcome = ProcState::Completed;
        } catch (const ProcCancelled&) {
            outcome = ProcState::Cancelled;
        } catch (...) {
            panic_ = std::current_exception();
            outcome = ProcState::Panicked;
            try {
                stack_.after_panic(panic_);
            } catch (...) {  // a throwing hook cannot make the lightproc more failed than it is
            }
        }
        if (outcome != ProcState::Cancelled) {
            try {
                stack_.after_complete();
            } catch (...) {
            }
        }
    }
    drop_fn();
    finish(outcome);
}

// Publishes the outcome, then hands the joiner its wake-up. joiner_busy marks the moment in between, so a joiner that
// gives up waiting never leaves while we still hold a pointer to its parker.
void ProcCoreBase::finish(ProcState::Bits outcome) noexcept {
    settle_cancel();
    state_.store(outcome, std::memory_order_release);
    Parker* joiner = joiner_.exchange(joiner_busy, std::memory_order_acq_rel);
    if (joiner != nullptr) joiner->unpark();
    joiner_.store(joiner_done, std::memory_order_release);
    if (registry != nullptr) registry->leave(this);
}

namespace {
// Waits out the few instructions between finish()'s exchange and its final store.
void settle(const std::atomic<Parker*>& joiner, Parker* done) noexcept {
    for (unsigned spins = 0; joiner.load(std::memory_order_acquire) != done; ++spins) wait_step(spins);
}
}  // namespace

bool ProcCoreBase::wait_until(std::chrono::steady_clock::time_point deadline) {
    if (joiner_.load(std::memory_order_acquire) == joiner_done) return true;
    ProcCoreBase* waiting = current_core();
    Parker& me = parker_of(waiting);
    Parker* expected = nullptr;
    if (!joiner_.compare_exchange_strong(expected, &me, std::memory_order_acq_rel)) {
        settle(joiner_, joiner_done);  // finishing or finished (a second concurrent joiner is a contract breach)
        return true;
    }
    for (;;) {
        me.park_until(deadline);
        if (joiner_.load(std::memory_order_acquire) != &me) break;  // finish() took our parker
        const bool cancelled = waiting != nullptr && waiting->cancel_requested();
        if (cancelled || std::chrono::steady_clock::now() >= deadline) {
            expected = &me;
            if (joiner_.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
                if (cancelled) throw ProcCancelled{};
                return false;
            }
            break;  // it finished meanwhile
        }
    }
    settle(joiner_, joiner_done);
    return true;
}

}  // namespace bastion::executor::detail
