#pragma once
/// \file
/// Lifecycle callbacks of a supervisor or children group. Rust: `bastion::Callbacks`.

#include <bastion/failure.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace bastion {

namespace detail {

template <class F>
inline constexpr bool callback_misuse = false;

// A group's callbacks are copied into each of its children, hence copyable.
template <class F>
std::function<void()> lifecycle_callback(F callback) {
    static_assert(std::is_copy_constructible_v<F>,
                  "a callback must be copyable: capture move-only state through a shared_ptr");
    if constexpr (std::is_invocable_v<const F&>) {
        return callback;
    } else {
        static_assert(callback_misuse<F>, "a start or stop callback is [&] { ... }, callable as const");
        return {};
    }
}

// Upstream's restart callbacks take nothing (issue #87); a port keeps them as they are, new code may take the failure.
template <class F>
std::function<void(const Failure&)> restart_callback(F callback) {
    static_assert(std::is_copy_constructible_v<F>,
                  "a callback must be copyable: capture move-only state through a shared_ptr");
    if constexpr (std::is_invocable_v<const F&, const Failure&>) {
        return callback;
    } else if constexpr (std::is_invocable_v<const F&>) {
        return [callback = std::move(callback)](const Failure&) { callback(); };
    } else {
        static_assert(callback_misuse<F>,
                      "a restart callback is [&] { ... } or [&](const Failure& why) { ... }, callable as const");
        return {};
    }
}

}  // namespace detail

/// What a supervisor or children group runs around its life: before and after start, around a restart, after stop.
///
/// Built like Rust's: `Callbacks{}.with_before_start([] { ... }).with_after_restart([](const Failure& why) { ... })`.
/// Each builder returns a modified copy and replaces a callback set before. Callables must be copyable and callable
/// as const (Rust's `Fn`): a group's callbacks are copied into each of its children, which may call them at the same
/// time from different threads, so shared state they touch needs its own synchronisation.
///
/// Fallbacks, as upstream: with no `before_restart`, a restart runs `after_stop` instead; with no `after_restart`, it
/// runs `before_start` instead.
class Callbacks {
public:
    /// No callbacks. Rust: `Callbacks::new()`.
    Callbacks() = default;

    /// Runs when the element is deployed and, in a child, when it starts.
    template <class F>
    Callbacks with_before_start(F callback) const {
        Callbacks c = *this;
        c.before_start_ = detail::lifecycle_callback(std::move(callback));
        return c;
    }
    /// Runs in a child once it is registered and before its exec runs.
    template <class F>
    Callbacks with_after_start(F callback) const {
        Callbacks c = *this;
        c.after_start_ = detail::lifecycle_callback(std::move(callback));
        return c;
    }
    /// Runs before a failed element is restarted. `F`: `void()` or `void(const Failure&)`.
    template <class F>
    Callbacks with_before_restart(F callback) const {
        Callbacks c = *this;
        c.before_restart_ = detail::restart_callback(std::move(callback));
        return c;
    }
    /// Runs once a failed element has been restarted. `F`: `void()` or `void(const Failure&)`.
    template <class F>
    Callbacks with_after_restart(F callback) const {
        Callbacks c = *this;
        c.after_restart_ = detail::restart_callback(std::move(callback));
        return c;
    }
    /// Runs when the element stops.
    template <class F>
    Callbacks with_after_stop(F callback) const {
        Callbacks c = *this;
        c.after_stop_ = detail::lifecycle_callback(std::move(callback));
        return c;
    }

    ///@{
    /// Whether that callback is set (a fallback does not count). Rust: `Callbacks::has_before_start` etc.
    bool has_before_start() const noexcept { return static_cast<bool>(before_start_); }
    bool has_after_start() const noexcept { return static_cast<bool>(after_start_); }
    bool has_before_restart() const noexcept { return static_cast<bool>(before_restart_); }
    bool has_after_restart() const noexcept { return static_cast<bool>(after_restart_); }
    bool has_after_stop() const noexcept { return static_cast<bool>(after_stop_); }
    ///@}

    /// Called by the runtime. Each runs its callback, or its fallback, or nothing; an exception from the callback
    /// propagates to the runtime, which contains it.
    void before_start() const {
        if (before_start_) before_start_();
    }
    /// Called by the runtime.
    void after_start() const {
        if (after_start_) after_start_();
    }
    /// Called by the runtime with the failure that caused the restart; runs `after_stop` if no `before_restart`.
    void before_restart(const Failure& why) const {
        if (before_restart_) {
            before_restart_(why);
        } else {
            after_stop();
        }
    }
    /// Called by the runtime with the failure that caused the restart; runs `before_start` if no `after_restart`.
    void after_restart(const Failure& why) const {
        if (after_restart_) {
            after_restart_(why);
        } else {
            before_start();
        }
    }
    /// Called by the runtime.
    void after_stop() const {
        if (after_stop_) after_stop_();
    }

private:
    std::function<void()> before_start_;
    std::function<void()> after_start_;
    std::function<void(const Failure&)> before_restart_;
    std::function<void(const Failure&)> after_restart_;
    std::function<void()> after_stop_;
};

}  // namespace bastion
