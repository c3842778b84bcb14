// Tell, ask, broadcast, signatures and mailboxes, on a running system.

#include "support/system.hpp"

#include <bastion/answer.hpp>
#include <bastion/bastion.hpp>
#include <bastion/executor/spawn.hpp>
#include <bastion/terminated.hpp>

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;
using bastion::test::Log;
using bastion::test::RunningSystem;
using bastion::test::wait_until;

namespace {

// An actor that answers every ask of an int with the int doubled and every ask of a std::string with its length.
Exec doubler(BastionContext ctx) {
    for (;;) {
        SignedMessage signed_msg = ctx.recv();
        Msg& msg = signed_msg.msg();
        if (!msg.is_ask()) continue;
        auto sender = msg.take_sender();
        if (const int* n = msg.downcast_ref<int>()) {
            (void)std::move(*sender).reply(*n * 2);
        } else if (const std::string* s = msg.downcast_ref<std::string>()) {
            (void)std::move(*sender).reply(s->size());
        }
        // Anything else: the sender is dropped unanswered.
    }
}

ChildRef spawn_one(Exec (*exec)(BastionContext)) {
    return Bastion::children([exec](Children c) { return c.with_exec(exec); }).expect("children").elems().at(0);
}

}  // namespace

TEST_CASE("ask and answer round trip over 1000 random payloads (upstream prop_children_message)") {
    RunningSystem system;
    ChildRef child = spawn_one(doubler);
    std::mt19937 random{42};
    for (int i = 0; i < 1000; ++i) {
        const int n = static_cast<int>(random() % 1000000);
        Answer answer = child.ask_anonymously(n).expect("ask");
        SignedMessage reply = answer.get_for(5s).expect("reply in time");
        REQUIRE(reply.msg().is_tell());
        REQUIRE(reply.msg().downcast_ref<int>() != nullptr);
        CHECK(*reply.msg().downcast_ref<int>() == 2 * n);
    }
}

TEST_CASE("a reply is signed with the replier's address; an anonymous ask is unidentified") {
    RunningSystem system;
    ChildRef child = spawn_one(doubler);
    SignedMessage reply = child.ask_anonymously(std::string{"four"}).expect("ask").get_for(5s).expect("reply");
    CHECK(reply.signature() == child.addr());
    CHECK(reply.signature().is_sender_identified());
    CHECK(reply.signature().path() == child.path());
    CHECK(*reply.msg().downcast_ref<std::size_t>() == 4);
    CHECK_FALSE(RefAddr{}.is_sender_identified());
    CHECK(RefAddr{}.path().is_dead_letters());
}

TEST_CASE("types match exactly: const char*, std::string and std::string_view are different messages") {
    RunningSystem system;
    ChildRef child = spawn_one(doubler);
    // doubler answers std::string asks only: the other two are dropped unanswered.
    CHECK(child.ask_anonymously(std::string{"abc"}).expect("ask").get_for(5s).is_ok());
    auto as_literal = child.ask_anonymously("abc").expect("ask").get_for(5s);
    REQUIRE(as_literal.is_err());
    CHECK(as_literal.unwrap_err() == ReceiveError::Other());
    CHECK(child.ask_anonymously(std::string_view{"abc"}).expect("ask").get_for(5s).is_err());
}

TEST_CASE("an ask the receiver drops resolves to an error, from a thread and from a lightproc") {
    RunningSystem system;
    ChildRef child = spawn_one(doubler);
    CHECK_THROWS_AS(child.ask_anonymously(1.5).expect("ask").get(), AnswerError);
    auto from_proc = executor::run([&] { return child.ask_anonymously(2.5).expect("ask").try_get().is_err(); });
    CHECK(from_proc);
}

TEST_CASE("an ask whose receiver fails resolves to an error") {
    RunningSystem system;
    ChildRef child = spawn_one([](BastionContext ctx) -> Exec {
        SignedMessage question = ctx.recv();
        throw std::runtime_error{"failing while holding an ask"};
    });
    auto reply = child.ask_anonymously(7).expect("ask").get_for(5s);
    REQUIRE(reply.is_err());
    CHECK(reply.unwrap_err() == ReceiveError::Other());
}

