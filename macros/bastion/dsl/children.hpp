#pragma once
/// \file
/// `CHILDREN(...)`: Rust's `children! { redundancy: 4, callbacks: cbs, supervisor: sp, action: |msg| { ... } }`.
///
/// ```cpp
/// ChildrenRef group = CHILDREN(redundancy(4),                               // children! { redundancy: 4,
///                              callbacks(cbs),                              //     callbacks: cbs,
///                              supervisor(sp),                              //     supervisor: sp,
///                              action([](SignedMessage msg) { ... }));      //     action: |msg| { ... }, }
/// ```
///
/// Keys are written as calls, in any order, each at most once, all optional:
/// - `redundancy(n)`: how many actors run the action. Default 1.
/// - `callbacks(cbs)`: the group's `Callbacks`. Default none.
/// - `supervisor(sp)`: a `SupervisorRef` to place the group under (`sp.children(...)`). Default: under the system's
///   root supervisor (`Bastion::children(...)`).
/// - `action(f)`: `f(SignedMessage msg)`, called for every message each actor receives. Default: ignore it. Each
///   actor runs a copy of `f`, fresh on every (re)start, so `f` may be `mutable` and keep per-actor state; it must be
///   copyable. A throw from `f` faults the actor (its supervisor restarts it). Beyond upstream, `f` may also take the
///   actor's context first, `f(BastionContext& ctx, SignedMessage msg)`, to send, or to `ANSWER(ctx, ...)` in MSG.
///
/// Each actor runs `for (;;) action(ctx.recv());` and ends when it is stopped (the waiting receive throws
/// ProcCancelled, which the runtime expects). The expression yields the group's `ChildrenRef`; if the group cannot
/// be created (no `Bastion::init()`), it throws Panic, as upstream's `.expect("failed to create children group")`.
/// An unknown key fails to compile naming it: `BASTION_CHILDREN_has_no_key_named_<key>` was not declared.
///
/// Also `BASTION_CHILDREN`; the short name is not defined when `BASTION_NO_SHORT_MACRO_NAMES` is.

#include <bastion/bastion.hpp>
#include <bastion/callbacks.hpp>
#include <bastion/children.hpp>
#include <bastion/children_ref.hpp>
#include <bastion/context.hpp>
#include <bastion/dsl/detail/keys.hpp>
#include <bastion/message.hpp>
#include <bastion/supervisor_ref.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace bastion::detail {

template <class... T>
inline constexpr bool children_macro_misuse = false;

struct ChildrenRedundancy {
    explicit ChildrenRedundancy(std::size_t n) noexcept : value{n} {}
    std::size_t value;
};
struct ChildrenCallbacks {
    Callbacks value;
};
struct ChildrenPlacement {
    SupervisorRef value;
};
template <class F>
struct ChildrenAction {
    F value;
};
/// The default action: upstream's `|_| {}`.
struct IgnoreMessage {
    void operator()(SignedMessage) const noexcept {}
};

template <class F>
ChildrenAction<std::decay_t<F>> children_action(F&& action) {
    return {std::forward<F>(action)};
}
template <class S>
ChildrenPlacement children_placement(S&& supervisor) {
    if constexpr (std::is_same_v<std::remove_cvref_t<S>, SupervisorRef>) {
        return {std::forward<S>(supervisor)};
    } else {
        static_assert(children_macro_misuse<S>, "CHILDREN's supervisor(sp) takes a SupervisorRef, as SUPERVISOR() "
                                                "or Bastion::supervisor(...).expect(...) returns");
        return {SupervisorRef{nullptr}};
    }
}

/// What the keys given so far describe; each key, folded in with `|`, replaces its default.
template <class F>
struct ChildrenSpec {
    std::size_t redundancy = 1;
    Callbacks callbacks;
    std::optional<SupervisorRef> supervisor;
    F action;

    ChildrenSpec operator|(ChildrenRedundancy key) && {
        redundancy = key.value;
        return std::move(*this);
    }
    ChildrenSpec operator|(ChildrenCallbacks key) && {
        callbacks = std::move(key.value);
        return std::move(*this);
    }
    ChildrenSpec operator|(ChildrenPlacement key) && {
        supervisor = std::move(key.value);
        return std::move(*this);
    }
    template <class G>
    ChildrenSpec<G> operator|(ChildrenAction<G> key) && {
        return {redundancy, std::move(callbacks), std::move(supervisor), std::move(key.value)};
    }
};

