// Timers (issue 18): one-shot and fixed-rate, from a context and from plain threads; cancel, owners, dead targets.

#include "support/system.hpp"

#include <bastion/bastion.hpp>
#include <bastion/context.hpp>
#include <bastion/dead_letters.hpp>
#include <bastion/executor/executor.hpp>
#include <bastion/executor/this_proc.hpp>
#include <bastion/timer.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;
using bastion::test::RunningSystem;
using bastion::test::wait_until;
using Clock = std::chrono::steady_clock;

namespace {

// What a sink actor received: each message as text ("int 3", or the string), when, and whether it was signed.
struct Received {
    std::string text;
    Clock::time_point at;
    bool is_signed;
};

class Inbox {
public:
    void add(Received r) {
        std::lock_guard lock{lock_};
        items_.push_back(std::move(r));
    }
    std::vector<Received> items() const {
        std::lock_guard lock{lock_};
        return items_;
    }
    std::size_t count(const std::string& text) const {
        std::lock_guard lock{lock_};
        std::size_t n = 0;
        for (const auto& r : items_) n += r.text == text;
        return n;
    }
    std::size_t size() const {
        std::lock_guard lock{lock_};
        return items_.size();
    }
    // How many messages other than `marker` came after the first `marker`.
    std::size_t after(const std::string& marker) const {
        std::lock_guard lock{lock_};
        std::size_t n = 0;
        bool seen = false;
        for (const auto& r : items_) {
            if (seen && r.text != marker) ++n;
            seen = seen || r.text == marker;
        }
        return n;
    }

private:
    mutable std::mutex lock_;
    std::vector<Received> items_;
};

// An actor that records everything it receives into `inbox`.
ChildRef spawn_sink(const std::shared_ptr<Inbox>& inbox) {
    return Bastion::children([inbox](Children c) {
               return c.with_exec([inbox](BastionContext ctx) -> Exec {
                   for (;;) {
                       SignedMessage m = ctx.recv();
                       std::string text;
                       if (const auto* s = m.msg().downcast_ref<std::string>()) text = *s;
                       if (const auto* n = m.msg().downcast_ref<int>()) text = "int " + std::to_string(*n);
                       inbox->add({text, Clock::now(), m.signature().is_sender_identified()});
                   }
               });
           })
        .expect("children")
        .elems()
        .at(0);
}

// Holds until `deadline` unless `broken()` becomes true first; true if it held. A bounded watch for something that
// must not happen (a tick after a cancel), not a sleep: it returns as soon as the thing happens.
template <class Predicate>
bool holds_until(Clock::time_point deadline, Predicate broken) {
    while (Clock::now() < deadline) {
        if (broken()) return false;
        std::this_thread::sleep_for(200us);
    }
    return !broken();
}

// A Timer made inside an actor, handed out to the test.
struct TimerBox {
    std::mutex lock;
    std::optional<Timer> timer;
    Clock::time_point made;
    void put(Timer t) {
        std::lock_guard guard{lock};
        made = Clock::now();
        timer = std::move(t);
    }
    bool holds_active() {
        std::lock_guard guard{lock};
        return timer && timer->is_active();
    }
    bool filled() {
        std::lock_guard guard{lock};
        return timer.has_value();
    }
};

// The live lightprocs of the system's executor, read from inside one of its actors.
std::size_t live_lightprocs(const ChildRef& probe) {
    Answer answer = probe.ask_anonymously(0).expect("ask the probe");
    SignedMessage reply = answer.get();
    return *reply.msg().downcast_ref<std::size_t>();
}

Exec answer_live_lightprocs(BastionContext ctx) {
    for (;;) {
        SignedMessage m = ctx.recv();
        if (auto sender = m.msg().take_sender()) {
            (void)std::move(*sender).reply(executor::Executor::current()->stats().live);
        }
    }
}

}  // namespace