TEST_CASE("move-only payloads travel by tell and by ask, and come back from a stopped actor") {
    RunningSystem system;
    auto seen = std::make_shared<std::atomic<int>>(0);
    ChildRef child = Bastion::children([seen](Children c) {
                         return c.with_exec([seen](BastionContext ctx) -> Exec {
                             for (;;) {
                                 SignedMessage m = ctx.recv();
                                 auto sender = m.msg().take_sender();  // before downcast consumes the Msg
                                 auto owned = std::move(m.msg()).downcast<std::unique_ptr<int>>();
                                 if (owned.is_err()) continue;
                                 std::unique_ptr<int> value = std::move(owned).unwrap();
                                 seen->fetch_add(*value);
                                 if (sender) {
                                     (void)std::move(*sender).reply(std::make_unique<int>(*value + 1));
                                 }
                             }
                         });
                     }).expect("children").elems().at(0);
    CHECK(child.tell_anonymously(std::make_unique<int>(5)).is_ok());
    SignedMessage reply = child.ask_anonymously(std::make_unique<int>(10)).expect("ask").get_for(5s).expect("reply");
    auto back = std::move(reply.msg()).downcast<std::unique_ptr<int>>();
    REQUIRE(back.is_ok());
    CHECK(*std::move(back).unwrap() == 11);
    CHECK(seen->load() == 15);

    REQUIRE(child.stop().is_ok());
    REQUIRE(wait_until("the child's mailbox closes", [&] {
        auto probe = child.tell_anonymously(std::make_unique<int>(0));
        return probe.is_err();
    }));
    auto returned = child.tell_anonymously(std::make_unique<int>(99));
    REQUIRE(returned.is_err());
    CHECK(*std::move(returned).unwrap_err() == 99);
    auto try_returned = child.try_tell_anonymously(std::make_unique<int>(98));
    REQUIRE(try_returned.is_err());
    SendError error = std::move(try_returned).unwrap_err();
    CHECK(error.kind() == SendError::Kind::Disconnected);
    Msg msg = error.take_msg();
    CHECK(**msg.downcast_ref<std::unique_ptr<int>>() == 98);
    CHECK(child.ask_anonymously(std::make_unique<int>(97)).is_err());
}

TEST_CASE("FIFO per sender: 10000 tells arrive in order") {
    RunningSystem system;
    auto next = std::make_shared<std::atomic<int>>(0);
    auto in_order = std::make_shared<std::atomic<bool>>(true);
    ChildRef child = Bastion::children([=](Children c) {
                         return c.with_exec([=](BastionContext ctx) -> Exec {
                             for (;;) {
                                 SignedMessage m = ctx.recv();
                                 const int got = *m.msg().downcast_ref<int>();
                                 if (got != next->load()) in_order->store(false);
                                 next->fetch_add(1);
                             }
                         });
                     }).expect("children").elems().at(0);
    for (int i = 0; i < 10000; ++i) REQUIRE(child.tell_anonymously(i).is_ok());
    wait_until("10000 messages", [&] { return next->load() == 10000; });
    CHECK(in_order->load());
}

TEST_CASE("try_recv and try_recv_timeout (upstream context tests)") {
    RunningSystem system;
    Log log;
    ChildRef child = Bastion::children([&](Children c) {
                         return c.with_exec([&](BastionContext ctx) -> Exec {
                             log.add(ctx.try_recv() ? "try_recv: some" : "try_recv: none");
                             auto timed = ctx.try_recv_timeout(20ms);
                             log.add(timed.is_err() && timed.unwrap_err().is_timeout() ? "timeout" : "no timeout");
                             log.add("ready");
                             auto got = ctx.try_recv_timeout(5s);
                             log.add(got.is_ok() && *got.unwrap().msg().downcast_ref<int>() == 3 ? "got 3" : "wrong");
                             return Ok();
                         });
                     }).expect("children").elems().at(0);
    REQUIRE(log.wait_count("ready", 1));
    REQUIRE(child.tell_anonymously(3).is_ok());
    REQUIRE(log.wait_count("got 3", 1));
    CHECK(log.lines() == std::vector<std::string>{"try_recv: none", "timeout", "ready", "got 3"});
}

