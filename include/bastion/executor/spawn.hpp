#pragma once
/// \file
/// Free `spawn`, `blocking` and `run`, as Rust's `bastion::executor::{spawn, blocking, run}`.

#include <bastion/executor/executor.hpp>
#include <bastion/executor/light_proc.hpp>
#include <bastion/executor/proc_handle.hpp>

#include <boost/fiber/context.hpp>

#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>

namespace bastion::executor {

namespace detail {
template <class F>
inline constexpr bool is_proc_fn = std::is_invocable_v<std::decay_t<F>&>;

template <class H>
inline constexpr bool is_handle = false;
template <class T>
inline constexpr bool is_handle<ProcHandle<T>> = true;
template <class T>
inline constexpr bool is_handle<RecoverableHandle<T>> = true;

inline Executor& current_or_global() {
    Executor* here = Executor::current();
    return here != nullptr ? *here : Executor::global();
}
}  // namespace detail

/// Runs `fn` as a new lightproc on the calling thread's executor, else the global one. Rust: `spawn(fut, stack)`.
template <class F>
auto spawn(F&& fn, ProcStack stack = {}) {
    static_assert(detail::is_proc_fn<F>,
                  "spawn / SPAWN takes something callable with no arguments: SPAWN([] { ... }) or SPAWN() { ... }");
    return detail::current_or_global().spawn(std::forward<F>(fn), std::move(stack));
}

/// Runs `fn` as a new lightproc bound to worker `worker` of the calling thread's executor, else the global one (see
/// `Executor::spawn_on`). No upstream equivalent.
template <class F>
auto spawn_on(std::size_t worker, F&& fn, ProcStack stack = {}) {
    static_assert(detail::is_proc_fn<F>, "spawn_on takes a worker index and something callable with no arguments");
    return detail::current_or_global().spawn_on(worker, std::forward<F>(fn), std::move(stack));
}

/// Runs blocking `fn` on the blocking pool. Rust: `blocking(fut, stack)`.
template <class F>
auto blocking(F&& fn, ProcStack stack = {}) {
    static_assert(detail::is_proc_fn<F>,
                  "blocking / BLOCKING takes something callable with no arguments: BLOCKING() { ... }");
    return detail::current_or_global().blocking(std::forward<F>(fn), std::move(stack));
}

/// Runs `fn` as a lightproc on the calling thread and returns its value. A plain thread blocks until it ends; a
/// lightproc only suspends. If `fn` throws, the exception goes to the hooks and is then rethrown here, as Rust's
/// `run` propagates a panic; if it is cancelled, ProcCancelled is thrown. Rust: `run(fut, stack)`.
template <class F>
    requires(!detail::is_handle<std::remove_cvref_t<F>>)
decltype(auto) run(F&& fn, ProcStack stack = {}) {
    static_assert(detail::is_proc_fn<F>,
                  "run / RUN takes a handle or something callable with no arguments: RUN(handle), RUN() { ... }");
    using R = detail::ProcResultOf<F>;
    auto made = detail::make_proc(std::forward<F>(fn), std::move(stack), LightProc::default_stack_pool());
    auto* core = made.core;
    LightProc{made.context, made.core}.run();
    if (core->state().is_panicked()) std::rethrow_exception(core->panic());
    auto value = core->take_result();
    if (!value) throw ProcCancelled{};
    if constexpr (std::is_void_v<R>) {
        return;
    } else {
        return R{std::move(*value)};
    }
}

///@{
/// Waits for a handle's lightproc and takes its value (empty on panic or cancel). Rust: `run(handle)`.
template <class T>
std::optional<detail::Stored<T>> run(ProcHandle<T>& handle) {
    return handle.get();
}
template <class T>
std::optional<detail::Stored<T>> run(ProcHandle<T>&& handle) {
    return handle.get();
}
///@}

}  // namespace bastion::executor
