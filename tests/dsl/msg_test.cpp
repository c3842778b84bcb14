// MSG, its arms, ANSWER, SIGNATURE and RUN(answer), each case on a running system.
#include "dsl/recorder.hpp"

#include <bastion/answer.hpp>
#include <bastion/bastion.hpp>
#include <bastion/dsl/msg.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;
using Lines = std::vector<std::string>;
using test::Recorder;
using test::RunningSystem;

namespace {

// A group of one actor that runs `handle(ctx, msg)` on every message it receives.
template <class Handle>
ChildRef spawn_handler(Handle handle) {
    auto group = Bastion::children([handle](Children children) {
                     return children.with_exec([handle](BastionContext ctx) -> Exec {
                         for (;;) handle(ctx, ctx.recv());
                     });
                 }).expect("couldn't start the group");
    return test::only_elem(group);
}

// The reply to `answer` as an int (-1 if it is not one), waiting at most 5 s.
int reply_int(Answer& answer) {
    return MSG(answer.get_for(5s), TELL(int value) { return value; }, OTHERWISE(_) { return -1; });
}

}  // namespace

TEST_SUITE("dsl") {

TEST_CASE("MSG dispatches on the kind first: a tell of std::string skips a BROADCAST arm for std::string") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = Bastion::children([rec](Children children) {
                     return children.with_exec([rec](BastionContext ctx) -> Exec {
                         for (;;) {
                             MSG(ctx.recv(),
                                 BROADCAST(const std::string& s) { rec->add("broadcast " + s); },
                                 TELL(std::string s) { rec->add("tell " + s); },
                                 ASK(int x) { rec->add("ask " + std::to_string(x)); },
                                 OTHERWISE(unknown) { rec->add(unknown.is_ask() ? "otherwise ask" : "otherwise"); });
                         }
                     });
                 }).expect("couldn't start the group");
    auto child = test::only_elem(group);

    REQUIRE(child.tell_anonymously(std::string{"a"}).is_ok());
    REQUIRE(rec->wait_for(1, "the tell").back() == "tell a");
    REQUIRE(group.broadcast(std::string{"b"}).is_ok());
    REQUIRE(rec->wait_for(2, "the broadcast").back() == "broadcast b");
    // An ask of std::string: no ASK arm takes std::string, so OTHERWISE, though two other arms take std::string.
    auto answer = child.ask_anonymously(std::string{"c"}).expect("couldn't ask");
    REQUIRE(rec->wait_for(3, "the ask").back() == "otherwise ask");
    CHECK(answer.get_for(5s).is_err());
    // A broadcast of int: the ASK(int) arm does not take it.
    REQUIRE(group.broadcast(7).is_ok());
    CHECK(rec->wait_for(4, "the int broadcast") == Lines{"tell a", "broadcast b", "otherwise ask", "otherwise"});
}

TEST_CASE("MSG runs the first arm, in order, whose type matches") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto child = spawn_handler([rec](BastionContext&, SignedMessage msg) {
        MSG(std::move(msg),
            TELL(std::string_view s) { rec->add("view " + std::string{s}); },
            TELL(int x) { rec->add("first " + std::to_string(x)); },
            TELL(const int& x) { rec->add("second " + std::to_string(x)); },
            TELL(std::string s) { rec->add("string " + s); },
            TELL(const std::string& s) { rec->add("string again " + s); },
            OTHERWISE(_) { rec->add("otherwise"); });
    });
    REQUIRE(child.tell_anonymously(1).is_ok());
    REQUIRE(child.tell_anonymously(std::string{"s"}).is_ok());
    REQUIRE(child.tell_anonymously(2).is_ok());
    CHECK(rec->wait_for(3, "three tells") == Lines{"first 1", "string s", "first 2"});
}