TEST_CASE("messages sent before start wait in the mailbox and are handled on start") {
    RunningSystem system{Config{}.hide_backtraces(), false};
    auto got = std::make_shared<std::atomic<int>>(0);
    ChildRef child = Bastion::children([got](Children c) {
                         return c.with_exec([got](BastionContext ctx) -> Exec {
                             for (;;) got->fetch_add(*ctx.recv().msg().downcast_ref<int>());
                         });
                     }).expect("children").elems().at(0);
    REQUIRE(child.tell_anonymously(20).is_ok());
    REQUIRE(child.tell_anonymously(22).is_ok());
    CHECK(got->load() == 0);
    Bastion::start();
    CHECK(wait_until("both messages", [&] { return got->load() == 42; }));
}

TEST_CASE("broadcast reaches every child exactly once, shared and by const reference") {
    RunningSystem system;
    auto received = std::make_shared<std::array<std::atomic<int>, 8>>();
    auto index = std::make_shared<std::atomic<int>>(0);
    ChildrenRef group = Bastion::children([=](Children c) {
                            return c.with_redundancy(8).with_exec([=](BastionContext ctx) -> Exec {
                                const int me = index->fetch_add(1);
                                for (;;) {
                                    SignedMessage m = ctx.recv();
                                    if (m.msg().is_broadcast() && m.msg().downcast_ref<std::string>()) {
                                        (*received)[static_cast<std::size_t>(me)].fetch_add(1);
                                    }
                                }
                            });
                        }).expect("children");
    CHECK(group.elems().size() == 8);
    REQUIRE(Bastion::broadcast(std::string{"to all"}).is_ok());
    REQUIRE(group.broadcast(std::string{"to the group"}).is_ok());
    REQUIRE(wait_until("16 deliveries", [&] {
        int sum = 0;
        for (auto& r : *received) sum += r.load();
        return sum == 16;
    }));
    for (auto& r : *received) CHECK(r.load() == 2);
}

TEST_CASE("redundancy 0..32 creates that many elements (0 counts as 1; upstream prop_children_redundancy)") {
    RunningSystem system;
    for (std::size_t redundancy = 0; redundancy <= 32; ++redundancy) {
        ChildrenRef group = Bastion::children([&](Children c) {
                                return c.with_redundancy(redundancy).with_exec([](BastionContext ctx) -> Exec {
                                    (void)ctx.recv();
                                    return Ok();
                                });
                            }).expect("children");
        CHECK(group.elems().size() == std::max<std::size_t>(redundancy, 1));
    }
}

TEST_CASE("run(blocking(ask)) 1..=100 answers in order, each exactly once (upstream run_blocking)") {
    RunningSystem system;
    auto counter = std::make_shared<std::atomic<int>>(0);
    ChildRef child = Bastion::children([counter](Children c) {
                         return c.with_exec([counter](BastionContext ctx) -> Exec {
                             for (;;) {
                                 SignedMessage m = ctx.recv();
                                 if (auto sender = m.msg().take_sender()) {
                                     (void)std::move(*sender).reply(counter->fetch_add(1) + 1);
                                 }
                             }
                         });
                     }).expect("children").elems().at(0);
    for (int i = 1; i <= 100; ++i) {
        auto reply = executor::run(executor::blocking([&] {
            std::this_thread::sleep_for(1ms);
            return child.ask_anonymously("hello").expect("ask").get();
        }));
        REQUIRE(reply.has_value());
        CHECK(*reply->msg().downcast_ref<int>() == i);
    }
}