template <class Key, class... Keys>
inline constexpr std::size_t count_key = (std::size_t{std::is_same_v<std::remove_cvref_t<Keys>, Key>} + ... + 0);
template <class T>
inline constexpr bool is_children_action = false;
template <class F>
inline constexpr bool is_children_action<ChildrenAction<F>> = true;

/// What CHILDREN expands to.
template <class... Keys>
ChildrenRef children_macro(Keys&&... keys) {
    constexpr std::size_t actions = (std::size_t{is_children_action<std::remove_cvref_t<Keys>>} + ... + 0);
    static_assert(count_key<ChildrenRedundancy, Keys...> <= 1 && count_key<ChildrenCallbacks, Keys...> <= 1 &&
                      count_key<ChildrenPlacement, Keys...> <= 1 && actions <= 1,
                  "CHILDREN takes each key at most once");
    auto spec = (ChildrenSpec<IgnoreMessage>{} | ... | std::forward<Keys>(keys));
    using Action = decltype(spec.action);
    constexpr bool takes_ctx = std::is_invocable_v<Action&, BastionContext&, SignedMessage>;
    if constexpr (!takes_ctx && !std::is_invocable_v<Action&, SignedMessage>) {
        static_assert(children_macro_misuse<Action>,
                      "CHILDREN's action takes [..](SignedMessage msg) { ... } or "
                      "[..](BastionContext& ctx, SignedMessage msg) { ... }");
        return ChildrenRef{nullptr};
    } else if constexpr (!std::is_copy_constructible_v<Action>) {
        static_assert(children_macro_misuse<Action>,
                      "CHILDREN's action must be copyable: every actor, and every restart, runs its own copy");
        return ChildrenRef{nullptr};
    } else {
        auto init = [redundancy = spec.redundancy, callbacks = spec.callbacks,
                     action = std::move(spec.action)](Children children) {
            return children.with_callbacks(callbacks).with_redundancy(redundancy).with_exec(
                [action](BastionContext ctx) -> Exec {
                    Action act = action;  // this run's own copy
                    for (;;) {
                        if constexpr (takes_ctx) {
                            act(ctx, ctx.recv());
                        } else {
                            act(ctx.recv());
                        }
                    }
                });
        };
        auto group = spec.supervisor ? spec.supervisor->children(std::move(init)) : Bastion::children(std::move(init));
        return std::move(group).expect("failed to create children group");
    }
}

}  // namespace bastion::detail

#define BASTION_DETAIL_CHILDREN_PROBE_redundancy(...) ~, 1
#define BASTION_DETAIL_CHILDREN_KEY_redundancy(...) ::bastion::detail::ChildrenRedundancy(__VA_ARGS__)
#define BASTION_DETAIL_CHILDREN_PROBE_callbacks(...) ~, 1
#define BASTION_DETAIL_CHILDREN_KEY_callbacks(...) ::bastion::detail::ChildrenCallbacks{__VA_ARGS__}
#define BASTION_DETAIL_CHILDREN_PROBE_supervisor(...) ~, 1
#define BASTION_DETAIL_CHILDREN_KEY_supervisor(...) ::bastion::detail::children_placement(__VA_ARGS__)
#define BASTION_DETAIL_CHILDREN_PROBE_action(...) ~, 1
#define BASTION_DETAIL_CHILDREN_KEY_action(...) ::bastion::detail::children_action(__VA_ARGS__)

/// `CHILDREN(key(value), ...)`: a children group; yields its ChildrenRef (see the file comment).
#define BASTION_CHILDREN(...) \
    ::bastion::detail::children_macro(__VA_OPT__(BASTION_DETAIL_KEYS(CHILDREN, __VA_ARGS__)))

#ifndef BASTION_NO_SHORT_MACRO_NAMES
///@{
/// The short name of the `BASTION_` macro it expands to; not defined if `BASTION_NO_SHORT_MACRO_NAMES` is.
#define CHILDREN(...) BASTION_CHILDREN(__VA_ARGS__)
///@}
#endif