TEST_CASE("MSG matches exact types: const char*, std::string and std::string_view are three types") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto child = spawn_handler([rec](BastionContext&, SignedMessage msg) {
        MSG(std::move(msg),
            TELL(const char* s) { rec->add(std::string{"const char* "} + s); },
            TELL(const std::string& s) { rec->add("std::string " + s); },
            TELL(std::string_view s) { rec->add("std::string_view " + std::string{s}); },
            OTHERWISE(unknown) { rec->add(std::string{"otherwise "} + (unknown.is<long>() ? "long" : "?")); });
    });
    REQUIRE(child.tell_anonymously("literal").is_ok());
    REQUIRE(child.tell_anonymously(std::string{"string"}).is_ok());
    REQUIRE(child.tell_anonymously(std::string_view{"view"}).is_ok());
    REQUIRE(child.tell_anonymously(5L).is_ok());
    CHECK(rec->wait_for(4, "four tells") ==
          Lines{"const char* literal", "std::string string", "std::string_view view", "otherwise long"});
}

TEST_CASE("MSG is an expression: it yields the value of the arm that ran") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto child = spawn_handler([rec](BastionContext&, SignedMessage msg) {
        const int n = MSG(std::move(msg),
                          BROADCAST(const std::string& s) { return static_cast<int>(s.size()); },
                          TELL(int x) { return x * 10; },
                          OTHERWISE(_) { return -1; });
        rec->add(std::to_string(n));
    });
    REQUIRE(child.tell_anonymously(4).is_ok());
    REQUIRE(child.tell_anonymously(2.5).is_ok());
    CHECK(rec->wait_for(2, "two tells") == Lines{"40", "-1"});
}

TEST_CASE("ANSWER replies with the value, and the reply is signed by the replier") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto target = spawn_handler([rec](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg),
            ASK(int x) {
                auto sent = ANSWER(ctx, x + 1);
                rec->add(sent.is_ok() ? "answered" : "asker gone");
            },
            OTHERWISE(_) {});
    });
    auto answer = target.ask_anonymously(41).expect("couldn't ask");
    auto reply = answer.get_for(5s).expect("no reply");
    CHECK(reply.signature() == target.addr());
    CHECK(reply.msg().is_tell());
    CHECK(MSG(std::move(reply), TELL(int v) { return v; }, OTHERWISE(_) { return -1; }) == 42);
    CHECK(rec->wait_for(1, "ANSWER's result") == Lines{"answered"});
}

TEST_CASE("an ask that reaches OTHERWISE (or a TELL arm of its type) resolves the asker's Answer to an error") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto target = spawn_handler([rec](BastionContext&, SignedMessage msg) {
        MSG(std::move(msg), TELL(int) { rec->add("tell arm"); }, OTHERWISE(_) { rec->add("otherwise"); });
    });
    auto answer = target.ask_anonymously(3).expect("couldn't ask");
    auto reply = answer.get_for(5s);
    REQUIRE(reply.is_err());
    CHECK(reply.unwrap_err() == ReceiveError::Other());
    CHECK(rec->wait_for(1, "the ask") == Lines{"otherwise"});

    auto again = target.ask_anonymously(4).expect("couldn't ask");
    CHECK_THROWS_AS(again.get(), AnswerError);
}

TEST_CASE("SIGNATURE() is the sender's address, in ASK and TELL arms alike") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    // The echo actor answers an ask with the asker's address, and tells the teller "pong" back.
    auto echo = spawn_handler([](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg),
            ASK(const char*) { (void)ANSWER(ctx, SIGNATURE()); },
            TELL(const char*) { (void)ctx.tell(SIGNATURE(), std::string{"pong"}); },
            OTHERWISE(_) {});
    });
    auto echo_addr = echo.addr();
    auto asker = spawn_handler([rec, echo_addr](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg),
            TELL(const char* go) {
                if (std::string_view{go} != "go") return;
                auto answer = ctx.ask(echo_addr, "who am I?").expect("couldn't ask");
                MSG(answer.get(),
                    TELL(RefAddr who) {
                        rec->add(who == ctx.signature() ? "ask: me" : "ask: someone else");
                        rec->add(SIGNATURE() == echo_addr ? "reply from echo" : "reply from elsewhere");
                    },
                    OTHERWISE(_) { rec->add("unexpected reply"); });
                (void)ctx.tell(echo_addr, "ping");
            },
            TELL(std::string pong) { rec->add(pong + (SIGNATURE() == echo_addr ? " from echo" : " from elsewhere")); },
            OTHERWISE(_) {});
    });
    REQUIRE(asker.tell_anonymously("go").is_ok());
    CHECK(rec->wait_for(3, "the round trips") == Lines{"ask: me", "reply from echo", "pong from echo"});
}

