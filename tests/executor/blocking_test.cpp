#include <bastion/prelude.hpp>

#include "support/wait.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <chrono>
#include <thread>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;

TEST_SUITE("executor") {
TEST_CASE("RUN(BLOCKING(...)) a hundred times answers 1..100 in order, exactly once each (run_blocking.rs)") {
    auto counter = std::make_shared<std::atomic<int>>(0);  // BLOCKING() { } captures by copy, like `async move`
    for (int expected = 1; expected <= 100; ++expected) {
        auto reply = RUN(BLOCKING() {
            std::this_thread::sleep_for(1ms);
            return ++*counter;
        });
        REQUIRE(reply.has_value());
        CHECK(*reply == expected);
    }
    CHECK(counter->load() == 100);
}

TEST_CASE("blocking work runs off the worker threads, and a lightproc waiting on it only suspends") {
    ExecutorConfig config;
    config.workers = 1;
    Executor ex{config};
    std::atomic<bool> blocker_started{false};
    std::atomic<bool> release{false};
    auto waiter = ex.spawn([&] {
        auto worker_thread = std::this_thread::get_id();
        auto blocked = ex.blocking([&] {
            blocker_started = true;
            while (!release.load()) std::this_thread::sleep_for(1ms);  // really blocks its thread
            return std::this_thread::get_id();
        });
        return *blocked.get() != worker_thread;
    });
    bastion::test::wait_until("the blocking work to start", [&] { return blocker_started.load(); });
    // The only worker is free although the waiter waits: another lightproc runs meanwhile.
    CHECK(*ex.spawn([] { return 5; }).get() == 5);
    release = true;
    CHECK(*waiter.get());
}

TEST_CASE("the blocking pool grows under load and shrinks back to its low watermark when idle") {
    ExecutorConfig config;
    config.workers = 1;
    config.blocking_threads = 1;
    config.blocking_keep_alive = 50ms;
    Executor ex{config};
    std::atomic<int> running{0};
    std::atomic<bool> release{false};
    std::vector<RecoverableHandle<int>> jobs;
    for (int i = 0; i < 6; ++i) {
        jobs.push_back(ex.blocking([&] {
            ++running;
            while (!release.load()) std::this_thread::sleep_for(1ms);
            return 1;
        }));
    }
    bastion::test::wait_until("six blocking jobs running at once", [&] { return running.load() == 6; });
    CHECK(ex.stats().blocking_threads >= 6);
    release = true;
    for (auto& j : jobs) CHECK(*j.get() == 1);
    bastion::test::wait_until("the pool to shrink to 1 thread", [&] { return ex.stats().blocking_threads == 1; });
}
}
