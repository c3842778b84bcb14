#pragma once
/// \file
/// What a lightproc can ask about and do to itself.

#include <bastion/executor/proc_stack.hpp>

#include <chrono>

namespace bastion::executor::this_proc {

/// Lets every other ready lightproc of this worker run before the caller continues (it goes to the back of the
/// line, where an idle worker may also steal it). Prefer it to `boost::this_fiber::yield()`, which the scheduler
/// cannot tell from a wake-up. On a plain thread, yields to that thread's other fibers.
///
/// A cancellation point: throws ProcCancelled if the calling lightproc has been asked to stop. Lightprocs run on
/// fibers and cannot be pre-empted: a loop that computes without receiving, sleeping or doing IO keeps its worker
/// and ignores stops until it calls this (a call costs about 15 ns when nothing else is ready).
void yield_now();

/// Suspends the calling lightproc (or blocks the thread) until `deadline`. Throws ProcCancelled if the lightproc is
/// cancelled meanwhile.
void sleep_until(std::chrono::steady_clock::time_point deadline);

/// Suspends the calling lightproc (or blocks the thread) for `duration`. Throws ProcCancelled if cancelled.
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> duration) {
    sleep_until(std::chrono::steady_clock::now() + std::chrono::ceil<std::chrono::steady_clock::duration>(duration));
}

/// The stack of the calling lightproc, or nullptr on a plain thread. Rust: `worker::current()`.
const ProcStack* stack() noexcept;

/// True if the calling lightproc has been asked to stop.
bool is_cancelled() noexcept;

}  // namespace bastion::executor::this_proc