TEST_CASE("move-only payloads travel through TELL and ASK") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto child = spawn_handler([rec](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg),
            TELL(std::unique_ptr<int> p) { rec->add("tell " + std::to_string(*p)); },
            ASK(std::unique_ptr<int> p) { (void)ANSWER(ctx, std::make_unique<int>(*p * 2)); },
            OTHERWISE(_) {});
    });
    REQUIRE(child.tell_anonymously(std::make_unique<int>(7)).is_ok());
    CHECK(rec->wait_for(1, "the tell") == Lines{"tell 7"});
    auto answer = child.ask_anonymously(std::make_unique<int>(5)).expect("couldn't ask");
    auto doubled = MSG(answer.get_for(5s),
                       TELL(std::unique_ptr<int> p) { return p; },
                       OTHERWISE(_) { return std::unique_ptr<int>{}; });
    REQUIRE(doubled != nullptr);
    CHECK(*doubled == 10);
}

TEST_CASE("MSG takes a Result<SignedMessage, E>: Ok dispatches, Err throws MessageError") {
    RunningSystem system;
    auto child = spawn_handler([](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg), ASK(int x) { (void)ANSWER(ctx, x); }, OTHERWISE(_) {});
    });
    auto answered = child.ask_anonymously(9).expect("couldn't ask");
    CHECK(MSG(answered.try_get(), TELL(int v) { return v; }, OTHERWISE(_) { return -1; }) == 9);

    auto dropped = child.ask_anonymously(std::string{"not an int"}).expect("couldn't ask");
    bool ran = false;
    CHECK_THROWS_WITH_AS(MSG(dropped.try_get(), TELL(int) { ran = true; }, OTHERWISE(_) { ran = true; }),
                         "bastion: MSG got Err instead of a message: Other", MessageError);
    CHECK_FALSE(ran);
}

TEST_CASE("an Err given to MSG inside an actor faults it, and its supervisor restarts it") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = Bastion::children([rec](Children children) {
                     return children
                         .with_callbacks(Callbacks{}.with_after_restart([rec] { rec->add("restarted"); }))
                         .with_exec([rec](BastionContext ctx) -> Exec {
                             for (;;) {
                                 MSG(ctx.try_recv_timeout(1ms), TELL(int) {}, OTHERWISE(_) {});
                             }
                         });
                 }).expect("couldn't start the group");
    CHECK(rec->wait_for(1, "a restart after the receive timed out").front() == "restarted");
}

TEST_CASE("ANSWER(signed_msg, value) answers an ask held as a SignedMessage, and throws for a tell") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto child = spawn_handler([rec](BastionContext&, SignedMessage msg) {
        try {
            auto sent = ANSWER(msg, std::string{"answered"});
            rec->add(sent.is_ok() ? "ok" : "asker gone");
        } catch (const MessageError& error) {
            rec->add(error.what());
        }
    });
    auto answer = child.ask_anonymously(1).expect("couldn't ask");
    CHECK(MSG(answer.get_for(5s), TELL(std::string s) { return s; }, OTHERWISE(_) { return std::string{}; }) ==
          "answered");
    REQUIRE(child.tell_anonymously(2).is_ok());
    CHECK(rec->wait_for(2, "the ask and the tell") ==
          Lines{"ok", "bastion: ANSWER(msg, reply): the message is not an ask, or was answered already"});
}

