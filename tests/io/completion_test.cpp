// White-box stress tests of the IO Completion (lib/io/completion.hpp): a one-shot result with at most one waiter,
// completed from another thread (or the waiter's own worker) while the waiter suspends; safe to destroy as soon as
// `wait` returns; `Cancellation::Honour` throws ProcCancelled, `Ignore` waits on. Issue 18.

#include <bastion/executor/executor.hpp>
#include <bastion/executor/this_proc.hpp>

#include "io/completion.hpp"
#include "support/stress.hpp"
#include "support/wait.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using bastion::executor::Executor;
using bastion::executor::ExecutorConfig;
using bastion::executor::ProcCancelled;
using bastion::io::detail::Completion;
using bastion::test::Budget;
using bastion::test::Clock;
using bastion::test::Jitter;
using bastion::test::run_as;
using bastion::test::two_workers;
using bastion::test::Waiter;
using bastion::test::waiter_name;
namespace this_proc = bastion::executor::this_proc;

namespace {

// Completes whatever completion is posted to it, after a random pause: round r's completion gets result r. Two of
// them run, a plain thread and a lightproc bound to worker 1, taking alternate rounds.
struct Poster {
    std::atomic<Completion*> posted{nullptr};
    std::atomic<long> round{-1};
    std::atomic<bool> stop{false};

    void run(long first, bool in_proc) {
        Jitter jitter{static_cast<std::uint64_t>(first + 5)};
        for (long r = first;; r += 2) {
            Completion* completion = nullptr;
            while (round.load(std::memory_order_acquire) != r ||
                   (completion = posted.load(std::memory_order_acquire)) == nullptr) {
                if (stop.load(std::memory_order_acquire)) return;
                if (in_proc) {
                    this_proc::yield_now();
                } else {
                    std::this_thread::yield();
                }
            }
            posted.store(nullptr, std::memory_order_relaxed);
            jitter.spin(jitter.below(8) == 0 ? 20'000 : 2'000);
            completion->complete(r);  // the last touch: the waiter may free it at once
        }
    }
};

}  // namespace

