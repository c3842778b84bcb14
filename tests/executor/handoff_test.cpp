// White-box stress tests of a worker's hand-off slot (lib/executor/worker_pool.hpp `Worker::handoff`, filled and
// emptied by lib/executor/smp_algorithm.cpp, taken by a thief from a stuck worker in worker_pool.cpp `steal_for`),
// driven through the executor: ping-pong wake-ups, spawns, yields and long-running lightprocs on two workers while
// idle workers steal. Every lightproc must run exactly once. Issue 18.

#include <bastion/executor/executor.hpp>
#include <bastion/executor/this_proc.hpp>

#include "support/stress.hpp"
#include "support/wait.hpp"

#include <boost/fiber/buffered_channel.hpp>
#include <doctest/doctest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <vector>

using namespace std::chrono_literals;
using bastion::executor::Executor;
using bastion::executor::ExecutorConfig;
using bastion::executor::RecoverableHandle;
using bastion::test::Budget;
using bastion::test::Clock;
using bastion::test::Jitter;
using bastion::test::two_workers;
namespace this_proc = bastion::executor::this_proc;

namespace {

// A real system call: the compiler may cache pthread_self() across a fiber's suspension.
long gettid_now() { return syscall(SYS_gettid); }

void busy_for(std::chrono::microseconds span) {
    const auto until = Clock::now() + span;
    while (Clock::now() < until) {
    }
}

}  // namespace

