#pragma once
/// \file
/// Handles to a lightproc's outcome. Rust: `lightproc::proc_handle::ProcHandle`, `RecoverableHandle`.

#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/proc_stack.hpp>
#include <bastion/executor/proc_state.hpp>

#include <boost/fiber/context.hpp>
#include <boost/intrusive_ptr.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

namespace bastion::executor {

namespace detail {
struct AdoptProc {};
}  // namespace detail

/// The owner of a lightproc's outcome: wait for it, take its value, cancel it.
///
/// Move-only. Waiting works from a lightproc (only its fiber suspends) and from a plain thread (the thread blocks).
/// Destroying a handle detaches: the lightproc runs on and its value is dropped (as dropping a Rust handle does);
/// the lightproc's memory lives until both it and its handle are gone. `T = void` yields `Unit`.
template <class T>
class ProcHandle {
public:
    /// What `get()` yields: `T`, or Unit for `void`.
    using Output = detail::Stored<T>;

    /// An empty handle (`valid()` is false), to be assigned later.
    ProcHandle() noexcept = default;
    /// Adopts a made lightproc (the executor's own path: `spawn`, `LightProc::build`).
    ProcHandle(detail::AdoptProc, boost::intrusive_ptr<boost::fibers::context> context,
               detail::ProcResult<T>* core) noexcept
        : context_{std::move(context)}, core_{core} {}

    ///@{
    /// Takes over `other`'s lightproc; `other` is left empty. A handle that already owned one detaches from it.
    ProcHandle(ProcHandle&& other) noexcept
        : context_{std::move(other.context_)}, core_{std::exchange(other.core_, nullptr)} {}
    ProcHandle& operator=(ProcHandle&& other) noexcept {
        context_ = std::move(other.context_);
        core_ = std::exchange(other.core_, nullptr);
        return *this;
    }
    ///@}

    /// Waits until the lightproc ends and takes its value: empty if it panicked or was cancelled (or the value was
    /// taken before). Rust: `handle.await`. From a lightproc that is cancelled meanwhile, throws ProcCancelled.
    std::optional<Output> get() {
        wait_until(std::chrono::steady_clock::time_point::max());
        return core().take_result();
    }

    /// Waits at most `timeout`; true if the lightproc has ended.
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout) {
        return wait_until(std::chrono::steady_clock::now() + timeout);
    }
    /// Waits until `deadline`; true if the lightproc has ended.
    bool wait_until(std::chrono::steady_clock::time_point deadline) { return core().wait_until(deadline); }

    /// Cancels the lightproc: it never starts, or its next bastion wait point throws ProcCancelled.
    void cancel() const noexcept { core().request_cancel(); }

    /// Where the lightproc is in its life now. Only on a valid handle, as every accessor here.
    ProcState state() const noexcept { return core().state(); }
    /// The lightproc's ProcStack (pid, state, hooks). Rust: `ProcHandle::stack`.
    const ProcStack& stack() const noexcept { return core().stack(); }
    /// The exception the lightproc ended with, or null.
    std::exception_ptr panic() const noexcept { return core().finished() ? core().panic() : nullptr; }

    /// False for a default-constructed or moved-from handle.
    bool valid() const noexcept { return core_ != nullptr; }

private:
    detail::ProcResult<T>& core() const {
        if (core_ == nullptr) throw std::logic_error("bastion: use of an empty (moved-from) proc handle");
        return *core_;
    }

    boost::intrusive_ptr<boost::fibers::context> context_;  // keeps the stack, and the core in it, alive
    detail::ProcResult<T>* core_ = nullptr;
};

/// The handle of a lightproc whose panics are contained: `get()` is empty on panic or cancel, and `panic()` gives
/// the exception. What `spawn`, `blocking` and `LightProc::recoverable` return. Rust: `RecoverableHandle`.
/// (Every lightproc contains its panics here, so it behaves as ProcHandle; the name is kept for ports.)
template <class T>
class RecoverableHandle : public ProcHandle<T> {
public:
    using ProcHandle<T>::ProcHandle;
    /// Takes over a ProcHandle's lightproc (what `LightProc::recoverable` does).
    RecoverableHandle(ProcHandle<T>&& handle) noexcept : ProcHandle<T>{std::move(handle)} {}
};

}  // namespace bastion::executor
