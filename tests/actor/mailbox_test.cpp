// White-box stress tests of Mailbox (include/bastion/detail/mailbox.hpp, lib/actor/mailbox.cpp): the senders' stack,
// the receiver's "waiting" mark in the head (bound, unbound and plain-thread receivers), close and reopen racing
// pushes, deadlines and cancellation. Issue 18.

#include <bastion/detail/letter.hpp>
#include <bastion/detail/mailbox.hpp>
#include <bastion/executor/executor.hpp>
#include <bastion/executor/this_proc.hpp>

#include "support/stress.hpp"
#include "support/wait.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace bastion;
using namespace bastion::detail;
using namespace std::chrono_literals;
using bastion::executor::Executor;
using bastion::executor::ExecutorConfig;
using bastion::executor::ProcCancelled;
using bastion::test::Budget;
using bastion::test::Clock;
using bastion::test::Jitter;
using bastion::test::two_workers;

namespace {

struct Stamp {
    int sender;
    int seq;
};

LetterPtr letter(int sender, int seq) { return make_letter(MessageKind::Tell, RefAddr{}, Stamp{sender, seq}); }
Stamp stamp_of(const LetterPtr& letter) { return *static_cast<const Stamp*>(letter->payload()); }

// What became of each letter. Every letter must end with exactly one fate; Dropped (destroyed inside the mailbox
// machinery, neither received, handed to close's leftovers nor handed back) and Stranded (still inside once every
// sender is done) are failures.
enum Fate : int { Received, Leftover, HandedBack, Dropped, Stranded, fates };
const char* const fate_names[fates] = {"received", "leftover", "handed back", "dropped", "stranded"};

class Ledger {
public:
    Ledger(int senders, int per_sender)
        : senders_{senders}, per_sender_{per_sender},
          counts_(static_cast<std::size_t>(senders) * static_cast<std::size_t>(per_sender) * fates) {}
    void note(int sender, int seq, Fate fate) noexcept {
        counts_[index(sender, seq, fate)].fetch_add(1, std::memory_order_relaxed);  // never near 255: one fate each
        totals_[fate].fetch_add(1, std::memory_order_relaxed);
    }
    int count(int sender, int seq, Fate fate) const noexcept {
        return counts_[index(sender, seq, fate)].load(std::memory_order_relaxed);
    }
    long total(Fate fate) const noexcept { return totals_[fate].load(std::memory_order_relaxed); }
    int senders() const noexcept { return senders_; }
    int per_sender() const noexcept { return per_sender_; }

private:
    std::size_t index(int sender, int seq, Fate fate) const noexcept {
        return (static_cast<std::size_t>(sender) * static_cast<std::size_t>(per_sender_) + static_cast<std::size_t>(seq)) *
                   fates +
               static_cast<std::size_t>(fate);
    }
    int senders_, per_sender_;
    std::vector<std::atomic<std::uint8_t>> counts_;  // a byte each: a ledger of millions of letters stays small
    std::atomic<long> totals_[fates]{};
};

// A payload that tells the ledger when it dies without having been taken: a letter the mailbox dropped.
struct Tracked {
    Tracked(Ledger* ledger, int sender, int seq) noexcept : ledger{ledger}, sender{sender}, seq{seq} {}
    Tracked(Tracked&& other) noexcept
        : ledger{other.ledger}, sender{other.sender}, seq{other.seq}, armed{std::exchange(other.armed, false)} {}
    Tracked& operator=(Tracked&&) = delete;
    ~Tracked() {
        if (armed) ledger->note(sender, seq, Dropped);
    }
    Ledger* ledger;
    int sender;
    int seq;
    bool armed = true;
};

LetterPtr tracked(Ledger& ledger, int sender, int seq) {
    return make_letter(MessageKind::Tell, RefAddr{}, Tracked{&ledger, sender, seq});
}

// Takes a letter out of circulation with `fate`; returns its stamp.
Stamp settle(LetterPtr letter, Fate fate) {
    auto& payload = *static_cast<Tracked*>(letter->payload());
    payload.armed = false;
    payload.ledger->note(payload.sender, payload.seq, fate);
    return {payload.sender, payload.seq};
}

// Where a receiver runs.
using Receiver = bastion::test::Waiter;
using bastion::test::run_as;

}  // namespace

