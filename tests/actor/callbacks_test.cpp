#include <bastion/callbacks.hpp>
#include <bastion/config.hpp>
#include <bastion/failure.hpp>

#include <doctest/doctest.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace bastion;

namespace {

using Log = std::vector<std::string>;

// Every callback, each writing its name into `log`.
Callbacks all_callbacks(Log& log) {
    return Callbacks{}
        .with_before_start([&] { log.emplace_back("before_start"); })
        .with_after_start([&] { log.emplace_back("after_start"); })
        .with_before_restart([&] { log.emplace_back("before_restart"); })
        .with_after_restart([&] { log.emplace_back("after_restart"); })
        .with_after_stop([&] { log.emplace_back("after_stop"); });
}

template <class E>
Failure thrown(E error) {
    return Failure::from_exception(std::make_exception_ptr(std::move(error)));
}

}  // namespace

TEST_SUITE("actor") {
TEST_CASE("callbacks with nothing set report nothing and run nothing") {
    const Callbacks callbacks;
    CHECK_FALSE(callbacks.has_before_start());
    CHECK_FALSE(callbacks.has_after_start());
    CHECK_FALSE(callbacks.has_before_restart());
    CHECK_FALSE(callbacks.has_after_restart());
    CHECK_FALSE(callbacks.has_after_stop());
    callbacks.before_start();
    callbacks.after_start();
    callbacks.before_restart(Failure::returned_error());
    callbacks.after_restart(Failure::returned_error());
    callbacks.after_stop();
}

TEST_CASE("each set callback runs when the runtime calls it") {
    Log log;
    const Callbacks callbacks = all_callbacks(log);
    CHECK(callbacks.has_before_start());
    CHECK(callbacks.has_after_start());
    CHECK(callbacks.has_before_restart());
    CHECK(callbacks.has_after_restart());
    CHECK(callbacks.has_after_stop());
    callbacks.before_start();
    callbacks.after_start();
    callbacks.before_restart(Failure::returned_error());
    callbacks.after_restart(Failure::returned_error());
    callbacks.after_stop();
    CHECK(log == Log{"before_start", "after_start", "before_restart", "after_restart", "after_stop"});
}

TEST_CASE("without before_restart a restart runs after_stop, without after_restart it runs before_start") {
    Log log;
    const Callbacks callbacks = Callbacks{}
                                    .with_before_start([&] { log.emplace_back("before_start"); })
                                    .with_after_stop([&] { log.emplace_back("after_stop"); });
    callbacks.before_restart(Failure::returned_error());
    callbacks.after_restart(Failure::returned_error());
    CHECK(log == Log{"after_stop", "before_start"});
}

TEST_CASE("a set restart callback replaces the fallback") {
    Log log;
    const Callbacks callbacks = all_callbacks(log);
    callbacks.before_restart(Failure::returned_error());
    callbacks.after_restart(Failure::returned_error());
    CHECK(log == Log{"before_restart", "after_restart"});
}

TEST_CASE("restart callbacks may take the failure and see why the child failed (issue #87)") {
    Log log;
    const Callbacks callbacks =
        Callbacks{}
            .with_before_restart([&](const Failure& why) { log.push_back("before_restart: " + why.describe()); })
            .with_after_restart([&](const Failure& why) { log.push_back("after_restart: " + why.describe()); });
    callbacks.before_restart(thrown(std::runtime_error{"boom"}));
    callbacks.after_restart(Failure::returned_error());
    CHECK(log == Log{"before_restart: panicked: boom", "after_restart: returned an error"});
}

TEST_CASE("the failure passed to a restart callback is the one the runtime gave, exception included") {
    const auto error = std::make_exception_ptr(std::logic_error{"bad state"});
    Failure seen;
    const Callbacks callbacks = Callbacks{}.with_after_restart([&](const Failure& why) { seen = why; });
    callbacks.after_restart(Failure::from_exception(error));
    CHECK(seen.is_failure());
    CHECK(seen.threw());
    CHECK(seen.exception() == error);
}

TEST_CASE("a later builder call replaces the callback and leaves the original Callbacks as it was") {
    Log log;
    const Callbacks first = Callbacks{}.with_after_stop([&] { log.emplace_back("first"); });
    const Callbacks second = first.with_after_stop([&] { log.emplace_back("second"); });
    first.after_stop();
    second.after_stop();
    CHECK(log == Log{"first", "second"});
    CHECK_FALSE(first.has_before_start());
}

TEST_CASE("a copy of Callbacks runs the same callbacks") {
    int starts = 0;
    const Callbacks original = Callbacks{}.with_before_start([&] { ++starts; });
    const Callbacks copy = original;  // a group's callbacks are copied into each child
    original.before_start();
    copy.before_start();
    CHECK(starts == 2);
}

TEST_CASE("an exception from a callback reaches the caller") {
    const Callbacks callbacks = Callbacks{}.with_after_start([] { throw std::runtime_error{"callback failed"}; });
    CHECK_THROWS_WITH_AS(callbacks.after_start(), "callback failed", std::runtime_error);
}

TEST_CASE("a failure describes how the actor failed") {
    CHECK_FALSE(Failure{}.is_failure());
    CHECK(Failure{}.describe() == "no failure");
    CHECK(Failure::returned_error().is_failure());
    CHECK_FALSE(Failure::returned_error().threw());
    CHECK(Failure::returned_error().exception() == nullptr);
    CHECK(Failure::returned_error().describe() == "returned an error");
    CHECK(thrown(std::out_of_range{"index 7"}).describe() == "panicked: index 7");
    CHECK(Failure::from_exception(std::make_exception_ptr(42)).describe() == "panicked: unknown exception");
}

TEST_CASE("Config shows backtraces and keeps executor defaults unless told otherwise") {
    constexpr Config defaults;
    static_assert(defaults.backtraces_shown());
    CHECK(defaults.workers() == 0);
    CHECK(defaults.blocking_threads() == 0);

    const Config config = Config{}.hide_backtraces().with_workers(4).with_blocking_threads(2);
    CHECK_FALSE(config.backtraces_shown());
    CHECK(config.workers() == 4);
    CHECK(config.blocking_threads() == 2);
    CHECK(config.show_backtraces().backtraces_shown());
    CHECK(config.show_backtraces().workers() == 4);
}
}
