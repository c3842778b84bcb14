#pragma once
// What a timer sends: the type-erased maker of its letters, and the letter of a repeating timer's tick, which tells
// the timer when the receiver has let go of it (include/bastion/timer.hpp says why).

#include <bastion/detail/letter.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <memory>
#include <type_traits>
#include <utility>

namespace bastion {
class Timer;
}

namespace bastion::detail {

class ActorCell;
class TimerScope;

/// Shared by a repeating timer and its tick in flight: set when a tick is made, cleared when its letter is destroyed
/// (the receiver took and dropped it, or it was refused or thrown away with a mailbox).
struct TickGate {
    std::atomic<bool> outstanding{false};
};

/// A repeating timer's letter: a tell of `T` that clears its gate when it goes.
template <class T>
class TickLetter final : public Letter {
public:
    TickLetter(RefAddr sign, T&& value, std::shared_ptr<TickGate> gate)
        : Letter{MessageKind::Tell, typeid(T), std::move(sign)}, value_{std::move(value)}, gate_{std::move(gate)} {}
    ~TickLetter() override { gate_->outstanding.store(false, std::memory_order_release); }
    void* payload() noexcept override { return &value_; }

private:
    T value_;
    std::shared_ptr<TickGate> gate_;
};

/// Makes a timer's letters. Called only from the timer's own lightproc, one call at a time.
class TickMaker {
public:
    virtual ~TickMaker() = default;
    /// The next letter; `gate` is the timer's (a repeating timer's letter holds it), and is already marked outstanding.
    virtual LetterPtr make(const std::shared_ptr<TickGate>& gate) = 0;
};

/// A one-shot timer's single letter, made when the timer is.
class OnceTick final : public TickMaker {
public:
    explicit OnceTick(LetterPtr letter) noexcept : letter_{std::move(letter)} {}
    LetterPtr make(const std::shared_ptr<TickGate>&) override { return std::move(letter_); }

private:
    LetterPtr letter_;
};

/// A repeating timer's letters, each from a call of `Factory` (which returns `T`).
template <class T, class Factory>
class FactoryTicks final : public TickMaker {
public:
    FactoryTicks(RefAddr sign, Factory factory) : sign_{std::move(sign)}, factory_{std::move(factory)} {}
    LetterPtr make(const std::shared_ptr<TickGate>& gate) override {
        return std::make_unique<TickLetter<T>>(sign_, T(factory_()), gate);
    }

private:
    RefAddr sign_;
    Factory factory_;
};

/// The letter of a one-shot timer sending `msg`, signed `sign`.
template <class M>
std::unique_ptr<TickMaker> once_tick(RefAddr sign, M&& msg) {
    return std::make_unique<OnceTick>(make_letter(MessageKind::Tell, std::move(sign), std::forward<M>(msg)));
}

/// A message argument of a repeating timer is a factory if it can be called with nothing and returns a message.
template <class F>
concept TickFactory = std::invocable<std::decay_t<F>&> && !std::is_void_v<std::invoke_result_t<std::decay_t<F>&>>;

/// The letters of a repeating timer sending `msg` (copied each time) or what `msg()` returns (if a factory).
template <class M>
std::unique_ptr<TickMaker> repeating_ticks(RefAddr sign, M&& msg) {
    if constexpr (TickFactory<M>) {
        using T = std::decay_t<std::invoke_result_t<std::decay_t<M>&>>;
        static_assert(is_payload<T>, "a repeating timer's factory must return a movable message");
        return std::make_unique<FactoryTicks<T, std::decay_t<M>>>(std::move(sign), std::forward<M>(msg));
    } else {
        using T = Payload<M>;
        static_assert(is_payload<M>, "a message must be a movable value");
        static_assert(std::is_copy_constructible_v<T>,
                      "a repeating timer sends its message many times: make it copyable, or pass a factory "
                      "([] { return make_message(); })");
        auto copy = [value = T(std::forward<M>(msg))] { return value; };
        return std::make_unique<FactoryTicks<T, decltype(copy)>>(std::move(sign), std::move(copy));
    }
}

/// Starts a timer to `to` whose first letter is due `first` from now and, if `interval` is positive, one every
/// `interval` after that. `owner` (null for none) cancels it when its actor's run ends.
Timer start_timer(std::shared_ptr<ActorCell> to, std::unique_ptr<TickMaker> ticks, std::chrono::nanoseconds first,
                  std::chrono::nanoseconds interval, TimerScope* owner);

}  // namespace bastion::detail