TEST_SUITE("actor") {

TEST_CASE("send_after from a plain thread delivers once, unsigned, not before its delay") {
    RunningSystem system;
    auto inbox = std::make_shared<Inbox>();
    ChildRef sink = spawn_sink(inbox);

    Clock::time_point made;
    Timer timer;
    std::thread plain{[&] {
        made = Clock::now();
        timer = bastion::send_after(sink.addr(), std::string{"late"}, 100ms);
    }};
    plain.join();
    CHECK(timer.is_active());
    REQUIRE(wait_until("the timer's message", [&] { return inbox->count("late") == 1; }, 2s));
    const auto items = inbox->items();
    CHECK(items.at(0).at - made >= 100ms);
    CHECK_FALSE(items.at(0).is_signed);
    CHECK(wait_until("the one-shot timer to end", [&] { return !timer.is_active(); }, 2s));
    CHECK(holds_until(Clock::now() + 50ms, [&] { return inbox->size() != 1; }));

    // Dead letters: nothing to deliver to, so never active.
    CHECK_FALSE(bastion::send_after(RefAddr{}, 1, 1ms).is_active());
}

TEST_CASE("send_at_fixed_rate delivers ticks in order, one per slot of the grid, never early") {
    RunningSystem system;
    auto inbox = std::make_shared<Inbox>();
    ChildRef sink = spawn_sink(inbox);

    const auto made = Clock::now();
    Timer timer = bastion::send_at_fixed_rate(sink.addr(), [n = 0]() mutable { return ++n; }, 20ms, 20ms);
    REQUIRE(wait_until("20 ticks", [&] { return inbox->size() >= 20; }, 2s));
    const auto elapsed = Clock::now() - made;
    timer.cancel();
    CHECK_FALSE(timer.is_active());

    const auto items = inbox->items();
    // Each call of the factory is one tick, so the ticks are 1, 2, 3... in order, with no gap.
    for (std::size_t i = 0; i < items.size(); ++i) CHECK(items[i].text == "int " + std::to_string(i + 1));
    // Tick k (from 1) is due at made + k * 20 ms: none comes early, and there are no more than the slots that passed.
    for (std::size_t i = 0; i < items.size(); ++i) CHECK(items[i].at - made >= (i + 1) * 20ms);
    CHECK(items.size() <= static_cast<std::size_t>(elapsed / 20ms) + 1);
    // 20 ticks take 400 ms, give or take the lateness of the last one; a timer that drifted by 5 ms a tick would
    // need 500 ms.
    MESSAGE("20 ticks of 20 ms took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                                      << " ms");
    CHECK(elapsed >= 400ms);
}

TEST_CASE("cancel stops a repeating timer: nothing arrives after cancel returns") {
    RunningSystem system;
    for (int round = 0; round < 8; ++round) {
        CAPTURE(round);
        auto inbox = std::make_shared<Inbox>();
        ChildRef sink = spawn_sink(inbox);
        Timer timer = bastion::send_at_fixed_rate(sink.addr(), std::string{"tick"}, 0ms, 2ms);
        REQUIRE(wait_until("3 ticks", [&] { return inbox->count("tick") >= 3; }, 2s));
        timer.cancel();
        CHECK_FALSE(timer.is_active());
        // The marker is pushed after cancel returned: any tick behind it in the mailbox was pushed after too.
        REQUIRE(sink.tell_anonymously(std::string{"marker"}).is_ok());
        REQUIRE(wait_until("the marker", [&] { return inbox->count("marker") == 1; }, 2s));
        CHECK(holds_until(Clock::now() + 20ms, [&] { return inbox->after("marker") != 0; }));
        (void)sink.stop();
    }
}

TEST_CASE("a slow receiver finds one tick waiting after a long handler, not a backlog") {
    RunningSystem system;
    std::atomic<int> waiting_after_slow_handler{-1};
    std::atomic<bool> next_tick_came{false};
    ChildRef slow = Bastion::children([&](Children c) {
                        return c.with_exec([&](BastionContext ctx) -> Exec {
                            (void)ctx.recv();                               // the first tick
                            executor::this_proc::sleep_for(200ms);          // a slow handler: 20 slots pass
                            int waiting = 0;
                            while (ctx.try_recv()) ++waiting;               // what piled up meanwhile
                            waiting_after_slow_handler = waiting;
                            next_tick_came = ctx.try_recv_timeout(100ms).is_ok();  // ticks go on
                            return Ok();
                        });
                    })
                        .expect("children")
                        .elems()
                        .at(0);
    Timer timer = bastion::send_at_fixed_rate(slow.addr(), 7, 10ms, 10ms);
    REQUIRE(wait_until("the slow handler", [&] { return waiting_after_slow_handler >= 0; }, 2s));
    CHECK(waiting_after_slow_handler == 1);
    REQUIRE(wait_until("the actor to end", [&] { return !timer.is_active(); }, 2s));
    CHECK(next_tick_came);
}

TEST_CASE("an actor's timers are cancelled when its run ends") {
    RunningSystem system;
    auto inbox = std::make_shared<Inbox>();
    ChildRef sink = spawn_sink(inbox);
    auto box = std::make_shared<TimerBox>();
    auto runs = std::make_shared<std::atomic<int>>(0);
    enum class End { Stop, Kill, Restart, Return };
    End end = End::Stop;
    SUBCASE("stopped") { end = End::Stop; }
    SUBCASE("killed") { end = End::Kill; }
    SUBCASE("restarted") { end = End::Restart; }
    SUBCASE("returned") { end = End::Return; }

    const RefAddr to = sink.addr();
    ChildRef owner = Bastion::children([=](Children c) {
                         return c.with_exec([=](BastionContext ctx) -> Exec {
                             if (++*runs == 1) {
                                 box->put(ctx.send_at_fixed_rate(to, std::string{"tick"}, 2ms, 2ms));
                                 (void)ctx.send_after(to, std::string{"once"}, 100ms);  // handle dropped: still owned
                                 if (end == End::Return) return Ok();
                                 (void)ctx.recv();
                                 return Err();  // End::Restart: the one message it gets asks it to fail
                             }
                             for (;;) (void)ctx.recv();
                         });
                     })
                         .expect("children")
                         .elems()
                         .at(0);

    REQUIRE(wait_until("the timer to be made", [&] { return box->filled(); }, 2s));
    if (end != End::Return) {
        REQUIRE(wait_until("2 ticks", [&] { return inbox->count("tick") >= 2; }, 2s));
        CHECK(inbox->items().at(0).is_signed);  // signed with the owner's address
    }
    switch (end) {
        case End::Stop: CHECK(owner.stop().is_ok()); break;
        case End::Kill: CHECK(owner.kill().is_ok()); break;
        case End::Restart: REQUIRE(owner.tell_anonymously(std::string{"fail"}).is_ok()); break;
        case End::Return: break;
    }
    REQUIRE(wait_until("the owner's timer to be cancelled", [&] { return !box->holds_active(); }, 2s));
    if (end == End::Restart) CHECK(wait_until("the second run", [&] { return runs->load() == 2; }, 2s));
    REQUIRE(sink.tell_anonymously(std::string{"marker"}).is_ok());
    REQUIRE(wait_until("the marker", [&] { return inbox->count("marker") == 1; }, 2s));
    // No tick after the marker, and the one-shot timer (due 100 ms after it was made) never fires.
    const auto deadline = std::max(Clock::now() + 20ms, box->made + 130ms);
    CHECK(holds_until(deadline, [&] { return inbox->after("marker") != 0 || inbox->count("once") != 0; }));
}

TEST_CASE("a timer to an actor that stopped for good ends itself: the repeating one stops, the one-shot drops") {
    RunningSystem system;
    auto inbox = std::make_shared<Inbox>();
    ChildRef target = spawn_sink(inbox);
    Timer repeating = bastion::send_at_fixed_rate(target.addr(), std::string{"tick"}, 0ms, 2ms);
    Timer once = bastion::send_after(target.addr(), std::string{"once"}, 60ms);
    REQUIRE(wait_until("a tick", [&] { return inbox->count("tick") >= 1; }, 2s));
    const std::uint64_t dead_before = DeadLetters::count();
    REQUIRE(target.stop().is_ok());
    CHECK(wait_until("the repeating timer to end itself", [&] { return !repeating.is_active(); }, 2s));
    CHECK(wait_until("the one-shot timer to drop its message", [&] { return !once.is_active(); }, 2s));
    CHECK(inbox->count("once") == 0);
    // The refused tick and the refused one-shot message are dead letters (and any tick left unread at the stop).
    CHECK(DeadLetters::count() >= dead_before + 2);
}

TEST_CASE("a factory makes a move-only message for each tick") {
    RunningSystem system;
    std::atomic<int> sum{0};
    ChildRef child = Bastion::children([&](Children c) {
                         return c.with_exec([&](BastionContext ctx) -> Exec {
                             for (;;) {
                                 SignedMessage m = ctx.recv();
                                 if (auto* p = m.msg().downcast_ref<std::unique_ptr<int>>()) sum += **p;
                             }
                         });
                     })
                         .expect("children")
                         .elems()
                         .at(0);
    Timer timer = bastion::send_at_fixed_rate(child.addr(), [] { return std::make_unique<int>(5); }, 0ms, 2ms);
    CHECK(wait_until("three ticks of 5", [&] { return sum >= 15; }, 2s));
    timer.cancel();
    CHECK(sum % 5 == 0);
}

TEST_CASE("thousands of timers made and cancelled leave no lightproc behind") {
    RunningSystem system;
    auto inbox = std::make_shared<Inbox>();
    ChildRef sink = spawn_sink(inbox);
    ChildRef probe = Bastion::children([](Children c) { return c.with_exec(answer_live_lightprocs); })
                         .expect("children")
                         .elems()
                         .at(0);
    const std::size_t before = live_lightprocs(probe);

    SUBCASE("from a plain thread, cancelled one by one") {
        std::vector<Timer> timers;
        for (int i = 0; i < 1000; ++i) {
            timers.push_back(bastion::send_after(sink.addr(), i, 1h));
            timers.push_back(bastion::send_at_fixed_rate(sink.addr(), i, 1h, 1h));
        }
        CHECK(live_lightprocs(probe) >= before + 1000);  // they are there while they wait
        for (const Timer& t : timers) t.cancel();
    }
    SUBCASE("from an actor, cancelled with its run") {
        std::atomic<bool> made{false};
        const RefAddr to = sink.addr();
        (void)Bastion::children([&, to](Children c) {
            return c.with_exec([&, to](BastionContext ctx) -> Exec {
                for (int i = 0; i < 1000; ++i) {
                    (void)ctx.send_after(to, i, 1h);
                    (void)ctx.send_at_fixed_rate(to, i, 1h, 1h);
                }
                made = true;
                return Ok();
            });
        });
        REQUIRE(wait_until("the timers to be made", [&] { return made.load(); }, 2s));
    }
    CHECK(wait_until("every timer's lightproc to end", [&] { return live_lightprocs(probe) == before; }, 2s));
    CHECK(inbox->size() == 0);
}

}  // TEST_SUITE