TEST_CASE("ctx.tell signs with the sender; a reply to that signature comes back to it") {
    RunningSystem system;
    Log log;
    ChildRef echo = spawn_one([](BastionContext ctx) -> Exec {
        for (;;) {
            SignedMessage m = ctx.recv();
            if (const int* n = m.msg().downcast_ref<int>()) (void)ctx.tell(m.signature(), *n + 1);
        }
    });
    Bastion::children([&](Children c) {
        return c.with_exec([&, echo](BastionContext ctx) -> Exec {
            REQUIRE(ctx.tell(echo.addr(), 41).is_ok());
            SignedMessage reply = ctx.recv();
            log.add(reply.signature() == echo.addr() && *reply.msg().downcast_ref<int>() == 42 ? "ok" : "wrong");
            return Ok();
        });
    }).expect("children");
    CHECK(log.wait_count("ok", 1));
}

// Signing draws on copies of the address made a batch at a time (detail/signature_stash.hpp); they must name the
// actor the context names now, whoever sends.
TEST_CASE("every tell and ask is signed with the context's actor: many in a row, from a copy elsewhere, after assignment") {
    RunningSystem system;
    // Answers every ask and echoes every tell with the signer's path.
    ChildRef probe = spawn_one([](BastionContext ctx) -> Exec {
        for (;;) {
            SignedMessage m = ctx.recv();
            const std::string signer = m.signature().path().to_string();
            if (auto sender = m.msg().take_sender()) {
                (void)std::move(*sender).reply(signer);
            } else if (const auto* reply_to = m.msg().downcast_ref<RefAddr>()) {
                (void)ctx.tell(*reply_to, signer);
            }
        }
    });
    ChildRef other = spawn_one([](BastionContext ctx) -> Exec {
        for (;;) (void)ctx.recv();
    });
    std::promise<std::vector<std::string>> seen;
    Bastion::children([&](Children c) {
        return c.with_exec([&](BastionContext ctx) -> Exec {
            std::vector<std::string> signers;
            auto ask_signer = [&](const BastionContext& from) {
                return *from.ask(probe.addr(), 0).expect("ask").get().msg().downcast_ref<std::string>();
            };
            for (int i = 0; i < 20; ++i) signers.push_back(ask_signer(ctx));  // more than a batch
            // A copy used by another lightproc signs as this actor too.
            BastionContext copy = ctx;
            signers.push_back(executor::run([&] { return ask_signer(copy); }));
            // A context made for another actor signs as it; assigned this one's, as this one.
            BastionContext assigned{other, ctx.parent(), std::nullopt};
            for (int i = 0; i < 3; ++i) signers.push_back(ask_signer(assigned));
            assigned = ctx;
            signers.push_back(ask_signer(assigned));
            // Tells too: the probe tells the signer's path back.
            (void)assigned.tell(probe.addr(), ctx.signature());
            signers.push_back(*ctx.recv().msg().downcast_ref<std::string>());
            seen.set_value(std::move(signers));
            return Ok();
        });
    }).expect("children");
    auto future = seen.get_future();
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    const std::vector<std::string> signers = future.get();
    REQUIRE(signers.size() == 26);
    const std::string self = signers[0];
    CHECK(self != other.path().to_string());
    for (int i : {0, 19, 20, 24, 25}) CHECK(signers[i] == self);
    for (int i : {21, 22, 23}) CHECK(signers[i] == other.path().to_string());
}

TEST_CASE("death watch: a monitor is told once the actor stops for good, not when it restarts") {
    RunningSystem system;
    Log log;
    auto starts = std::make_shared<std::atomic<int>>(0);
    ChildRef target = Bastion::children([starts](Children c) {
                          return c.with_exec([starts](BastionContext ctx) -> Exec {
                              if (starts->fetch_add(1) == 0) throw std::runtime_error{"first run fails"};
                              (void)ctx.recv();
                              return Ok();  // the second run finishes after one message
                          });
                      }).expect("children").elems().at(0);
    Bastion::children([&, target](Children c) {
        return c.with_exec([&, target](BastionContext ctx) -> Exec {
            ctx.monitor(target);
            log.add("watching");
            SignedMessage m = ctx.recv();
            const Terminated* t = m.msg().downcast_ref<Terminated>();
            log.add(t != nullptr && t->actor == target && t->reason == ExitReason::Finished &&
                            m.signature() == target.addr()
                        ? "terminated: finished"
                        : "wrong");
            return Ok();
        });
    }).expect("children");
    REQUIRE(log.wait_count("watching", 1));
    REQUIRE(wait_until("the restart", [&] { return starts->load() == 2; }));
    CHECK(log.count("terminated: finished") == 0);
    REQUIRE(target.tell_anonymously(1).is_ok());
    CHECK(log.wait_count("terminated: finished", 1));
}

