#pragma once
/// \file
/// OptimalSizeExploringResizer: grows a children group while its members fall behind and shrinks it while they are
/// idle, between two bounds. Rust: `bastion::resizer::{OptimalSizeExploringResizer, UpperBound, UpscaleStrategy}`.

#include <cstddef>
#include <cstdint>
#include <optional>

namespace bastion {

/// The most members a resized group may have. Rust: `UpperBound`.
class UpperBound {
public:
    /// At most `n` members (never exceeded: upstream's could be, #291). Rust: `UpperBound::Limit(n)`.
    static UpperBound Limit(std::size_t n) noexcept { return UpperBound{n}; }
    /// No limit. Rust: `UpperBound::Unlimited`.
    static UpperBound Unlimited() noexcept { return UpperBound{std::nullopt}; }

    /// The limit, if there is one.
    std::optional<std::size_t> limit() const noexcept { return limit_; }

    /// Same limit, or both unlimited.
    friend bool operator==(const UpperBound&, const UpperBound&) = default;

private:
    explicit UpperBound(std::optional<std::size_t> limit) noexcept : limit_{limit} {}
    std::optional<std::size_t> limit_;
};

/// When a resized group grows. Rust: `UpscaleStrategy`.
class UpscaleStrategy {
public:
    /// When its members have more than `n` routed messages waiting each, on average. Rust:
    /// `UpscaleStrategy::MailboxSizeThreshold(n)`.
    static UpscaleStrategy MailboxSizeThreshold(std::size_t n) noexcept { return UpscaleStrategy{n}; }

    /// The `n` of `MailboxSizeThreshold(n)`.
    std::size_t mailbox_size_threshold() const noexcept { return threshold_; }

    /// Same threshold.
    friend bool operator==(const UpscaleStrategy&, const UpscaleStrategy&) = default;

private:
    explicit UpscaleStrategy(std::size_t threshold) noexcept : threshold_{threshold} {}
    std::size_t threshold_;
};

/// What the resizer looks at, once per heartbeat tick (`Children::with_heartbeat_tick`, default 60 s).
struct ResizerSample {
    std::size_t members = 0;  ///< members that are not stopped for good: running, or down awaiting a restart
    std::size_t running = 0;  ///< of which running
    std::size_t backlog = 0;  ///< routed messages waiting in the running members' mailboxes
    std::size_t idle = 0;     ///< running members that received no routed message since the last tick, and have none
};

/// Resizes a children group given to `Children::with_resizer`. The group starts with `lower_bound` members (at least
/// one, as any group; never more than the upper bound, whatever `with_redundancy` said later). Once per heartbeat tick its supervisor takes a `ResizerSample` and applies `scale`: new
/// members start as fresh actors of the group (they join its dispatchers and distributors); removed members are
/// idle ones, stopped for good (after_stop runs), newest first, after leaving the group's routes, and any routed
/// message that reached one meanwhile goes to a sibling. Members that finish or are given up on are replaced while
/// the group is below its lower bound. The backlog counts messages routed through a dispatcher or distributor only:
/// a direct tell is not counted, so that a send to an actor outside a resized group costs nothing more. Defaults as
/// upstream: lower bound 1, `UpperBound::Limit(10)`, `MailboxSizeThreshold(3)`, upscale rate 0.1, downscale
/// threshold 0.3, downscale rate 0.1. Rust: `OptimalSizeExploringResizer` (feature `scaling`).
class OptimalSizeExploringResizer {
public:
    /// Rust: `with_lower_bound`.
    OptimalSizeExploringResizer with_lower_bound(std::size_t lower_bound) const noexcept {
        auto copy = *this;
        copy.lower_bound_ = lower_bound;
        return copy;
    }
    /// Rust: `with_upper_bound`.
    OptimalSizeExploringResizer with_upper_bound(UpperBound upper_bound) const noexcept {
        auto copy = *this;
        copy.upper_bound_ = upper_bound;
        return copy;
    }
    /// Rust: `with_upscale_strategy`.
    OptimalSizeExploringResizer with_upscale_strategy(UpscaleStrategy strategy) const noexcept {
        auto copy = *this;
        copy.upscale_strategy_ = strategy;
        return copy;
    }
    /// The share of the current members to add when growing (at least one is added). Rust: `with_upscale_rate`.
    OptimalSizeExploringResizer with_upscale_rate(double rate) const noexcept {
        auto copy = *this;
        copy.upscale_rate_ = rate;
        return copy;
    }
    /// The share of idle members above which the group shrinks (upstream accepted it and never used it). Rust:
    /// `with_downscale_threshold`.
    OptimalSizeExploringResizer with_downscale_threshold(double threshold) const noexcept {
        auto copy = *this;
        copy.downscale_threshold_ = threshold;
        return copy;
    }
    /// The share of the current members to remove when shrinking (at least one, only idle ones). Rust:
    /// `with_downscale_rate`.
    OptimalSizeExploringResizer with_downscale_rate(double rate) const noexcept {
        auto copy = *this;
        copy.downscale_rate_ = rate;
        return copy;
    }

    ///@{
    /// The settings the `with_` calls above set (defaults in the class comment).
    std::size_t lower_bound() const noexcept { return lower_bound_; }
    UpperBound upper_bound() const noexcept { return upper_bound_; }
    UpscaleStrategy upscale_strategy() const noexcept { return upscale_strategy_; }
    double upscale_rate() const noexcept { return upscale_rate_; }
    double downscale_threshold() const noexcept { return downscale_threshold_; }
    double downscale_rate() const noexcept { return downscale_rate_; }
    ///@}

    /// How many members to add (positive) or remove (negative) given `sample`. Grows when there are fewer members
    /// than the lower bound, or when the average backlog of the running members exceeds the threshold; shrinks
    /// (idle members only) when at least `downscale_threshold` of the running members are idle and the group is
    /// above its lower bound. The result never takes the group past either bound; a group above its upper bound
    /// (`Limit(0)`: a group still starts with one member) is brought down to it as its members become idle.
    std::ptrdiff_t scale(const ResizerSample& sample) const noexcept;

private:
    std::size_t lower_bound_ = 1;
    UpperBound upper_bound_ = UpperBound::Limit(10);
    UpscaleStrategy upscale_strategy_ = UpscaleStrategy::MailboxSizeThreshold(3);
    double upscale_rate_ = 0.1;
    double downscale_threshold_ = 0.3;
    double downscale_rate_ = 0.1;
};

}  // namespace bastion
