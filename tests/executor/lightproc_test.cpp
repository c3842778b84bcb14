#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/prelude.hpp>

#include <doctest/doctest.h>

#include "support/wait.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

using namespace bastion;
using namespace std::chrono_literals;

TEST_SUITE("executor") {
TEST_CASE("a spawned lightproc's value comes back through its handle") {
    auto handle = SPAWN([] { return 42; });
    auto value = RUN(handle);
    REQUIRE(value.has_value());
    CHECK(*value == 42);
    CHECK(handle.state().is_completed());
    CHECK_FALSE(handle.state().is_closed());
}

TEST_CASE("a panicking lightproc yields an empty optional and its exception stays visible") {
    auto handle = SPAWN([]() -> int { throw std::runtime_error("Panic here!"); });
    CHECK_FALSE(handle.get().has_value());
    CHECK(handle.state().is_panicked());
    CHECK(handle.state().is_closed());
    REQUIRE(handle.panic() != nullptr);
    CHECK_THROWS_WITH_AS(std::rethrow_exception(handle.panic()), "Panic here!", std::runtime_error);
}

TEST_CASE("void lightprocs yield Unit, move-only values move out once") {
    CHECK(SPAWN([] {}).get() == std::optional<Unit>{Unit{}});
    auto handle = SPAWN([] { return std::make_unique<int>(9); });
    auto first = handle.get();
    REQUIRE(first.has_value());
    CHECK(**first == 9);
    CHECK_FALSE(handle.get().has_value());  // taken
}

TEST_CASE("a handle can be waited on from a plain thread and from inside another lightproc") {
    auto inner = SPAWN([] {
        this_proc::sleep_for(5ms);
        return 3;
    });
    auto outer = SPAWN([&inner] { return *inner.get() * 2; });
    int from_thread = 0;
    std::thread waiter{[&] { from_thread = *outer.get(); }};
    waiter.join();
    CHECK(from_thread == 6);
}

TEST_CASE("wait_for times out on a lightproc that has not finished, then sees it finish") {
    std::atomic<bool> release{false};
    auto handle = SPAWN([&] {
        while (!release.load()) this_proc::sleep_for(1ms);
        return 1;
    });
    CHECK_FALSE(handle.wait_for(20ms));
    CHECK(handle.state().is_pending());
    release = true;
    CHECK(handle.wait_for(10s));
    CHECK(*handle.get() == 1);
}

TEST_CASE("cancelling a lightproc blocked in sleep ends it as cancelled, with its stack unwound") {
    auto unwound = std::make_shared<std::atomic<bool>>(false);
    auto handle = SPAWN([unwound] {
        struct Guard {
            std::shared_ptr<std::atomic<bool>> flag;
            ~Guard() { *flag = true; }
        } guard{unwound};
        this_proc::sleep_for(1h);
        return 1;
    });
    CHECK_FALSE(handle.wait_for(10ms));
    handle.cancel();
    CHECK_FALSE(handle.get().has_value());
    CHECK(handle.state().is_cancelled());
    CHECK(unwound->load());
}

TEST_CASE("a lightproc that only yields ends as cancelled at a yield; no cancellation stays counted once it ends") {
    // A yield reads its lightproc's cancel flag only while some cancellation is counted in flight: the count must
    // see this one, and must drop back once every cancelled lightproc has ended, or cancelled a finished one.
    std::atomic<int> yields{0};
    auto spinner = SPAWN([&] {
        for (;;) {
            this_proc::yield_now();
            yields.fetch_add(1, std::memory_order_relaxed);
        }
        return 0;
    });
    REQUIRE(test::wait_until("the spinner to yield", [&] { return yields.load() > 100; }));
    spinner.cancel();
    CHECK(spinner.wait_for(10s));
    CHECK_FALSE(spinner.get().has_value());
    CHECK(spinner.state().is_cancelled());

    auto finished = SPAWN([] { return 5; });
    CHECK(*finished.get() == 5);
    finished.cancel();  // too late: it completed, and counts for nothing
    CHECK(finished.state().is_completed());
    CHECK(test::wait_until("no cancellation in flight",
                           [] { return !executor::detail::ProcCoreBase::any_cancel_in_flight(); }));
}

TEST_CASE("a lightproc cancelled while it waits for another's handle ends; the other runs on") {
    std::atomic<bool> release{false};
    auto slow = SPAWN([&] {
        while (!release.load()) this_proc::sleep_for(1ms);
        return 7;
    });
    auto waiter = SPAWN([&slow] { return *slow.get(); });
    CHECK_FALSE(waiter.wait_for(10ms));
    waiter.cancel();
    CHECK_FALSE(waiter.get().has_value());
    CHECK(waiter.state().is_cancelled());
    release = true;
    CHECK(*slow.get() == 7);
}

TEST_CASE("LightProc::build runs on a thread of the user's choosing through its schedule function") {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<LightProc> queue;
    std::thread::id ran_on;
    auto [proc, handle] = LightProc::build(
        [&] {
            ran_on = std::this_thread::get_id();
            return std::string{"Hello, world!"};
        },
        [&](LightProc p) {
            std::lock_guard lock{mutex};
            queue.push_back(std::move(p));
            ready.notify_one();
        },
        ProcStack{}.with_pid(1));
    proc.schedule();
    CHECK_FALSE(proc.valid());
    std::thread runner{[&] {
        std::unique_lock lock{mutex};
        ready.wait(lock, [&] { return !queue.empty(); });
        LightProc p = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        p.run();
    }};
    const std::thread::id runner_id = runner.get_id();
    CHECK(*handle.get() == "Hello, world!");
    runner.join();
    CHECK(ran_on == runner_id);
    CHECK(handle.stack().get_pid() == 1);
}

TEST_CASE("a LightProc destroyed without running is cancelled, so its handle resolves empty") {
    ProcHandle<int> handle;
    {
        auto built = LightProc::recoverable([] { return 1; }, [](LightProc) {});
        handle = std::move(built.second);
    }
    CHECK_FALSE(handle.get().has_value());
    CHECK(handle.state().is_cancelled());
}

TEST_CASE("run executes on the calling thread and rethrows the lightproc's exception") {
    const auto caller = std::this_thread::get_id();
    CHECK(run([&] { return std::this_thread::get_id() == caller; }));
    CHECK_THROWS_WITH_AS(run([]() -> int { throw std::runtime_error("fault"); }), "fault", std::runtime_error);
}

TEST_CASE("this_proc knows the running lightproc's stack and nothing on a plain thread") {
    CHECK(this_proc::stack() == nullptr);
    CHECK(*SPAWN([] { return this_proc::stack()->get_pid(); }, ProcStack{}.with_pid(11)).get() == 11);
}
}
