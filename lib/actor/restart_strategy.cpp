#include <bastion/restart_strategy.hpp>

#include <algorithm>
#include <cmath>
#include <ostream>

namespace bastion {

namespace {

using std::chrono::nanoseconds;

// `delay * factor` rounded to the nanosecond, within [0, limit]. long double holds every 64-bit count exactly on
// x86, and a product too large (even infinite or NaN, from a huge power) saturates instead of overflowing.
nanoseconds scaled(nanoseconds delay, long double factor, nanoseconds limit = nanoseconds::max()) noexcept {
    if (delay.count() == 0) return delay;  // 0 * inf would be NaN
    const long double product = static_cast<long double>(delay.count()) * factor;
    if (!(product < static_cast<long double>(limit.count()))) return limit;
    if (product <= 0) return nanoseconds{0};
    return nanoseconds{std::llround(product)};
}

// Rust's Debug of a Duration prints `100ms`; we print the largest unit that keeps the value exact.
void print_duration(std::ostream& os, nanoseconds d) {
    using namespace std::chrono;
    if (d % seconds{1} == nanoseconds{0}) {
        os << duration_cast<seconds>(d).count() << 's';
    } else if (d % milliseconds{1} == nanoseconds{0}) {
        os << duration_cast<milliseconds>(d).count() << "ms";
    } else if (d % microseconds{1} == nanoseconds{0}) {
        os << duration_cast<microseconds>(d).count() << "us";
    } else {
        os << d.count() << "ns";
    }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const RestartPolicy& policy) {
    if (policy.is_always()) return os << "Always";
    if (policy.is_never()) return os << "Never";
    return os << "Tries(" << *policy.tries() << ')';
}

std::optional<nanoseconds> ActorRestartStrategy::calculate(std::size_t restarts_so_far) const noexcept {
    const auto n = static_cast<long double>(restarts_so_far);
    if (const auto* s = std::get_if<LinearBackOff>(&strategy_)) return scaled(s->timeout, 1 + n);
    if (const auto* s = std::get_if<ScaledLinearBackOff>(&strategy_)) return scaled(s->timeout, 1 + s->multiplier * n);
    if (const auto* s = std::get_if<ExponentialBackOff>(&strategy_)) {
        return scaled(s->timeout, std::pow(static_cast<long double>(s->multiplier), n), s->max);
    }
    return std::nullopt;
}

nanoseconds ActorRestartStrategy::jittered(nanoseconds delay, double unit_random) const noexcept {
    const auto* s = std::get_if<ExponentialBackOff>(&strategy_);
    if (s == nullptr || !(s->jitter > 0)) return delay;
    const long double jitter = std::min(s->jitter, 1.0);
    const long double unit = std::clamp(unit_random, 0.0, 1.0);
    return scaled(delay, 1 + jitter * (2 * unit - 1), s->max);
}

std::ostream& operator<<(std::ostream& os, const ActorRestartStrategy& strategy) {
    if (const auto* s = std::get_if<ActorRestartStrategy::LinearBackOff>(&strategy.strategy_)) {
        os << "LinearBackOff { timeout: ";
        print_duration(os, s->timeout);
        return os << " }";
    }
    if (const auto* s = std::get_if<ActorRestartStrategy::ExponentialBackOff>(&strategy.strategy_)) {
        os << "ExponentialBackOff { timeout: ";
        print_duration(os, s->timeout);
        os << ", multiplier: " << s->multiplier << ", max: ";
        print_duration(os, s->max);
        return os << ", jitter: " << s->jitter << " }";
    }
    if (const auto* s = std::get_if<ActorRestartStrategy::ScaledLinearBackOff>(&strategy.strategy_)) {
        os << "ScaledLinearBackOff { timeout: ";
        print_duration(os, s->timeout);
        return os << ", multiplier: " << s->multiplier << " }";
    }
    return os << "Immediate";
}

namespace detail {

bool RestartWindow::admit(Clock::time_point now, const RestartIntensity& intensity) {
    // Restarts older than the window no longer count against the intensity.
    while (!restarts_.empty() && now - restarts_.front() >= intensity.within) restarts_.pop_front();
    if (restarts_.size() >= intensity.max_restarts) return false;
    restarts_.push_back(now);
    return true;
}

}  // namespace detail

}  // namespace bastion
