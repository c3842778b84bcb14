#pragma once
/// \file
/// `SUPERVISOR(...)`: Rust's `supervisor! { strategy: S, callbacks: C }`.
///
/// ```cpp
/// SupervisorRef sp = SUPERVISOR(strategy(SupervisionStrategy::OneForOne),  // supervisor! { strategy: OneForOne,
///                               callbacks(cbs));                           //     callbacks: cbs, }
/// ```
///
/// Keys are written as calls, in any order, each at most once, all optional:
/// - `strategy(s)`: the `SupervisionStrategy`. Default **OneForAll**, as upstream's macro (unlike `Supervisor`'s
///   own default, OneForOne).
/// - `callbacks(cbs)`: the supervisor's `Callbacks`. Default none.
///
/// Adds a top-level supervisor (`Bastion::supervisor`) and yields its `SupervisorRef`; throws Panic if it cannot
/// (no `Bastion::init()`), as upstream's `.expect("failed to create supervisor")`. Place groups under it with
/// `CHILDREN(supervisor(sp), ...)`. An unknown key fails to compile naming it:
/// `BASTION_SUPERVISOR_has_no_key_named_<key>` was not declared.
///
/// Also `BASTION_SUPERVISOR`; the short name is not defined when `BASTION_NO_SHORT_MACRO_NAMES` is.

#include <bastion/bastion.hpp>
#include <bastion/callbacks.hpp>
#include <bastion/dsl/detail/keys.hpp>
#include <bastion/supervision_strategy.hpp>
#include <bastion/supervisor.hpp>
#include <bastion/supervisor_ref.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>

namespace bastion::detail {

struct SupervisorStrategyKey {
    SupervisionStrategy value;
};
struct SupervisorCallbacksKey {
    Callbacks value;
};

/// What the keys given so far describe; each key, folded in with `|`, replaces its default.
struct SupervisorSpec {
    SupervisionStrategy strategy = SupervisionStrategy::OneForAll;  // upstream's supervisor! default
    Callbacks callbacks;

    SupervisorSpec operator|(SupervisorStrategyKey key) && {
        strategy = key.value;
        return std::move(*this);
    }
    SupervisorSpec operator|(SupervisorCallbacksKey key) && {
        callbacks = std::move(key.value);
        return std::move(*this);
    }
};

/// What SUPERVISOR expands to.
template <class... Keys>
SupervisorRef supervisor_macro(Keys&&... keys) {
    static_assert((std::size_t{std::is_same_v<std::remove_cvref_t<Keys>, SupervisorStrategyKey>} + ... + 0) <= 1 &&
                      (std::size_t{std::is_same_v<std::remove_cvref_t<Keys>, SupervisorCallbacksKey>} + ... + 0) <= 1,
                  "SUPERVISOR takes each key at most once");
    SupervisorSpec spec = (SupervisorSpec{} | ... | std::forward<Keys>(keys));
    auto init = [spec](Supervisor sp) { return sp.with_callbacks(spec.callbacks).with_strategy(spec.strategy); };
    return Bastion::supervisor(std::move(init)).expect("failed to create supervisor");
}

}  // namespace bastion::detail

#define BASTION_DETAIL_SUPERVISOR_PROBE_strategy(...) ~, 1
#define BASTION_DETAIL_SUPERVISOR_KEY_strategy(...) ::bastion::detail::SupervisorStrategyKey{__VA_ARGS__}
#define BASTION_DETAIL_SUPERVISOR_PROBE_callbacks(...) ~, 1
#define BASTION_DETAIL_SUPERVISOR_KEY_callbacks(...) ::bastion::detail::SupervisorCallbacksKey{__VA_ARGS__}

/// `SUPERVISOR(key(value), ...)`: a top-level supervisor; yields its SupervisorRef (see the file comment).
#define BASTION_SUPERVISOR(...) \
    ::bastion::detail::supervisor_macro(__VA_OPT__(BASTION_DETAIL_KEYS(SUPERVISOR, __VA_ARGS__)))

#ifndef BASTION_NO_SHORT_MACRO_NAMES
///@{
/// The short name of the `BASTION_` macro it expands to; not defined if `BASTION_NO_SHORT_MACRO_NAMES` is.
#define SUPERVISOR(...) BASTION_SUPERVISOR(__VA_ARGS__)
///@}
#endif
