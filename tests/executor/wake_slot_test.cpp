// White-box stress tests of WakeSlot (include/bastion/executor/detail/wake_slot.hpp, lib/executor/wake_slot.cpp):
// its wait_until (arm, re-check, park, disarm) and hold/release protocols against several producers calling wake,
// with plain-thread, unbound and bound (watched) waiters. Issue 18.

#include <bastion/executor/detail/parker.hpp>
#include <bastion/executor/detail/wake_slot.hpp>
#include <bastion/executor/executor.hpp>
#include <bastion/executor/this_proc.hpp>

#include "support/stress.hpp"
#include "support/wait.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using bastion::executor::Executor;
using bastion::executor::ExecutorConfig;
using bastion::executor::ProcCancelled;
using bastion::executor::detail::Parker;
using bastion::executor::detail::WakeSlot;
using bastion::test::Budget;
using bastion::test::Clock;
using bastion::test::Jitter;
using bastion::test::run_as;
using bastion::test::two_workers;
using bastion::test::Waiter;
using bastion::test::waiter_name;
namespace this_proc = bastion::executor::this_proc;

namespace {

// Producers that, each round, publish one unit with a seq_cst read-modify-write and then call `wake`, after a random
// pause: two plain threads and a lightproc bound to worker 1 (so a bound waiter on worker 0 is woken across workers).
class Producers {
public:
    static constexpr int count = 3;

    Producers(Executor& ex, std::function<void()> publish) : publish_{std::move(publish)} {
        for (int p = 0; p < 2; ++p) threads_.emplace_back([this, p] { run(p, false); });
        proc_ = ex.spawn_on(1, [this] { run(2, true); });
    }
    ~Producers() { stop(); }

    /// Lets round `r` begin: every producer publishes once.
    void start_round(int r) noexcept { round_.store(r, std::memory_order_release); }

    void stop() {
        if (stopped_) return;
        stopped_ = true;
        stop_.store(true, std::memory_order_release);
        for (auto& thread : threads_) thread.join();
        (void)proc_.wait_for(10s);
    }

private:
    void run(int p, bool in_proc) {
        Jitter jitter{static_cast<std::uint64_t>(p + 11)};
        for (int r = 0;; ++r) {
            while (round_.load(std::memory_order_acquire) < r) {
                if (stop_.load(std::memory_order_acquire)) return;
                if (in_proc) {
                    this_proc::yield_now();
                } else {
                    std::this_thread::yield();
                }
            }
            jitter.spin(jitter.below(8) == 0 ? 20'000 : 2'000);
            publish_();
        }
    }

    std::function<void()> publish_;
    std::atomic<int> round_{-1};
    std::atomic<bool> stop_{false};
    bool stopped_ = false;
    std::vector<std::thread> threads_;
    bastion::executor::RecoverableHandle<void> proc_;
};

}  // namespace

