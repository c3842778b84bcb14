#pragma once
/// \file
/// Whether, after how long and how often a supervisor restarts a failed element.
/// Rust: `bastion::supervisor::{RestartPolicy, ActorRestartStrategy, RestartStrategy}`; `RestartIntensity` is
/// beyond upstream (Erlang/OTP's MaxR/MaxT).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <optional>
#include <variant>

namespace bastion {

/// Whether a failed child is restarted. Restarts are counted per child over its whole life, as upstream: a
/// success does not reset the count. Rust: `RestartPolicy`.
class RestartPolicy {
public:
    /// Restart every time. The default.
    static const RestartPolicy Always;
    /// Never restart: the failed child is removed from its group.
    static const RestartPolicy Never;
    /// Restart at most `n` times; the next failure removes the child from its group.
    static constexpr RestartPolicy Tries(std::size_t n) noexcept { return {Kind::Tries, n}; }

    /// Whether a child already restarted `restarts_so_far` times may be restarted once more.
    constexpr bool allows(std::size_t restarts_so_far) const noexcept {
        return kind_ == Kind::Always || (kind_ == Kind::Tries && restarts_so_far < tries_);
    }

    ///@{
    /// Whether this is `Always`; `is_never` likewise.
    constexpr bool is_always() const noexcept { return kind_ == Kind::Always; }
    constexpr bool is_never() const noexcept { return kind_ == Kind::Never; }
    ///@}
    /// `n` for `Tries(n)`, nullopt otherwise.
    constexpr std::optional<std::size_t> tries() const noexcept {
        return kind_ == Kind::Tries ? std::optional<std::size_t>{tries_} : std::nullopt;
    }

    /// Same kind and, for `Tries`, same count.
    friend constexpr bool operator==(const RestartPolicy&, const RestartPolicy&) noexcept = default;

private:
    enum class Kind : std::uint8_t { Always, Never, Tries };

    constexpr RestartPolicy(Kind kind, std::size_t tries) noexcept : kind_{kind}, tries_{tries} {}

    Kind kind_;
    std::size_t tries_;
};

inline constexpr RestartPolicy RestartPolicy::Always{Kind::Always, 0};
inline constexpr RestartPolicy RestartPolicy::Never{Kind::Never, 0};

/// Writes `Always`, `Never` or `Tries(n)`, as Rust's `Debug`.
std::ostream& operator<<(std::ostream& os, const RestartPolicy& policy);

/// How long a supervisor waits before restarting a failed element. Rust: `ActorRestartStrategy`.
///
/// Written as in Rust: `ActorRestartStrategy::LinearBackOff{.timeout = 100ms}`. In the formulas, `n` is the number
/// of restarts the element has had before this one.
class ActorRestartStrategy {
public:
    /// No wait. The default.
    struct Immediate {
        /// Always equal.
        friend bool operator==(const Immediate&, const Immediate&) = default;
    };

    /// `timeout * (1 + n)`.
    struct LinearBackOff {
        /// The wait added per restart already had; also the first wait.
        std::chrono::nanoseconds timeout{};
        /// Same timeout.
        friend bool operator==(const LinearBackOff&, const LinearBackOff&) = default;
    };

    /// `timeout * multiplier^n`, never more than `max`; `jitter` lets the runtime spread each wait (`jittered`).
    ///
    /// Upstream's `ExponentialBackOff` is in fact linear in `n`: ports that need its exact delays use
    /// `ScaledLinearBackOff`. The cap and the jitter are beyond upstream.
    struct ExponentialBackOff {
        /// The first wait (`n` = 0).
        std::chrono::nanoseconds timeout{};
        /// The factor each further restart multiplies the wait by.
        double multiplier = 2.0;
        /// 30 s as in Akka's back-off supervisor examples: long enough to ride out a restarting dependency, short
        /// enough to notice soon that it is back.
        std::chrono::nanoseconds max = std::chrono::seconds{30};
        /// The fraction of each wait, in [0, 1], by which it may be shortened or lengthened at random.
        double jitter = 0.0;
        /// Same fields.
        friend bool operator==(const ExponentialBackOff&, const ExponentialBackOff&) = default;
    };

    /// `timeout * (1 + multiplier * n)`: upstream's `ExponentialBackOff { timeout, multiplier }` formula under its
    /// own name, for ports that need upstream's exact delays.
    struct ScaledLinearBackOff {
        /// The first wait (`n` = 0).
        std::chrono::nanoseconds timeout{};
        /// The share of `timeout` added per restart already had.
        double multiplier = 1.0;
        /// Same fields.
        friend bool operator==(const ScaledLinearBackOff&, const ScaledLinearBackOff&) = default;
    };