TEST_CASE("send_after delivers once the delay has passed, and a cancelled timer never does") {
    RunningSystem system;
    Log log;
    Bastion::children([&](Children c) {
        return c.with_exec([&](BastionContext ctx) -> Exec {
            const auto start = std::chrono::steady_clock::now();
            auto cancelled = ctx.send_after(ctx.signature(), std::string{"cancelled"}, 30ms);
            cancelled.cancel();
            (void)ctx.send_after(ctx.signature(), std::string{"late"}, 50ms);
            SignedMessage m = ctx.recv();
            const auto waited = std::chrono::steady_clock::now() - start;
            log.add(*m.msg().downcast_ref<std::string>());
            log.add(waited >= 50ms ? "after the delay" : "too early");
            log.add(ctx.try_recv_timeout(100ms).is_err() ? "nothing else" : "something else");
            return Ok();
        });
    }).expect("children");
    REQUIRE(wait_until("the actor's verdict", [&] { return log.lines().size() == 3; }));
    CHECK(log.lines() == std::vector<std::string>{"late", "after the delay", "nothing else"});
}

TEST_CASE("a stopped system can be initialised and started again in the same process") {
    for (int round = 0; round < 3; ++round) {
        RunningSystem system;
        ChildRef child = spawn_one(doubler);
        CHECK(*child.ask_anonymously(round).expect("ask").get().msg().downcast_ref<int>() == 2 * round);
    }
}

TEST_CASE("asks racing with a stop are each answered, refused, or resolved to an error: none is stranded") {
    RunningSystem system;
    for (int round = 0; round < 20; ++round) {
        ChildRef child = spawn_one(doubler);
        std::atomic<bool> go{false};
        auto sender = [&] {
            std::vector<Answer> answers;
            int refused = 0;
            while (!go.load()) std::this_thread::yield();
            for (int i = 0; i < 2000; ++i) {
                auto sent = child.ask_anonymously(i);
                if (sent.is_ok()) {
                    answers.push_back(std::move(sent).unwrap());
                } else {
                    ++refused;
                }
            }
            int timed_out = 0;
            for (Answer& answer : answers) {
                auto reply = answer.get_for(5s);
                if (reply.is_err() && reply.unwrap_err().is_timeout()) ++timed_out;
            }
            return timed_out;
        };
        auto first = std::async(std::launch::async, sender);
        auto second = std::async(std::launch::async, sender);
        go.store(true);
        REQUIRE(child.stop().is_ok());
        CHECK(first.get() == 0);
        CHECK(second.get() == 0);
    }
}

TEST_CASE("payloads of every size and alignment travel intact (pooled and unpooled letters)") {
    RunningSystem system;
    struct alignas(64) Aligned {
        std::array<char, 64> bytes;
    };
    ChildRef echo = spawn_one([](BastionContext ctx) -> Exec {
        for (;;) {
            SignedMessage m = ctx.recv();
            auto sender = m.msg().take_sender();
            if (const auto* small = m.msg().downcast_ref<char>()) {
                (void)std::move(*sender).reply(*small);
            } else if (const auto* big = m.msg().downcast_ref<std::array<char, 1000>>()) {
                (void)std::move(*sender).reply(*big);
            } else if (const auto* aligned = m.msg().downcast_ref<Aligned>()) {
                const bool ok = reinterpret_cast<std::uintptr_t>(aligned) % 64 == 0;
                (void)std::move(*sender).reply(ok ? *aligned : Aligned{});
            }
        }
    });
    CHECK(*echo.ask_anonymously('x').expect("ask").get().msg().downcast_ref<char>() == 'x');
    std::array<char, 1000> big{};
    big.fill('b');
    CHECK(*echo.ask_anonymously(big).expect("ask").get().msg().downcast_ref<std::array<char, 1000>>() == big);
    Aligned aligned{};
    aligned.bytes.fill('a');
    SignedMessage reply = echo.ask_anonymously(aligned).expect("ask").get();
    const Aligned* back = reply.msg().downcast_ref<Aligned>();
    REQUIRE(back != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(back) % 64 == 0);
    CHECK(back->bytes == aligned.bytes);
}