TEST_SUITE("executor") {

TEST_CASE("a waiter in WakeSlot::wait_until sees every publish of several producers, never missing a wake-up") {
    // Round r: three producers each add one to a counter (seq_cst) and call wake; the waiter waits for all three. A
    // lost wake-up shows as a round that only the 2 s deadline ended.
    Executor ex{two_workers()};
    auto waiter = Waiter::PlainThread;
    SUBCASE("the waiter is a plain thread") { waiter = Waiter::PlainThread; }
    SUBCASE("the waiter is an unbound lightproc") { waiter = Waiter::UnboundProc; }
    SUBCASE("the waiter is a lightproc bound to worker 0 (its worker watches the slot)") { waiter = Waiter::BoundProc; }
    INFO("waiter: " << std::string{waiter_name(waiter)});

    WakeSlot slot;
    std::atomic<long> published{0};
    Producers producers{ex, [&] {
                            published.fetch_add(1, std::memory_order_seq_cst);
                            slot.wake();
                        }};
    int rounds = 0, timed_out = 0, late = 0;
    Clock::duration slowest{};
    run_as(waiter, ex, [&] {
        Budget budget{3000, 800ms};
        while (budget.next()) {
            const int r = budget.done() - 1;
            const long want = static_cast<long>(Producers::count) * (r + 1);
            const auto start = Clock::now();
            producers.start_round(r);
            const bool ok =
                slot.wait_until(start + 2s, [&] { return published.load(std::memory_order_seq_cst) >= want; });
            const auto took = Clock::now() - start;
            slowest = std::max(slowest, took);
            if (!ok) {
                ++timed_out;
                break;
            }
            if (took >= 1900ms) ++late;
        }
        rounds = budget.done();
    });
    producers.stop();
    MESSAGE(rounds << " rounds, slowest "
                   << std::chrono::duration_cast<std::chrono::microseconds>(slowest).count() << " us");
    CHECK(rounds > 0);
    CHECK(timed_out == 0);
    CHECK(late == 0);
    CHECK(published.load() == static_cast<long>(Producers::count) * rounds);
}

TEST_CASE("hold, mark, park and release: a producer's wake never reaches the parker after release") {
    // The protocol a structure with its own "waiting" mark uses (Mailbox does): the waiter leaves a parker with
    // `hold`, puts its mark in a shared word with a seq_cst compare-exchange, parks, takes the mark back and calls
    // `release`. A producer adds to the word with a compare-exchange; the one that replaces the mark calls `wake`.
    // Each round's parker is on the heap and deleted right after `release`: a wake that touched it later is a
    // heap-use-after-free under AddressSanitizer. A lost wake-up shows as a round only the 2 s deadline ended.
    Executor ex{two_workers()};
    auto waiter = Waiter::PlainThread;
    SUBCASE("the waiter is a plain thread") { waiter = Waiter::PlainThread; }
    SUBCASE("the waiter is an unbound lightproc") { waiter = Waiter::UnboundProc; }
    SUBCASE("the waiter is a lightproc bound to worker 0") { waiter = Waiter::BoundProc; }
    INFO("waiter: " << std::string{waiter_name(waiter)});

    constexpr std::uintptr_t mark = 1, unit = 2;  // the word: a count of units (times 2), and the waiter's mark
    WakeSlot slot;
    std::atomic<std::uintptr_t> word{0};
    std::atomic<long> marks_taken{0};
    Producers producers{ex, [&] {
                            std::uintptr_t old = word.load(std::memory_order_relaxed);
                            while (!word.compare_exchange_weak(old, (old & ~mark) + unit, std::memory_order_seq_cst,
                                                               std::memory_order_relaxed)) {
                            }
                            if ((old & mark) != 0) {
                                marks_taken.fetch_add(1, std::memory_order_relaxed);
                                slot.wake();
                            }
                        }};
    int rounds = 0, late = 0, parks = 0;
    long collected = 0;
    run_as(waiter, ex, [&] {
        Budget budget{3000, 800ms};
        while (budget.next()) {
            const int r = budget.done() - 1;
            const long want = static_cast<long>(Producers::count) * (r + 1);
            const auto start = Clock::now();
            const auto deadline = start + 2s;
            producers.start_round(r);
            for (;;) {
                collected += static_cast<long>(word.exchange(0, std::memory_order_acquire) / unit);
                if (collected >= want || Clock::now() >= deadline) break;
                auto parker = std::make_unique<Parker>();
                slot.hold(*parker);
                std::uintptr_t empty = 0;
                if (word.compare_exchange_strong(empty, mark, std::memory_order_seq_cst, std::memory_order_relaxed)) {
                    ++parks;
                    parker->park_until(deadline);
                    std::uintptr_t still = mark;
                    word.compare_exchange_strong(still, 0, std::memory_order_acquire, std::memory_order_relaxed);
                }
                slot.release(*parker);
                parker.reset();  // a wake after release would now touch freed memory
            }
            if (Clock::now() - start >= 1900ms) ++late;
            if (collected < want) break;
        }
        rounds = budget.done();
    });
    producers.stop();
    collected += static_cast<long>(word.exchange(0) / unit);
    MESSAGE(rounds << " rounds, " << parks << " parks, " << marks_taken.load() << " wake-ups by mark");
    CHECK(rounds > 0);
    CHECK(late == 0);
    CHECK(collected == static_cast<long>(Producers::count) * rounds);
    CHECK(marks_taken.load() <= parks);
}

TEST_CASE("a lightproc cancelled in WakeSlot::wait_until throws ProcCancelled, and the slot then wakes the next waiter") {
    Executor ex{two_workers()};
    bool bound = false;
    SUBCASE("an unbound waiter") { bound = false; }
    SUBCASE("a waiter bound to worker 0") { bound = true; }
    INFO(std::string{bound ? "bound" : "unbound"});
    WakeSlot slot;
    std::atomic<long> published{0};
    Budget budget{300, 1000ms};
    int not_cancelled = 0, not_woken = 0;
    while (budget.next()) {
        Jitter jitter{static_cast<std::uint64_t>(budget.done())};
        const long now_published = published.load();
        std::atomic<bool> waiting{false}, threw{false};
        auto cancelled_body = [&] {
            waiting = true;
            try {
                (void)slot.wait_until(Clock::time_point::max(), [&] { return published.load() > now_published; });
            } catch (const ProcCancelled&) {
                threw = true;
                throw;
            }
        };
        auto proc = bound ? ex.spawn_on(0, cancelled_body) : ex.spawn(cancelled_body);
        bastion::test::wait_until("the waiter started", [&] { return waiting.load(); }, 5000ms);
        jitter.spin(20'000);
        proc.cancel();
        REQUIRE(proc.wait_for(10s));
        if (!threw.load() || !proc.state().is_cancelled()) ++not_cancelled;

        // The next waiter on the same slot: a publish and a wake must reach it.
        // A lost wake-up would still end in true, at the deadline: it must come well before.
        auto woken_body = [&] {
            const auto start = Clock::now();
            const bool ok = slot.wait_until(start + 2s, [&] { return published.load() > now_published; });
            return ok && Clock::now() - start < 1900ms;
        };
        auto next = bound ? ex.spawn_on(0, woken_body) : ex.spawn(woken_body);
        jitter.spin(20'000);
        published.fetch_add(1, std::memory_order_seq_cst);
        slot.wake();
        auto woken = next.get();
        if (!woken || !*woken) ++not_woken;
    }
    CHECK(budget.done() > 0);
    CHECK(not_cancelled == 0);
    CHECK(not_woken == 0);
}

}  // TEST_SUITE("executor")