    /// `Immediate`, as Rust's `Default`.
    ActorRestartStrategy() = default;
    ///@{
    /// Implicit, so a variant is written where a strategy is expected.
    ActorRestartStrategy(Immediate strategy) noexcept : strategy_{strategy} {}
    ActorRestartStrategy(LinearBackOff strategy) noexcept : strategy_{strategy} {}
    ActorRestartStrategy(ExponentialBackOff strategy) noexcept : strategy_{strategy} {}
    ActorRestartStrategy(ScaledLinearBackOff strategy) noexcept : strategy_{strategy} {}
    ///@}

    /// The wait before the restart that follows `restarts_so_far` restarts: nullopt for `Immediate`, else the
    /// formula's value rounded to the nanosecond, never negative, saturated instead of overflowing. Deterministic:
    /// jitter is applied apart, by `jittered`. Rust: `ActorRestartStrategy::calculate`.
    std::optional<std::chrono::nanoseconds> calculate(std::size_t restarts_so_far) const noexcept;

    /// `delay` moved by up to `jitter * delay` either way, still capped at `max`: `unit_random` 0 shortens it the
    /// most, 0.5 keeps it, values towards 1 lengthen it the most. The runtime draws `unit_random` uniformly from
    /// [0, 1), so that siblings failing together do not all restart at the same instant. Only
    /// `ExponentialBackOff` has jitter; the other strategies return `delay` unchanged.
    std::chrono::nanoseconds jittered(std::chrono::nanoseconds delay, double unit_random) const noexcept;

    /// Same variant with the same fields.
    friend bool operator==(const ActorRestartStrategy&, const ActorRestartStrategy&) = default;

    /// Writes the variant and its fields, as Rust's `Debug`.
    friend std::ostream& operator<<(std::ostream& os, const ActorRestartStrategy& strategy);

private:
    std::variant<Immediate, LinearBackOff, ExponentialBackOff, ScaledLinearBackOff> strategy_;
};

/// Erlang's MaxR/MaxT: more than `max_restarts` restarts within `within` make the supervisor give up and escalate
/// to its own supervisor. Beyond upstream, which has no time window.
struct RestartIntensity {
    /// OTP's default intensity.
    std::size_t max_restarts = 1;
    /// OTP's default period.
    std::chrono::nanoseconds within = std::chrono::seconds{5};
    /// Same limits.
    friend bool operator==(const RestartIntensity&, const RestartIntensity&) = default;
};

namespace detail {

// A supervisor's recent restarts, checked against its RestartIntensity. Owned by one supervisor; not thread-safe.
class RestartWindow {
public:
    using Clock = std::chrono::steady_clock;

    // True if a restart at `now` stays within `intensity`, and then it is recorded; false if it would exceed it.
    bool admit(Clock::time_point now, const RestartIntensity& intensity);

private:
    std::deque<Clock::time_point> restarts_;  // oldest first; never more than max_restarts
};

}  // namespace detail

/// How a supervisor restarts its failed elements: whether (policy), after what wait (strategy) and, optionally,
/// how often before it gives up (intensity). Builders return a modified copy. Rust: `RestartStrategy`.
class RestartStrategy {
public:
    /// `Always`, `Immediate`, no intensity limit. Rust: `RestartStrategy::default()`.
    RestartStrategy() = default;
    /// No intensity limit. Rust: `RestartStrategy::new`.
    RestartStrategy(RestartPolicy policy, ActorRestartStrategy strategy) noexcept
        : policy_{policy}, strategy_{strategy} {}

    /// Rust: `RestartStrategy::with_restart_policy`.
    RestartStrategy with_restart_policy(RestartPolicy policy) const noexcept {
        RestartStrategy s = *this;
        s.policy_ = policy;
        return s;
    }
    /// Rust: `RestartStrategy::with_actor_restart_strategy`.
    RestartStrategy with_actor_restart_strategy(ActorRestartStrategy strategy) const noexcept {
        RestartStrategy s = *this;
        s.strategy_ = strategy;
        return s;
    }
    /// Limits how often the supervisor restarts before it escalates. Beyond upstream.
    RestartStrategy with_intensity(RestartIntensity intensity) const noexcept {
        RestartStrategy s = *this;
        s.intensity_ = intensity;
        return s;
    }

    /// Rust: `RestartStrategy::restart_policy`.
    RestartPolicy restart_policy() const noexcept { return policy_; }
    /// Rust: `RestartStrategy::strategy`.
    const ActorRestartStrategy& strategy() const noexcept { return strategy_; }
    /// Nullopt when restarts are not limited in time.
    std::optional<RestartIntensity> intensity() const noexcept { return intensity_; }

    /// Same policy, strategy and intensity.
    friend bool operator==(const RestartStrategy&, const RestartStrategy&) = default;

private:
    RestartPolicy policy_ = RestartPolicy::Always;
    ActorRestartStrategy strategy_;
    std::optional<RestartIntensity> intensity_;
};

}  // namespace bastion
