#pragma once
/// \file
/// A lightproc's identity and lifecycle hooks. Rust: `lightproc::proc_stack::ProcStack`.

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace bastion::executor {

/// The state type of a ProcStack that was given none. Rust: `lightproc::proc_state::EmptyProcState`.
struct EmptyProcState {};

/// \cond detail
// Internals the hooks need; hidden from the API reference, where its self-derived HookSignature trips doxygen.
namespace detail {

// The hooks' shared state: one value of the user's type behind a mutex, as Rust's `Arc<Mutex<dyn State>>`.
struct StateCell {
    virtual ~StateCell() = default;
    virtual const std::type_info& type() const noexcept = 0;
    virtual void* get() noexcept = 0;
    std::mutex mutex;
};

template <class S>
struct StateCellOf final : StateCell {
    explicit StateCellOf(S v) : value{std::move(v)} {}
    const std::type_info& type() const noexcept override { return typeid(S); }
    void* get() noexcept override { return &value; }
    S value;
};

template <class F>
struct HookSignature : HookSignature<decltype(&std::decay_t<F>::operator())> {};
template <class C, class R>
struct HookSignature<R (C::*)() const> {
    using State = void;
};
template <class C, class R>
struct HookSignature<R (C::*)()> {
    using State = void;
};
template <class C, class R, class A, class... Rest>
struct HookSignature<R (C::*)(A, Rest...) const> {
    using State = std::remove_cvref_t<A>;
};
template <class C, class R, class A, class... Rest>
struct HookSignature<R (C::*)(A, Rest...)> {
    using State = std::remove_cvref_t<A>;
};
template <class R, class A, class... Rest>
struct HookSignature<R (*)(A, Rest...)> {
    using State = std::remove_cvref_t<A>;
};

using Hook = std::function<void(StateCell*, const std::exception_ptr&)>;

}  // namespace detail
/// \endcond

/// Identity, shared state and lifecycle hooks of a lightproc.
///
/// Built like Rust's: `ProcStack{}.with_pid(1).with_state(gs).with_before_start([](GlobalState& s) { ... })`.
/// A hook's parameter names the state type it expects (`EmptyProcState&` when there is no state); calling a hook
/// whose type differs from the state's is a programming error reported as `std::logic_error` when the hook runs.
/// Copies share the state and the hooks. Hooks run on the lightproc's fiber with the state's mutex held.
///
/// When hooks run (documented difference from upstream):
/// - `before_start` once, when the lightproc first runs. Upstream runs it before every poll; a fiber has no polls
///   and a hook on every switch would tax the hot path.
/// - `after_panic` the moment the function throws, with the exception (upstream: only when a handle is polled,
///   issue #56, and without the error).
/// - `after_complete` when the function has finished by returning or by throwing (after `after_panic`), not when
///   cancelled, as upstream.
class ProcStack {
public:
    /// Sets the pid. Default `0xDEADBEEF` as upstream.
    ProcStack with_pid(std::size_t pid) const {
        ProcStack s = *this;
        s.pid_ = pid;
        return s;
    }

    /// Attaches shared state; hooks receive it by reference.
    template <class S>
    ProcStack with_state(S state) const {
        ProcStack s = *this;
        s.state_ = std::make_shared<detail::StateCellOf<S>>(std::move(state));
        return s;
    }

    /// `F`: `void(S&)`.
    template <class F>
    ProcStack with_before_start(F hook) const {
        return with_hook(&Hooks::before_start, std::move(hook));
    }
    /// `F`: `void(S&)`.
    template <class F>
    ProcStack with_after_complete(F hook) const {
        return with_hook(&Hooks::after_complete, std::move(hook));
    }
    /// `F`: `void(S&)` or `void(S&, std::exception_ptr)`; receives the exception that ended the lightproc.
    template <class F>
    ProcStack with_after_panic(F hook) const {
        return with_hook(&Hooks::after_panic, std::move(hook));
    }

    /// The pid set by `with_pid`. Rust: `ProcStack::get_pid`.
    std::size_t get_pid() const noexcept { return pid_; }

    /// A copy of the state. Throws `std::logic_error` if the state is not an `S`.
    template <class S>
    S get_state() const {
        if (!state_) {
            if constexpr (std::is_same_v<S, EmptyProcState>) return EmptyProcState{};
            throw std::logic_error("ProcStack::get_state: this stack has no state");
        } else {
            if (state_->type() != typeid(S)) throw std::logic_error("ProcStack::get_state: state has another type");
            std::lock_guard lock{state_->mutex};
            return *static_cast<S*>(state_->get());
        }
    }

    ///@{
    /// Runs a hook now (used by the executor; harmless to call).
    void before_start() const { run(&Hooks::before_start, nullptr); }
    void after_complete() const { run(&Hooks::after_complete, nullptr); }
    void after_panic(const std::exception_ptr& error) const { run(&Hooks::after_panic, error); }
    ///@}

private:
    struct Hooks {
        detail::Hook before_start, after_complete, after_panic;
    };

    template <class F>
    ProcStack with_hook(detail::Hook Hooks::*slot, F hook) const {
        using S = typename detail::HookSignature<F>::State;
        if constexpr (std::is_void_v<S>) {
            static_assert(!std::is_void_v<S>,
                          "a ProcStack hook takes the state by reference: [](EmptyProcState&) { ... } without state, "
                          "[](MyState& s) { ... } after with_state(MyState{...})");
            return *this;
        } else {
            return with_typed_hook<S>(slot, std::move(hook));
        }
    }

    template <class S, class F>
    ProcStack with_typed_hook(detail::Hook Hooks::*slot, F hook) const {
        ProcStack s = *this;
        auto hooks = hooks_ ? std::make_shared<Hooks>(*hooks_) : std::make_shared<Hooks>();
        (*hooks).*slot = [hook = std::move(hook)](detail::StateCell* cell, const std::exception_ptr& error) {
            S* state = nullptr;
            EmptyProcState empty;
            if (cell == nullptr) {
                if constexpr (std::is_same_v<S, EmptyProcState>) state = &empty;
            } else if (cell->type() == typeid(S)) {
                state = static_cast<S*>(cell->get());
            }
            if (state == nullptr) throw std::logic_error("ProcStack hook: its parameter type is not the state's type");
            if constexpr (std::is_invocable_v<const F&, S&, const std::exception_ptr&>) {
                hook(*state, error);
            } else {
                hook(*state);
            }
        };
        s.hooks_ = std::move(hooks);
        return s;
    }

    void run(detail::Hook Hooks::*slot, const std::exception_ptr& error) const {
        if (!hooks_ || !((*hooks_).*slot)) return;
        if (state_) {
            std::lock_guard lock{state_->mutex};
            ((*hooks_).*slot)(state_.get(), error);
        } else {
            ((*hooks_).*slot)(nullptr, error);
        }
    }

    std::size_t pid_ = 0xDEADBEEF;
    std::shared_ptr<detail::StateCell> state_;
    std::shared_ptr<const Hooks> hooks_;
};

}  // namespace bastion::executor