TEST_CASE("a ChildRef knows its group's name, even after the group and its system are gone") {
    std::optional<ChildRef> named;
    {
        RunningSystem system;
        named = Bastion::children([](Children c) {
                    return c.with_name("workers").with_exec([](BastionContext ctx) -> Exec {
                        (void)ctx.recv();
                        return Ok();
                    });
                }).expect("children").elems().at(0);
        ChildRef anonymous = Bastion::children([](Children c) { return c; }).expect("children").elems().at(0);
        CHECK(named->name() == "workers");
        CHECK(anonymous.name() == "__Anonymous__");
    }
    Bastion::init();  // replaces (and frees) the stopped system with its groups
    CHECK(named->name() == "workers");
    CHECK(named->tell_anonymously(1).is_err());
    Bastion::stop();
    Bastion::block_until_stopped();
}

TEST_CASE("tell ping-pong across two workers loses no wake-up (200k round trips, each within a deadline)") {
    RunningSystem system{Config{}.hide_backtraces().with_workers(2)};
    // The two actors are bound to different workers, so every send races the receiver going to sleep.
    const ChildRef ponger = Bastion::children([](Children c) {
                                return c.with_worker(1).with_exec([](BastionContext ctx) -> Exec {
                                    for (;;) {
                                        SignedMessage m = ctx.recv();
                                        (void)ctx.tell(m.signature(), *m.msg().downcast_ref<int>());
                                    }
                                });
                            })
                                .expect("children")
                                .elems()
                                .at(0);
    std::promise<int> done;
    Bastion::children([&](Children c) {
        return c.with_worker(0).with_exec([&](BastionContext ctx) -> Exec {
            int trips = 0;
            for (; trips < 200000; ++trips) {
                (void)ctx.tell(ponger.addr(), trips);
                auto echo = ctx.try_recv_timeout(5s);
                if (echo.is_err() || *echo.unwrap().msg().downcast_ref<int>() != trips) break;
            }
            done.set_value(trips);
            return Ok();
        });
    }).expect("children");
    auto trips = done.get_future();
    REQUIRE(trips.wait_for(60s) == std::future_status::ready);
    CHECK(trips.get() == 200000);
}