TEST_CASE("ANSWER in a TELL arm of a MSG nested in an ASK arm answers the outer ask") {
    RunningSystem system;
    auto worker = spawn_handler([](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg), ASK(int x) { (void)ANSWER(ctx, x + 1); }, OTHERWISE(_) {});
    });
    auto worker_addr = worker.addr();
    auto forwarder = spawn_handler([worker_addr](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg),
            ASK(int x) {
                auto inner = ctx.ask(worker_addr, x * 2).expect("couldn't ask the worker");
                MSG(inner.get(), TELL(int y) { (void)ANSWER(ctx, y); }, OTHERWISE(_) {});
            },
            OTHERWISE(_) {});
    });
    auto answer = forwarder.ask_anonymously(20).expect("couldn't ask");
    CHECK(reply_int(answer) == 41);
}

TEST_CASE("an ask takes one reply: a second ANSWER throws MessageError") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto child = spawn_handler([rec](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg),
            ASK(int x) {
                (void)ANSWER(ctx, x);
                try {
                    (void)ANSWER(ctx, x + 1);
                    rec->add("answered twice");
                } catch (const MessageError& error) {
                    rec->add(error.what());
                }
            },
            OTHERWISE(_) {});
    });
    auto answer = child.ask_anonymously(5).expect("couldn't ask");
    CHECK(reply_int(answer) == 5);
    CHECK(rec->wait_for(1, "the second ANSWER") ==
          Lines{"bastion: ANSWER: this ask was answered already (an ask takes one reply)"});
}

TEST_CASE("ANSWER hands the reply back when the asker has stopped waiting") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto child = spawn_handler([rec](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg),
            ASK(int x) {
                // Answer only once told to: by then the asker has dropped its Answer.
                MSG(ctx.recv(), TELL(const char*) {}, OTHERWISE(_) {});
                auto sent = ANSWER(ctx, std::make_unique<int>(x));
                rec->add(sent.is_err() ? "back: " + std::to_string(*sent.unwrap_err()) : "sent");
            },
            OTHERWISE(_) {});
    });
    {
        auto answer = child.ask_anonymously(12).expect("couldn't ask");
    }
    REQUIRE(child.tell_anonymously("now").is_ok());
    CHECK(rec->wait_for(1, "the late ANSWER") == Lines{"back: 12"});
}

TEST_CASE("RUN(answer) waits for the reply and yields Result<SignedMessage, ReceiveError>") {
    RunningSystem system;
    auto child = spawn_handler([](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg), ASK(int x) { (void)ANSWER(ctx, x * 3); }, OTHERWISE(_) {});
    });
    auto answer = child.ask_anonymously(3).expect("couldn't ask");
    Result<SignedMessage, ReceiveError> reply = RUN(answer);
    REQUIRE(reply.is_ok());
    CHECK(MSG(std::move(reply), TELL(int v) { return v; }, OTHERWISE(_) { return -1; }) == 9);

    auto unanswered = RUN(child.ask_anonymously(2.0).expect("couldn't ask"));
    REQUIRE(unanswered.is_err());
    CHECK(unanswered.unwrap_err() == ReceiveError::Other());
}

TEST_CASE("a BROADCAST arm may take its payload by value: each receiver gets a copy") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = Bastion::children([rec](Children children) {
                     return children.with_redundancy(2).with_exec([rec](BastionContext ctx) -> Exec {
                         for (;;) {
                             MSG(ctx.recv(),
                                 BROADCAST(std::string s) {
                                     s += "!";
                                     rec->add(s);
                                 },
                                 OTHERWISE(_) {});
                         }
                     });
                 }).expect("couldn't start the group");
    REQUIRE(group.broadcast(std::string{"hi"}).is_ok());
    CHECK(rec->wait_for(2, "both receivers") == Lines{"hi!", "hi!"});
}

}  // TEST_SUITE
