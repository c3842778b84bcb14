#include <bastion/restart_strategy.hpp>
#include <bastion/supervision_strategy.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <sstream>
#include <string>

using namespace bastion;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;

namespace {

template <class T>
std::string printed(const T& value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

std::optional<nanoseconds> ms(long long count) { return std::chrono::milliseconds{count}; }

}  // namespace

TEST_SUITE("actor") {
// Upstream tests/restart_strategy.rs.
TEST_CASE("the default restart strategy is Always with Immediate restarts and no intensity limit") {
    const RestartStrategy strategy;
    CHECK(strategy.restart_policy() == RestartPolicy::Always);
    CHECK(strategy.strategy() == ActorRestartStrategy::Immediate{});
    CHECK(strategy.intensity() == std::nullopt);
}

TEST_CASE("overriding the restart policy keeps the actor restart strategy") {
    const RestartStrategy strategy = RestartStrategy{}.with_restart_policy(RestartPolicy::Never);
    CHECK(strategy.restart_policy() == RestartPolicy::Never);
    CHECK(strategy.strategy() == ActorRestartStrategy::Immediate{});
}

TEST_CASE("overriding the actor restart strategy keeps the restart policy") {
    const ActorRestartStrategy linear = ActorRestartStrategy::LinearBackOff{.timeout = 1s};
    const RestartStrategy strategy = RestartStrategy{}.with_actor_restart_strategy(linear);
    CHECK(strategy.restart_policy() == RestartPolicy::Always);
    CHECK(strategy.strategy() == linear);
}

TEST_CASE("overriding both the policy and the strategy keeps both") {
    const RestartPolicy policy = RestartPolicy::Tries(3);
    const ActorRestartStrategy linear = ActorRestartStrategy::LinearBackOff{.timeout = 1s};
    const RestartStrategy strategy = RestartStrategy{}.with_restart_policy(policy).with_actor_restart_strategy(linear);
    CHECK(strategy.restart_policy() == policy);
    CHECK(strategy.strategy() == linear);
    CHECK(strategy == RestartStrategy{policy, linear});
}

TEST_CASE("Immediate restarts have no delay") {
    const ActorRestartStrategy immediate = ActorRestartStrategy::Immediate{};
    CHECK(immediate.calculate(0) == std::nullopt);
    CHECK(immediate.calculate(1) == std::nullopt);
    CHECK(immediate.calculate(100) == std::nullopt);
    CHECK(ActorRestartStrategy{} == immediate);
}

TEST_CASE("LinearBackOff waits timeout * (1 + n)") {
    const ActorRestartStrategy linear = ActorRestartStrategy::LinearBackOff{.timeout = 100ms};
    CHECK(linear.calculate(0) == ms(100));
    CHECK(linear.calculate(1) == ms(100 + 1 * 100));
    CHECK(linear.calculate(99) == ms(100 + 99 * 100));
}

TEST_CASE("ScaledLinearBackOff with multiplier 0 waits the timeout every time, as upstream's ExponentialBackOff") {
    const ActorRestartStrategy scaled = ActorRestartStrategy::ScaledLinearBackOff{.timeout = 100ms, .multiplier = 0.0};
    CHECK(scaled.calculate(0) == ms(100));
    CHECK(scaled.calculate(1) == ms(100));
    CHECK(scaled.calculate(100) == ms(100));
}

TEST_CASE("ScaledLinearBackOff waits timeout * (1 + multiplier * n), upstream's ExponentialBackOff numbers") {
    const ActorRestartStrategy scaled = ActorRestartStrategy::ScaledLinearBackOff{.timeout = 100ms, .multiplier = 5.0};
    CHECK(scaled.calculate(0) == ms(100));
    CHECK(scaled.calculate(1) == ms(600));
    CHECK(scaled.calculate(99) == ms(49'600));
}

// Beyond upstream.
TEST_CASE("ExponentialBackOff doubles from the timeout by default and stops at its cap") {
    const ActorRestartStrategy exponential = ActorRestartStrategy::ExponentialBackOff{.timeout = 100ms, .max = 1s};
    CHECK(exponential.calculate(0) == ms(100));
    CHECK(exponential.calculate(1) == ms(200));
    CHECK(exponential.calculate(2) == ms(400));
    CHECK(exponential.calculate(3) == ms(800));
    CHECK(exponential.calculate(4) == ms(1000));
    CHECK(exponential.calculate(1000) == ms(1000));
}

TEST_CASE("ExponentialBackOff defaults to a 30 s cap and saturates instead of overflowing") {
    const ActorRestartStrategy exponential = ActorRestartStrategy::ExponentialBackOff{.timeout = 100ms};
    CHECK(exponential.calculate(8) == ms(25'600));
    CHECK(exponential.calculate(9) == ms(30'000));
    CHECK(exponential.calculate(std::numeric_limits<std::size_t>::max()) == ms(30'000));

    const ActorRestartStrategy uncapped =
        ActorRestartStrategy::ExponentialBackOff{.timeout = 1s, .multiplier = 10.0, .max = nanoseconds::max()};
    CHECK(uncapped.calculate(2) == 100s);
    CHECK(uncapped.calculate(400) == nanoseconds::max());
}

TEST_CASE("the other back-offs saturate instead of overflowing") {
    const ActorRestartStrategy linear = ActorRestartStrategy::LinearBackOff{.timeout = nanoseconds::max() / 2};
    CHECK(linear.calculate(3) == nanoseconds::max());
    const ActorRestartStrategy scaled = ActorRestartStrategy::ScaledLinearBackOff{.timeout = 1h, .multiplier = 1e30};
    CHECK(scaled.calculate(1) == nanoseconds::max());
}

TEST_CASE("jitter moves a delay by at most its fraction either way, never past the cap") {
    const ActorRestartStrategy exponential =
        ActorRestartStrategy::ExponentialBackOff{.timeout = 100ms, .max = 1s, .jitter = 0.25};
    CHECK(exponential.jittered(400ms, 0.0) == 300ms);
    CHECK(exponential.jittered(400ms, 0.5) == 400ms);
    CHECK(exponential.jittered(400ms, 0.75) == 450ms);
    for (double unit = 0.0; unit < 1.0; unit += 0.01) {
        const nanoseconds delay = exponential.jittered(400ms, unit);
        CHECK(delay >= 300ms);
        CHECK(delay < 500ms);
    }
    CHECK(exponential.jittered(1s, 0.0) == 750ms);
    CHECK(exponential.jittered(1s, 0.99) == 1s);
}

TEST_CASE("without jitter, or for other strategies, a delay is left as calculated") {
    const ActorRestartStrategy plain = ActorRestartStrategy::ExponentialBackOff{.timeout = 100ms};
    const ActorRestartStrategy linear = ActorRestartStrategy::LinearBackOff{.timeout = 100ms};
    CHECK(plain.jittered(400ms, 0.0) == 400ms);
    CHECK(linear.jittered(400ms, 0.9) == 400ms);
}

TEST_CASE("strategies compare by variant and fields and print as Rust's Debug") {
    const ActorRestartStrategy a = ActorRestartStrategy::ScaledLinearBackOff{.timeout = 100ms, .multiplier = 5.0};
    const ActorRestartStrategy b = ActorRestartStrategy::ScaledLinearBackOff{.timeout = 100ms, .multiplier = 3.0};
    CHECK(a != b);
    CHECK(a != ActorRestartStrategy{ActorRestartStrategy::LinearBackOff{.timeout = 100ms}});
    CHECK(printed(ActorRestartStrategy{}) == "Immediate");
    CHECK(printed(ActorRestartStrategy::LinearBackOff{.timeout = 1s}) == "LinearBackOff { timeout: 1s }");
    CHECK(printed(a) == "ScaledLinearBackOff { timeout: 100ms, multiplier: 5 }");
    CHECK(printed(ActorRestartStrategy::ExponentialBackOff{.timeout = 1500us, .jitter = 0.5}) ==
          "ExponentialBackOff { timeout: 1500us, multiplier: 2, max: 30s, jitter: 0.5 }");
}

TEST_CASE("RestartPolicy allows always, never, or fewer restarts than its tries") {
    CHECK(RestartPolicy::Always.allows(0));
    CHECK(RestartPolicy::Always.allows(1'000'000));
    CHECK_FALSE(RestartPolicy::Never.allows(0));
    CHECK(RestartPolicy::Tries(3).allows(0));
    CHECK(RestartPolicy::Tries(3).allows(2));
    CHECK_FALSE(RestartPolicy::Tries(3).allows(3));
    CHECK_FALSE(RestartPolicy::Tries(0).allows(0));
}

TEST_CASE("RestartPolicy reports its variant and prints as Rust's Debug") {
    static_assert(RestartPolicy::Always.is_always());
    static_assert(RestartPolicy::Tries(4).tries() == 4u);
    CHECK(RestartPolicy::Never.is_never());
    CHECK_FALSE(RestartPolicy::Tries(2).is_always());
    CHECK(RestartPolicy::Always.tries() == std::nullopt);
    CHECK(RestartPolicy::Tries(2) == RestartPolicy::Tries(2));
    CHECK(RestartPolicy::Tries(2) != RestartPolicy::Tries(3));
    CHECK(RestartPolicy::Always != RestartPolicy::Never);
    CHECK(printed(RestartPolicy::Always) == "Always");
    CHECK(printed(RestartPolicy::Never) == "Never");
    CHECK(printed(RestartPolicy::Tries(5)) == "Tries(5)");
}

TEST_CASE("an intensity is kept by the builder and defaults to OTP's one restart in five seconds") {
    const RestartIntensity intensity{.max_restarts = 3, .within = 10s};
    CHECK(RestartStrategy{}.with_intensity(intensity).intensity() == intensity);
    CHECK(RestartIntensity{} == RestartIntensity{.max_restarts = 1, .within = 5s});
}

TEST_CASE("a restart window admits max_restarts restarts within the window, refuses the next, admits once it slides") {
    const RestartIntensity intensity{.max_restarts = 3, .within = 1s};
    detail::RestartWindow window;
    const auto t0 = detail::RestartWindow::Clock::time_point{} + 1h;
    CHECK(window.admit(t0, intensity));
    CHECK(window.admit(t0 + 100ms, intensity));
    CHECK(window.admit(t0 + 200ms, intensity));
    CHECK_FALSE(window.admit(t0 + 300ms, intensity));
    CHECK_FALSE(window.admit(t0 + 999ms, intensity));
    CHECK(window.admit(t0 + 1s, intensity));  // the restart at t0 has left the window
    CHECK_FALSE(window.admit(t0 + 1050ms, intensity));
    CHECK(window.admit(t0 + 1100ms, intensity));
    CHECK(window.admit(t0 + 5s, intensity));
}

TEST_CASE("a restart window with max_restarts 0 admits nothing") {
    detail::RestartWindow window;
    CHECK_FALSE(window.admit(detail::RestartWindow::Clock::now(), RestartIntensity{.max_restarts = 0, .within = 1s}));
}

TEST_CASE("supervision strategies print their names") {
    CHECK(printed(SupervisionStrategy::OneForOne) == "OneForOne");
    CHECK(printed(SupervisionStrategy::OneForAll) == "OneForAll");
    CHECK(printed(SupervisionStrategy::RestForOne) == "RestForOne");
}
}