TEST_SUITE("io") {

TEST_CASE("a completion posted from another thread while its waiter suspends wakes it with the result, and is let go") {
    // Each round's Completion is on the heap and deleted as soon as `wait` returns: a producer that touched it (or
    // the waiter's parker) afterwards is a heap-use-after-free under AddressSanitizer.
    Executor ex{two_workers()};
    auto waiter = Waiter::PlainThread;
    SUBCASE("the waiter is a plain thread") { waiter = Waiter::PlainThread; }
    SUBCASE("the waiter is an unbound lightproc") { waiter = Waiter::UnboundProc; }
    SUBCASE("the waiter is a lightproc bound to worker 0") { waiter = Waiter::BoundProc; }
    auto cancellation = Completion::Cancellation::Ignore;
    SUBCASE("waiting with Cancellation::Ignore") { cancellation = Completion::Cancellation::Ignore; }
    SUBCASE("waiting with Cancellation::Honour") { cancellation = Completion::Cancellation::Honour; }
    INFO("waiter: " << std::string{waiter_name(waiter)});

    Poster poster;
    std::thread thread_poster{[&] { poster.run(0, false); }};
    auto proc_poster = ex.spawn_on(1, [&] { poster.run(1, true); });
    int rounds = 0, wrong = 0, late = 0;
    run_as(waiter, ex, [&] {
        Budget budget{3000, 600ms};
        while (budget.next()) {
            const long r = budget.done() - 1;
            const auto start = Clock::now();
            auto* completion = new Completion;
            poster.posted.store(completion, std::memory_order_release);
            poster.round.store(r, std::memory_order_release);
            completion->wait(cancellation);
            if (completion->result != r || !completion->is_done()) ++wrong;
            delete completion;
            if (Clock::now() - start >= 1900ms) ++late;
        }
        rounds = budget.done();
    });
    poster.stop = true;
    thread_poster.join();
    REQUIRE(proc_poster.wait_for(10s));
    MESSAGE(rounds << " rounds");
    CHECK(rounds > 0);
    CHECK(wrong == 0);
    CHECK(late == 0);
}

TEST_CASE("cancelling a lightproc in wait(Honour) throws or lets the result through, and wait(Ignore) then gets it") {
    // The pattern perform_uring follows: a cancelled wait leaves the request in flight, so the lightproc waits again,
    // ignoring cancellation, until the completion has let go. Cancel and complete race; the result is never lost and
    // the completion is freed only once done.
    Executor ex{two_workers()};
    bool bound = false;
    SUBCASE("an unbound waiter") { bound = false; }
    SUBCASE("a waiter bound to worker 0") { bound = true; }
    INFO(std::string{bound ? "bound" : "unbound"});
    Budget budget{400, 1000ms};
    int threw = 0, returned = 0, wrong = 0, mismatched = 0;
    while (budget.next()) {
        const long r = budget.done();
        Jitter jitter{static_cast<std::uint64_t>(r)};
        auto* completion = new Completion;
        std::atomic<bool> waiting{false};
        std::atomic<int> outcome{0};  // 1: returned, 2: threw ProcCancelled
        auto body = [&] {
            waiting = true;
            bool cancelled = false;
            try {
                completion->wait(Completion::Cancellation::Honour);
            } catch (const ProcCancelled&) {
                cancelled = true;  // no suspension inside a catch block (see perform_uring)
            }
            if (cancelled) completion->wait(Completion::Cancellation::Ignore);
            const bool right = completion->result == r && completion->is_done();
            delete completion;
            outcome = (cancelled ? 2 : 1) + (right ? 0 : 10);
            if (cancelled) throw ProcCancelled{};
        };
        auto proc = bound ? ex.spawn_on(0, body) : ex.spawn(body);
        bastion::test::wait_until("the waiter started", [&] { return waiting.load(); }, 5000ms);
        std::thread completer{[&, spins = jitter.below(20'000)] {
            Jitter local{static_cast<std::uint64_t>(spins)};
            local.spin(spins);
            completion->complete(r);
        }};
        jitter.spin(20'000);
        proc.cancel();
        completer.join();
        REQUIRE(proc.wait_for(10s));
        const int seen = outcome.load();
        if (seen >= 10) ++wrong;
        if (seen % 10 == 2) ++threw;
        if (seen % 10 == 1) ++returned;
        // A lightproc that returned normally ends as cancelled anyway only if it was cancelled before it started; it
        // ends cancelled exactly when its wait threw.
        if ((seen % 10 == 2) != proc.state().is_cancelled()) ++mismatched;
    }
    MESSAGE(budget.done() << " rounds: " << threw << " waits threw ProcCancelled, " << returned << " returned");
    CHECK(budget.done() > 0);
    CHECK(threw + returned == budget.done());
    CHECK(wrong == 0);
    CHECK(mismatched == 0);
}

TEST_CASE("a cancelled lightproc waiting with Cancellation::Ignore waits on until the completion") {
    Executor ex{two_workers()};
    Completion completion;
    std::atomic<bool> waiting{false};
    auto proc = ex.spawn([&] {
        waiting = true;
        completion.wait(Completion::Cancellation::Ignore);
        return completion.result;
    });
    bastion::test::wait_until("the waiter started", [&] { return waiting.load(); }, 5000ms);
    proc.cancel();
    CHECK_FALSE(proc.wait_for(50ms));  // the cancellation woke it (a stale permit); it parked again
    CHECK_FALSE(completion.is_done());
    completion.complete(42);
    auto result = proc.get();
    REQUIRE(result.has_value());
    CHECK(*result == 42);
}

TEST_CASE("waiting with Cancellation::Honour on a completion already done returns its result, even when cancelled") {
    Executor ex{two_workers()};
    Completion completion;
    completion.complete(-11);
    CHECK(completion.is_done());
    std::atomic<bool> started{false}, go{false};
    auto proc = ex.spawn([&] {
        started = true;
        while (!go.load()) {
        }  // no wait point: the cancellation must be seen by the completion's wait, if by anything
        completion.wait(Completion::Cancellation::Honour);
        return completion.result;
    });
    bastion::test::wait_until("the lightproc started", [&] { return started.load(); }, 5000ms);
    proc.cancel();
    go = true;
    auto result = proc.get();
    REQUIRE(result.has_value());
    CHECK(*result == -11);
}

}  // TEST_SUITE("io")