TEST_SUITE("executor") {

TEST_CASE("ping-pong pairs, spawns, yields and hogs on two workers run every lightproc exactly once") {
    // Eight pairs wake each other through channels (each wake-up fills the waker's hand-off slot); the driver of each
    // pair spawns a child every few exchanges (a spawn fills the slot too, displacing what was there into the queue),
    // half of which yield once; two hogs run 300 us at a time without a wait point, so their worker looks stuck and an
    // idle one steals its hand-off. Each child counts its starts and ends; each exchange checks the value it got.
    Executor ex{two_workers()};
    constexpr int pairs = 8, max_children = 100'000;
    std::vector<std::atomic<int>> starts(max_children), ends(max_children);
    std::atomic<int> children{0}, drivers_left{pairs};
    std::atomic<long> bad_values{0};
    std::vector<long> exchanges(pairs, 0);
    const auto end_of_run = Clock::now() + 1000ms;

    auto child = [&](int id, bool yields) {
        starts[static_cast<std::size_t>(id)].fetch_add(1);
        if (yields) this_proc::yield_now();
        ends[static_cast<std::size_t>(id)].fetch_add(1);
    };
    std::vector<RecoverableHandle<void>> drivers;
    for (int p = 0; p < pairs; ++p) {
        drivers.push_back(ex.spawn([&, p] {
            boost::fibers::buffered_channel<long> ping{2}, pong{2};
            auto partner = ex.spawn([&] {
                long v = 0;
                while (ping.pop(v) == boost::fibers::channel_op_status::success) pong.push(v + 1);
            });
            std::vector<RecoverableHandle<void>> kept;
            long v = 0;
            long n = 0;
            while (Clock::now() < end_of_run) {
                ping.push(v);
                long w = -1;
                pong.pop(w);
                if (w != v + 1) bad_values.fetch_add(1);
                v = w + 1;
                if (++n % 8 == 0) {
                    const int id = children.fetch_add(1);
                    if (id < max_children) {
                        auto handle = ex.spawn([&child, id] { child(id, id % 2 == 0); });
                        if (id % 3 == 0) {
                            handle.get();
                        } else {
                            kept.push_back(std::move(handle));
                        }
                    }
                }
            }
            ping.close();
            partner.get();
            for (auto& handle : kept) handle.get();
            exchanges[static_cast<std::size_t>(p)] = n;
            drivers_left.fetch_sub(1);
        }));
    }
    std::vector<RecoverableHandle<void>> hogs;
    for (int h = 0; h < 2; ++h) {
        hogs.push_back(ex.spawn([&] {
            while (drivers_left.load() != 0) {
                busy_for(300us);
                this_proc::yield_now();
            }
        }));
    }
    for (auto& driver : drivers) REQUIRE(driver.wait_for(30s));
    for (auto& hog : hogs) REQUIRE(hog.wait_for(10s));

    const int spawned = std::min(children.load(), max_children);
    int ran_once = 0, not_once = 0;
    for (int id = 0; id < spawned; ++id) {
        const bool once = starts[static_cast<std::size_t>(id)].load() == 1 && ends[static_cast<std::size_t>(id)].load() == 1;
        (once ? ran_once : not_once) += 1;
    }
    long total = 0;
    for (long n : exchanges) {
        CHECK(n > 0);
        total += n;
    }
    MESSAGE(total << " exchanges, " << spawned << " children, " << ex.stats().steals << " lightprocs stolen");
    CHECK(bad_values.load() == 0);
    CHECK(spawned > 0);
    CHECK(not_once == 0);
    CHECK(ran_once == spawned);
}

TEST_CASE("a lightproc in a stuck worker's hand-off slot runs exactly once, whether a thief or its owner takes it") {
    // A hog spawns a helper (into its worker's hand-off slot) and runs without a wait point until the helper ran or a
    // random 0-6 ms passed: an idle worker watching for stuck peers may steal the helper, or the hog ends first and
    // its own worker takes it back with an exchange, possibly at the moment the thief compares-and-exchanges.
    Executor ex{two_workers()};
    Budget budget{250, 1500ms};
    int not_once = 0, stolen = 0, by_owner = 0;
    while (budget.next()) {
        Jitter jitter{static_cast<std::uint64_t>(budget.done())};
        const auto spin = std::chrono::microseconds{jitter.below(6000)};
        std::atomic<int> runs{0};
        std::atomic<long> helper_tid{0};
        long hog_tid = 0;
        RecoverableHandle<void> helper;
        auto hog = ex.spawn([&] {
            hog_tid = gettid_now();
            helper = ex.spawn([&] {
                helper_tid = gettid_now();
                runs.fetch_add(1);
            });
            const auto until = Clock::now() + spin;
            while (runs.load() == 0 && Clock::now() < until) {
            }
        });
        REQUIRE(hog.wait_for(10s));
        REQUIRE(helper.wait_for(10s));
        if (runs.load() != 1) ++not_once;
        (helper_tid.load() != hog_tid ? stolen : by_owner) += 1;
    }
    MESSAGE(budget.done() << " rounds: the helper was stolen " << stolen << " times, run by its owner " << by_owner);
    CHECK(budget.done() > 0);
    CHECK(not_once == 0);
    CHECK(stolen > 0);
}

TEST_CASE("a bound lightproc in a stuck worker's hand-off slot is never stolen: it runs once, after the hog, at home") {
    Executor ex{two_workers()};
    Budget budget{100, 1000ms};
    int not_once = 0, moved = 0, too_early = 0;
    while (budget.next()) {
        Jitter jitter{static_cast<std::uint64_t>(budget.done())};
        const auto spin = std::chrono::microseconds{jitter.below(5000)};
        std::atomic<int> runs{0};
        std::atomic<bool> hog_done{false}, helper_saw_hog_done{false};
        std::atomic<long> helper_tid{0};
        long hog_tid = 0;
        RecoverableHandle<void> helper;
        auto hog = ex.spawn_on(0, [&] {
            hog_tid = gettid_now();
            helper = ex.spawn_on(0, [&] {
                helper_tid = gettid_now();
                helper_saw_hog_done = hog_done.load();
                runs.fetch_add(1);
            });
            busy_for(spin);
            hog_done = true;
        });
        REQUIRE(hog.wait_for(10s));
        REQUIRE(helper.wait_for(10s));
        if (runs.load() != 1) ++not_once;
        if (helper_tid.load() != hog_tid) ++moved;
        if (!helper_saw_hog_done.load()) ++too_early;
    }
    CHECK(budget.done() > 0);
    CHECK(not_once == 0);
    CHECK(moved == 0);
    CHECK(too_early == 0);
}

}  // TEST_SUITE("executor")