TEST_SUITE("actor") {

TEST_CASE("letters from many sender threads and lightprocs reach one receiver exactly once, in each sender's order") {
    Executor ex{two_workers()};
    constexpr int thread_senders = 2, proc_senders = 6, senders = thread_senders + proc_senders;
    constexpr int per_sender = 20'000;
    auto receiver = Receiver::PlainThread;
    SUBCASE("received by a plain thread") { receiver = Receiver::PlainThread; }
    SUBCASE("received by an unbound lightproc") { receiver = Receiver::UnboundProc; }
    SUBCASE("received by a lightproc bound to worker 0") { receiver = Receiver::BoundProc; }
    INFO("receiver: " << std::string{bastion::test::waiter_name(receiver)});

    Mailbox mailbox;
    std::atomic<int> refused{0};
    auto send_all = [&](int sender, bool yields) {
        for (int seq = 0; seq < per_sender; ++seq) {
            if (mailbox.push(letter(sender, seq))) refused.fetch_add(1);
            if (yields && seq % 64 == 63) executor::this_proc::yield_now();
        }
    };
    std::vector<int> next(senders, 0);
    int out_of_order = 0, received = 0;
    const auto deadline = Clock::now() + 30s;
    run_as(receiver, ex, [&] {
        std::vector<std::thread> threads;
        std::vector<executor::RecoverableHandle<void>> procs;
        for (int s = 0; s < thread_senders; ++s) threads.emplace_back(send_all, s, false);
        for (int s = thread_senders; s < senders; ++s) procs.push_back(ex.spawn([&send_all, s] { send_all(s, true); }));
        while (received < senders * per_sender) {
            LetterPtr got = mailbox.pop_until(deadline);
            if (!got) break;
            const Stamp stamp = stamp_of(got);
            if (stamp.seq != next[stamp.sender]) ++out_of_order;
            next[stamp.sender] = stamp.seq + 1;
            ++received;
        }
        for (auto& thread : threads) thread.join();
        for (auto& proc : procs) proc.wait_until(deadline);
    });
    CHECK(refused.load() == 0);
    CHECK(received == senders * per_sender);
    CHECK(out_of_order == 0);
    for (int s = 0; s < senders; ++s) CHECK(next[s] == per_sender);
    CHECK_FALSE(mailbox.try_pop());
}

TEST_CASE("a push racing close is handed back to its sender or handed over by close, never lost and never twice") {
    // Each round: three sender threads push until a push hands their letter back; the receiver takes a few letters,
    // then closes the mailbox, collecting what was inside. Each sender's letters 0..n-2 (whose push succeeded) must
    // each be received or collected exactly once, and letter n-1 handed back; nothing may be dropped or stay inside.
    //
    // The interleaving this guards against (found by reading Mailbox::drain_if_closed; it needs two pushes to cross
    // the close at once, which a 2-core machine rarely produces): senders A and B both pass push's first look at the
    // flag before the close stores it, and both push their letters after the close's drain. A took the drain lock
    // first and its drain popped B's letter with its own, kept its own and destroyed B's; B then drained an empty
    // mailbox and reported success. Now a racing sender takes back only its own letter and leaves the rest for
    // their senders' drains.
    constexpr int senders = 3, cap = 512;
    Budget budget{400, 1500ms};
    long handed_back = 0, collected = 0, received = 0;
    int failed_rounds = 0;
    while (budget.next()) {
        const int round = budget.done();
        Ledger ledger{senders, cap};
        auto mailbox = std::make_unique<Mailbox>();
        std::atomic<int> pushes{0}, finished{0};
        std::atomic<bool> round_over{false};
        std::vector<int> pushed(senders, 0);  // per sender: how many pushes it made (the last one handed back)
        std::vector<std::thread> threads;
        for (int s = 0; s < senders; ++s) {
            threads.emplace_back([&, s] {
                Jitter jitter{static_cast<std::uint64_t>(round * senders + s)};
                for (int seq = 0; seq < cap; ++seq) {
                    if (seq == cap - 1) {
                        while (!mailbox->is_closed()) std::this_thread::yield();
                    }
                    jitter.spin(64);
                    pushes.fetch_add(1, std::memory_order_relaxed);
                    if (LetterPtr back = mailbox->push(tracked(ledger, s, seq))) {
                        settle(std::move(back), HandedBack);
                        pushed[s] = seq + 1;
                        break;
                    }
                }
                finished.fetch_add(1);
                while (!round_over.load()) std::this_thread::yield();  // the stretcher may still signal this thread
            });
        }
        std::vector<pthread_t> targets;
        for (auto& thread : threads) targets.push_back(thread.native_handle());
        bastion::test::Stretcher stretcher{targets, 50us};
        Jitter jitter{static_cast<std::uint64_t>(round)};
        const int before_close = static_cast<int>(jitter.below(48));
        while (pushes.load(std::memory_order_relaxed) < before_close) {
        }
        std::vector<std::vector<int>> consumed(senders);  // per sender, in the order the receiver saw them
        for (int n = static_cast<int>(jitter.below(16)); n > 0; --n) {
            LetterPtr got = mailbox->try_pop();
            if (!got) break;
            const Stamp stamp = settle(std::move(got), Received);
            consumed[stamp.sender].push_back(stamp.seq);
        }
        jitter.spin(2000);
        std::vector<LetterPtr> leftovers;
        mailbox->close(leftovers);
        for (LetterPtr& left : leftovers) {
            const Stamp stamp = settle(std::move(left), Leftover);
            consumed[stamp.sender].push_back(stamp.seq);
        }
        while (finished.load() != senders) std::this_thread::yield();
        stretcher.stop();
        round_over = true;
        for (auto& thread : threads) thread.join();
        std::vector<LetterPtr> inside;
        mailbox->close(inside);  // idempotent: collects what a racing push left stranded
        for (LetterPtr& left : inside) settle(std::move(left), Stranded);
        mailbox.reset();

        bool round_ok = ledger.total(Dropped) == 0 && ledger.total(Stranded) == 0;
        for (int s = 0; s < senders; ++s) {
            const int n = pushed[s];
            bool sender_ok = n >= 1 && ledger.count(s, n - 1, HandedBack) == 1;
            for (int seq = 0; seq + 1 < n; ++seq) {
                sender_ok = sender_ok && ledger.count(s, seq, Received) + ledger.count(s, seq, Leftover) == 1 &&
                            ledger.count(s, seq, HandedBack) == 0;
            }
            std::vector<int> in_order(static_cast<std::size_t>(std::max(n - 1, 0)));
            for (int seq = 0; seq + 1 < n; ++seq) in_order[static_cast<std::size_t>(seq)] = seq;
            sender_ok = sender_ok && consumed[s] == in_order;
            if (!sender_ok) {
                std::string fates_seen;
                for (int seq = 0; seq < n; ++seq) {
                    for (int f = 0; f < fates; ++f) {
                        for (int k = ledger.count(s, seq, static_cast<Fate>(f)); k > 0; --k) {
                            fates_seen += std::to_string(seq) + ":" + fate_names[f] + " ";
                        }
                    }
                }
                MESSAGE("round " << round << ", sender " << s << ", " << n << " pushes: " << fates_seen);
            }
            round_ok = round_ok && sender_ok;
        }
        if (!round_ok) ++failed_rounds;
        handed_back += ledger.total(HandedBack);
        collected += ledger.total(Leftover);
        received += ledger.total(Received);
    }
    MESSAGE(budget.done() << " rounds: " << received << " received, " << collected << " collected by close, "
                          << handed_back << " handed back");
    CHECK(budget.done() > 0);
    CHECK(handed_back == static_cast<long>(budget.done()) * senders);
    CHECK(failed_rounds == 0);
}

TEST_CASE("closing and reopening while senders push loses no letter and keeps each sender's order") {
    // The receiver's thread repeatedly reopens the mailbox, receives a few letters, and closes it collecting the
    // rest; four senders push throughout. Every letter is received, collected by a close, or handed back, once.
    constexpr int senders = 4, cap = 1'000'000;
    Ledger ledger{senders, cap};
    Mailbox mailbox;
    mailbox.close();
    std::atomic<bool> stop{false};
    std::atomic<long> raced{0};  // pushes that found the mailbox open, pushed, and took their letter back
    std::vector<int> pushed(senders, 0);
    std::vector<std::thread> threads;
    for (int s = 0; s < senders; ++s) {
        threads.emplace_back([&, s] {
            Jitter jitter{static_cast<std::uint64_t>(s + 1)};
            int seq = 0;
            for (; seq < cap && !stop.load(std::memory_order_relaxed); ++seq) {
                jitter.spin(2000);  // paced, so that the senders push for the whole run
                const bool was_open = !mailbox.is_closed();
                if (LetterPtr back = mailbox.push(tracked(ledger, s, seq))) {
                    settle(std::move(back), HandedBack);
                    if (was_open) raced.fetch_add(1, std::memory_order_relaxed);  // it pushed, then drained
                }
            }
            pushed[s] = seq;
        });
    }
    std::vector<pthread_t> targets;
    for (auto& thread : threads) targets.push_back(thread.native_handle());
    bastion::test::Stretcher stretcher{targets, 50us};
    std::vector<int> last(senders, -1);
    int out_of_order = 0;
    auto consume = [&](LetterPtr got, Fate fate) {
        const Stamp stamp = settle(std::move(got), fate);
        if (stamp.seq <= last[stamp.sender]) ++out_of_order;
        last[stamp.sender] = stamp.seq;
    };
    Jitter jitter{99};
    Budget budget{1'000'000, 1000ms};
    std::vector<LetterPtr> leftovers;
    while (budget.next()) {
        mailbox.reopen();
        for (int n = static_cast<int>(jitter.below(64)); n > 0; --n) {
            if (LetterPtr got = mailbox.try_pop()) consume(std::move(got), Received);
        }
        mailbox.close(leftovers);
        for (LetterPtr& left : leftovers) consume(std::move(left), Leftover);
        leftovers.clear();
        jitter.spin(500);
    }
    stretcher.stop();
    stop = true;
    for (auto& thread : threads) thread.join();
    mailbox.close(leftovers);
    for (LetterPtr& left : leftovers) settle(std::move(left), Stranded);

    long once = 0, not_once = 0;
    for (int s = 0; s < senders; ++s) {
        for (int seq = 0; seq < pushed[s]; ++seq) {
            int n = 0;
            for (int f = 0; f < fates; ++f) n += ledger.count(s, seq, static_cast<Fate>(f));
            (n == 1 ? once : not_once) += 1;
        }
    }
    MESSAGE(budget.done() << " close/reopen cycles: " << ledger.total(Received) << " received, "
                          << ledger.total(Leftover) << " collected by close, " << ledger.total(HandedBack)
                          << " handed back (" << raced.load() << " after pushing, by their own drain), "
                          << ledger.total(Dropped) << " dropped, " << ledger.total(Stranded) << " stranded");
    CHECK(ledger.total(Received) > 0);
    CHECK(ledger.total(HandedBack) > 0);
    CHECK(not_once == 0);
    CHECK(once == ledger.total(Received) + ledger.total(Leftover) + ledger.total(HandedBack));
    CHECK(ledger.total(Dropped) == 0);
    CHECK(ledger.total(Stranded) == 0);
    CHECK(out_of_order == 0);
}

TEST_CASE("a receiver parked in pop_until is woken by the next push, every round, well before its deadline") {
    // Round r: the receiver announces r and waits; one sender (a plain thread for even rounds, a lightproc bound to
    // worker 1 for odd ones) pushes letter r after a random pause, so the push lands before the receiver's mark, between
    // its mark and its park, or after it parked. A lost wake-up shows as a null letter or one only the 2 s deadline
    // brought.
    Executor ex{two_workers()};
    auto receiver = Receiver::PlainThread;
    SUBCASE("the receiver is a plain thread") { receiver = Receiver::PlainThread; }
    SUBCASE("the receiver is an unbound lightproc") { receiver = Receiver::UnboundProc; }
    SUBCASE("the receiver is a lightproc bound to worker 0 (its worker watches the head)") {
        receiver = Receiver::BoundProc;
    }
    INFO("receiver: " << std::string{bastion::test::waiter_name(receiver)});

    Mailbox mailbox;
    std::atomic<int> ready{-1};
    std::atomic<bool> stop{false};
    std::atomic<int> refused{0};
    auto sender = [&](int first, bool in_proc) {
        Jitter jitter{static_cast<std::uint64_t>(first + 7)};
        for (int r = first;; r += 2) {
            while (ready.load(std::memory_order_acquire) != r) {
                if (stop.load(std::memory_order_acquire)) return;
                if (in_proc) {
                    executor::this_proc::yield_now();
                } else {
                    std::this_thread::yield();
                }
            }
            jitter.spin(jitter.below(8) == 0 ? 20'000 : 2'000);
            if (mailbox.push(letter(0, r))) refused.fetch_add(1);
        }
    };
    std::thread thread_sender{sender, 0, false};
    auto proc_sender = ex.spawn_on(1, [&] { sender(1, true); });

    int lost = 0, late = 0, wrong = 0, rounds = 0;
    Clock::duration slowest{};
    run_as(receiver, ex, [&] {
        Budget budget{3000, 800ms};
        while (budget.next()) {
            const int r = budget.done() - 1;
            const auto start = Clock::now();
            const auto deadline = start + 2s;
            ready.store(r, std::memory_order_release);
            LetterPtr got = mailbox.pop_until(deadline);
            const auto took = Clock::now() - start;
            slowest = std::max(slowest, took);
            if (!got) {
                ++lost;
                break;
            }
            if (stamp_of(got).seq != r) ++wrong;
            if (took >= 1900ms) ++late;
        }
        rounds = budget.done();
        stop.store(true, std::memory_order_release);
    });
    thread_sender.join();
    REQUIRE(proc_sender.wait_for(10s));
    MESSAGE(rounds << " rounds, slowest wake-up "
                   << std::chrono::duration_cast<std::chrono::microseconds>(slowest).count() << " us");
    CHECK(rounds > 0);
    CHECK(refused.load() == 0);
    CHECK(lost == 0);
    CHECK(late == 0);
    CHECK(wrong == 0);
    CHECK_FALSE(mailbox.try_pop());
}

TEST_CASE("pop_until returns null once its deadline passes, and the next push still reaches the receiver") {
    Executor ex{two_workers()};
    for (Receiver receiver : {Receiver::PlainThread, Receiver::UnboundProc, Receiver::BoundProc}) {
        INFO("receiver: " << std::string{bastion::test::waiter_name(receiver)});
        Mailbox mailbox;
        bool timed_out = false;
        Clock::duration waited{};
        int second = -1;
        run_as(receiver, ex, [&] {
            const auto start = Clock::now();
            timed_out = mailbox.pop_until(start + 30ms) == nullptr;
            waited = Clock::now() - start;
            // The mark is gone: a push from another thread now lands as a letter, found by the next wait.
            std::thread sender{[&] { (void)mailbox.push(letter(0, 2)); }};
            LetterPtr got = mailbox.pop_until(Clock::now() + 5s);
            sender.join();
            if (got) second = stamp_of(got).seq;
        });
        CHECK(timed_out);
        CHECK(waited >= 30ms);
        CHECK(waited < 2s);
        CHECK(second == 2);
        CHECK_FALSE(mailbox.try_pop());
    }
}

TEST_CASE("a letter pushed as pop_until's deadline passes is returned by that wait or the next, never lost") {
    Executor ex{two_workers()};
    auto receiver = Receiver::PlainThread;
    SUBCASE("the receiver is a plain thread") { receiver = Receiver::PlainThread; }
    SUBCASE("the receiver is an unbound lightproc") { receiver = Receiver::UnboundProc; }
    SUBCASE("the receiver is a lightproc bound to worker 0") { receiver = Receiver::BoundProc; }
    INFO("receiver: " << std::string{bastion::test::waiter_name(receiver)});

    Mailbox mailbox;
    std::atomic<int> ready{-1};
    std::atomic<bool> stop{false};
    std::thread sender{[&] {
        Jitter jitter{3};
        for (int r = 0;; ++r) {
            while (ready.load(std::memory_order_acquire) != r) {
                if (stop.load(std::memory_order_acquire)) return;
                std::this_thread::yield();
            }
            jitter.spin(100'000);
            (void)mailbox.push(letter(0, r));
        }
    }};
    int rounds = 0, by_first = 0, by_second = 0, lost = 0, wrong = 0;
    run_as(receiver, ex, [&] {
        Jitter jitter{4};
        Budget budget{2000, 800ms};
        while (budget.next()) {
            const int r = budget.done() - 1;
            ready.store(r, std::memory_order_release);
            LetterPtr got = mailbox.pop_until(Clock::now() + std::chrono::microseconds{jitter.below(100)});
            if (got) {
                ++by_first;
            } else {
                got = mailbox.pop_until(Clock::now() + 5s);
                if (!got) {
                    ++lost;
                    break;
                }
                ++by_second;
            }
            if (stamp_of(got).seq != r) ++wrong;
        }
        rounds = budget.done();
        stop.store(true, std::memory_order_release);
    });
    sender.join();
    MESSAGE(rounds << " rounds: " << by_first << " letters before the deadline, " << by_second << " after");
    CHECK(rounds > 0);
    CHECK(lost == 0);
    CHECK(wrong == 0);
    CHECK(by_first + by_second == rounds);
    CHECK_FALSE(mailbox.try_pop());
}

TEST_CASE("a lightproc cancelled while parked in pop_until throws ProcCancelled and leaves unread letters inside") {
    // Each round: a receiver lightproc takes letters until it is cancelled; the test pushes a few letters, waits
    // until the receiver has taken them (so it parks or is about to), cancels it at a random moment and pushes a few
    // more. What it took and what is left inside must together be every letter, once, in order.
    Executor ex{two_workers()};
    bool bound = false;
    SUBCASE("an unbound receiver") { bound = false; }
    SUBCASE("a receiver bound to worker 0") { bound = true; }
    INFO(std::string{bound ? "bound" : "unbound"});
    Budget budget{300, 1000ms};
    int bad_rounds = 0, not_cancelled = 0;
    while (budget.next()) {
        Jitter jitter{static_cast<std::uint64_t>(budget.done())};
        Mailbox mailbox;
        std::vector<int> taken_seqs;
        std::atomic<int> taken{0};
        std::atomic<bool> started{false}, threw{false};
        auto body = [&] {
            started = true;  // a lightproc cancelled before it starts never runs: not the case under test
            try {
                for (;;) {
                    LetterPtr got = mailbox.pop_until(Clock::time_point::max());
                    taken_seqs.push_back(stamp_of(got).seq);
                    taken.fetch_add(1, std::memory_order_release);
                }
            } catch (const ProcCancelled&) {
                threw = true;
                throw;
            }
        };
        auto proc = bound ? ex.spawn_on(0, body) : ex.spawn(body);
        const int before = static_cast<int>(jitter.below(4));
        const int after = static_cast<int>(jitter.below(4));
        for (int seq = 0; seq < before; ++seq) (void)mailbox.push(letter(0, seq));
        bastion::test::wait_until(
            "the receiver started and took the first letters",
            [&] { return started.load() && taken.load(std::memory_order_acquire) == before; }, 5000ms);
        jitter.spin(20'000);
        proc.cancel();
        for (int seq = before; seq < before + after; ++seq) {
            jitter.spin(2'000);
            (void)mailbox.push(letter(0, seq));
        }
        REQUIRE(proc.wait_for(10s));
        if (!threw.load() || !proc.state().is_cancelled()) ++not_cancelled;
        std::vector<int> all = taken_seqs;
        while (LetterPtr left = mailbox.try_pop()) all.push_back(stamp_of(left).seq);
        std::vector<int> expected(static_cast<std::size_t>(before + after));
        for (int seq = 0; seq < before + after; ++seq) expected[static_cast<std::size_t>(seq)] = seq;
        if (all != expected) ++bad_rounds;
    }
    MESSAGE(budget.done() << " rounds");
    CHECK(budget.done() > 0);
    CHECK(not_cancelled == 0);
    CHECK(bad_rounds == 0);
}

}  // TEST_SUITE("actor")