// A waiting receiver puts its mark in its mailbox's head; the one sender whose letter replaces it wakes the receiver.
TEST_CASE("bound receivers fed by three senders at once get every letter once, in order per sender, and stop") {
    constexpr int per_sender = 20000;
    constexpr int senders = 3;
    struct Tally {
        std::atomic<int> received{0};
        std::atomic<bool> in_order{true};
    };
    auto tallies = std::make_shared<std::array<Tally, 2>>();
    std::atomic<int> stopped_waiting{0};
    auto receiver_on = [&](std::uint32_t worker) {
        return Bastion::children([&, worker, tallies](Children c) {
                   return c.with_worker(worker).with_exec([&, worker, tallies](BastionContext ctx) -> Exec {
                       Tally& tally = (*tallies)[worker];
                       std::array<int, senders> next{};
                       try {
                           for (;;) {
                               SignedMessage m = ctx.recv();
                               const auto [from, seq] = *m.msg().downcast_ref<std::pair<int, int>>();
                               if (seq != next[from]++) tally.in_order.store(false);
                               tally.received.fetch_add(1);
                           }
                       } catch (const executor::ProcCancelled&) {
                           stopped_waiting.fetch_add(1);  // the stop found it waiting (watched by its worker)
                           throw;
                       }
                   });
               })
            .expect("children")
            .elems()
            .at(0);
    };
    std::optional<RunningSystem> system{std::in_place, Config{}.hide_backtraces().with_workers(2)};
    const std::array<ChildRef, 2> receivers{receiver_on(0), receiver_on(1)};
    std::atomic<int> refused{0};
    auto send_all = [&](int from) {
        for (int seq = 0; seq < per_sender; ++seq) {
            for (const ChildRef& receiver : receivers) {
                if (receiver.tell_anonymously(std::pair{from, seq}).is_err()) refused.fetch_add(1);
            }
        }
    };
    for (std::uint32_t worker = 0; worker < 2; ++worker) {
        Bastion::children([&, worker](Children c) {
            return c.with_worker(worker).with_exec([&, worker](BastionContext) -> Exec {
                send_all(static_cast<int>(worker));
                return Ok();
            });
        }).expect("children");
    }
    send_all(2);  // and this thread
    REQUIRE(wait_until("every letter received", [&] {
        return (*tallies)[0].received.load() == senders * per_sender &&
               (*tallies)[1].received.load() == senders * per_sender;
    }));
    CHECK(refused.load() == 0);
    CHECK((*tallies)[0].in_order.load());
    CHECK((*tallies)[1].in_order.load());
    auto stopping = std::async(std::launch::async, [&] { system.reset(); });
    REQUIRE(stopping.wait_for(10s) == std::future_status::ready);
    CHECK(stopped_waiting.load() == 2);
    CHECK((*tallies)[0].received.load() == senders * per_sender);  // nothing arrived twice
}

// A bound actor's worker watches the mailboxes its waiting actors wait on (a few at a time) and wakes them itself.
TEST_CASE("actors bound to a worker and waiting are woken: more than it watches, after timeouts, and while it sleeps") {
    RunningSystem system{Config{}.hide_backtraces().with_workers(2)};
    std::atomic<int> timeouts{0};
    // 40 on worker 1: more than one worker watches at once, so the rest wait on their parkers as unbound ones do.
    // Each waits with a timeout, so watched waits also end without a message.
    const ChildrenRef group = Bastion::children([&](Children c) {
                                  return c.with_worker(1).with_redundancy(40).with_exec(
                                      [&](BastionContext ctx) -> Exec {
                                          for (;;) {
                                              auto got = ctx.try_recv_timeout(10ms);
                                              if (got.is_err()) {
                                                  timeouts.fetch_add(1);
                                                  continue;
                                              }
                                              Msg& msg = got.unwrap().msg();
                                              if (auto sender = msg.take_sender()) {
                                                  (void)std::move(*sender).reply(*msg.downcast_ref<int>() + 1);
                                              }
                                          }
                                      });
                              }).expect("children");
    const std::vector<ChildRef> actors = group.elems();
    REQUIRE(actors.size() == 40);
    auto ask_all = [&](int round) {
        std::vector<Answer> answers;
        for (const ChildRef& actor : actors) answers.push_back(actor.ask_anonymously(round).expect("ask"));
        int answered = 0;
        for (Answer& answer : answers) {
            auto reply = answer.get_for(5s);
            if (reply.is_ok() && *reply.unwrap().msg().downcast_ref<int>() == round + 1) ++answered;
        }
        return answered;
    };
    // From a lightproc on worker 0, then from this thread, each while the actors wait.
    const int from_worker = executor::run([&] { return ask_all(1); });
    CHECK(from_worker == 40);
    CHECK(ask_all(2) == 40);
    // Let every wait time out a few times and both workers fall asleep, then ask again: the sender wakes worker 1.
    REQUIRE(wait_until("every actor timed out three times", [&] { return timeouts.load() >= 120; }));
    std::this_thread::sleep_for(50ms);
    CHECK(ask_all(3) == 40);
}
