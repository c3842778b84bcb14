#include "executor/thread_state.hpp"

#include <bastion/executor/detail/parker.hpp>

namespace bastion::executor::detail {

namespace {
thread_local boost::fibers::scheduler* scheduler = nullptr;
thread_local WorkerSlot worker;
thread_local Executor* blocking_executor = nullptr;
}  // namespace

__attribute__((noinline)) boost::fibers::scheduler* this_thread_scheduler() noexcept { return scheduler; }
void set_this_thread_scheduler(boost::fibers::scheduler* s) noexcept { scheduler = s; }

__attribute__((noinline)) Parker& this_thread_parker() noexcept {
    thread_local Parker parker;
    return parker;
}

__attribute__((noinline)) WorkerSlot this_thread_worker() noexcept { return worker; }
__attribute__((noinline)) SmpAlgorithm* this_thread_algorithm() noexcept { return worker.algorithm; }
void set_this_thread_worker(WorkerSlot slot) noexcept { worker = slot; }

__attribute__((noinline)) Executor* this_thread_blocking_executor() noexcept { return blocking_executor; }
void set_this_thread_blocking_executor(Executor* executor) noexcept { blocking_executor = executor; }

}  // namespace bastion::executor::detail
