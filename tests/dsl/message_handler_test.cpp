// MessageHandler, checked against MSG on the same messages, each case on a running system.
#include "dsl/recorder.hpp"

#include <bastion/answer.hpp>
#include <bastion/bastion.hpp>
#include <bastion/dsl/msg.hpp>
#include <bastion/message_handler.hpp>

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

const char* kind_of(const Msg& msg) { return msg.is_ask() ? "ask" : msg.is_tell() ? "tell" : "broadcast"; }

const char* who(const RefAddr& from) { return from.is_sender_identified() ? "someone" : "anonymous"; }

// The same dispatch twice: once with MSG, once with MessageHandler. Each returns a label that its actor records.
std::string with_msg(BastionContext& ctx, SignedMessage msg) {
    return MSG(std::move(msg),
               ASK(std::string q) {
                   (void)ANSWER(ctx, "answer " + q);
                   return "question " + q;
               },
               BROADCAST(const std::string& b) { return "broadcast " + b + " from " + who(SIGNATURE()); },
               TELL(std::string t) { return "tell string " + t + " from " + who(SIGNATURE()); },
               TELL(const char* t) { return std::string{"tell const char* "} + t; },
               TELL(std::string_view t) { return "tell string_view " + std::string{t}; },
               TELL(int x) { return "first int " + std::to_string(x); },
               TELL(int x) { return "second int " + std::to_string(x); },
               TELL(std::unique_ptr<int> p) { return "tell unique_ptr " + std::to_string(*p); },
               OTHERWISE(unknown) { return std::string{"fallback "} + kind_of(unknown); });
}

std::string with_handler(BastionContext&, SignedMessage msg) {
    return MessageHandler<std::string>{std::move(msg)}
        .on_question([](std::string q, AnswerSender sender) {
            (void)std::move(sender).reply("answer " + q);
            return "question " + q;
        })
        .on_broadcast([](const std::string& b, RefAddr from) { return "broadcast " + b + " from " + who(from); })
        .on_tell([](std::string t, RefAddr from) { return "tell string " + t + " from " + who(from); })
        .on_tell([](const char* t, RefAddr) { return std::string{"tell const char* "} + t; })
        .on_tell([](std::string_view t, RefAddr) { return "tell string_view " + std::string{t}; })
        .on_tell([](int x, RefAddr) { return "first int " + std::to_string(x); })
        .on_tell([](int x, RefAddr) { return "second int " + std::to_string(x); })
        .on_tell([](std::unique_ptr<int> p, RefAddr) { return "tell unique_ptr " + std::to_string(*p); })
        .on_fallback([](Msg& unknown, RefAddr) { return std::string{"fallback "} + kind_of(unknown); });
}

using Dispatch = std::string (*)(BastionContext&, SignedMessage);

// Sends the same messages to an actor dispatching with `dispatch`; returns what it recorded and what the asks got.
Lines run_inputs(Dispatch dispatch) {
    auto rec = std::make_shared<Recorder>();
    auto group = Bastion::children([rec, dispatch](Children children) {
                     return children.with_exec([rec, dispatch](BastionContext ctx) -> Exec {
                         for (;;) rec->add(dispatch(ctx, ctx.recv()));
                     });
                 }).expect("couldn't start the group");
    auto child = test::only_elem(group);
    Lines answers;
    auto ask = [&](auto question) {
        auto answer = child.ask_anonymously(std::move(question)).expect("couldn't ask");
        auto reply = answer.get_for(5s);
        if (reply.is_err()) {
            answers.push_back("no answer");
            return;
        }
        answers.push_back(MSG(std::move(reply),
                              TELL(std::string s) { return s; },
                              OTHERWISE(_) { return std::string{}; }));
    };
    auto step = [&, sent = std::size_t{0}](auto send) mutable {
        REQUIRE(send());
        rec->wait_for(++sent, "the message just sent");
    };
    step([&] { return child.tell_anonymously(std::string{"t"}).is_ok(); });
    step([&] { return group.broadcast(std::string{"b"}).is_ok(); });
    ask(std::string{"q"});
    step([&] { return child.tell_anonymously("lit").is_ok(); });
    step([&] { return child.tell_anonymously(std::string_view{"view"}).is_ok(); });
    step([&] { return child.tell_anonymously(3).is_ok(); });
    ask(4);
    step([&] { return child.tell_anonymously(std::make_unique<int>(8)).is_ok(); });
    step([&] { return group.broadcast(5).is_ok(); });
    Lines lines = rec->wait_for(9, "nine messages");
    lines.insert(lines.end(), answers.begin(), answers.end());
    return lines;
}

}  // namespace

TEST_SUITE("dsl") {

TEST_CASE("MessageHandler and MSG dispatch the same messages the same way") {
    const Lines expected{"tell string t from anonymous",
                         "broadcast b from anonymous",
                         "question q",
                         "tell const char* lit",
                         "tell string_view view",
                         "first int 3",
                         "fallback ask",
                         "tell unique_ptr 8",
                         "fallback broadcast",
                         "answer q",
                         "no answer"};
    Lines by_msg, by_handler;
    {
        RunningSystem system;
        by_msg = run_inputs(&with_msg);
    }
    {
        RunningSystem system;
        by_handler = run_inputs(&with_handler);
    }
    CHECK(by_msg == expected);
    CHECK(by_handler == expected);
}

TEST_CASE("MessageHandler<void> runs only the first handler that matches") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = Bastion::children([rec](Children children) {
                     return children.with_exec([rec](BastionContext ctx) -> Exec {
                         for (;;) {
                             MessageHandler{ctx.recv()}  // MessageHandler<void>
                                 .on_tell([&](int x, RefAddr) { rec->add("first " + std::to_string(x)); })
                                 .on_tell([&](const int& x, RefAddr) { rec->add("second " + std::to_string(x)); })
                                 .on_broadcast([&](const int& x, RefAddr) {
                                     rec->add("broadcast " + std::to_string(x));
                                 })
                                 .on_fallback([&](Msg&, RefAddr) { rec->add("fallback"); });
                         }
                     });
                 }).expect("couldn't start the group");
    auto child = test::only_elem(group);
    REQUIRE(child.tell_anonymously(1).is_ok());
    REQUIRE(group.broadcast(2).is_ok());
    REQUIRE(child.tell_anonymously(3u).is_ok());
    CHECK(rec->wait_for(3, "three messages") == Lines{"first 1", "broadcast 2", "fallback"});
}

TEST_CASE("on_tell<T> names the payload type for a handler with an auto parameter") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = Bastion::children([rec](Children children) {
                     return children.with_exec([rec](BastionContext ctx) -> Exec {
                         for (;;) {
                             const int n = MessageHandler<int>{ctx.recv()}
                                               .on_tell<std::string>([](auto s, RefAddr) { return int(s.size()); })
                                               .on_question<int>([](auto x, auto sender) {
                                                   (void)std::move(sender).reply(x + 1);
                                                   return x;
                                               })
                                               .on_fallback([](Msg&, RefAddr) { return -1; });
                             rec->add(std::to_string(n));
                         }
                     });
                 }).expect("couldn't start the group");
    auto child = test::only_elem(group);
    REQUIRE(child.tell_anonymously(std::string{"four"}).is_ok());
    auto answer = child.ask_anonymously(6).expect("couldn't ask");
    auto reply = answer.get_for(5s).expect("no reply");
    CHECK(reply.signature() == child.addr());
    CHECK(MSG(std::move(reply), TELL(int v) { return v; }, OTHERWISE(_) { return -1; }) == 7);
    REQUIRE(child.tell_anonymously(1.5).is_ok());
    CHECK(rec->wait_for(3, "three messages") == Lines{"4", "6", "-1"});
}

TEST_CASE("a question no handler takes resolves its asker's Answer to an error, with or without on_fallback") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = Bastion::children([rec](Children children) {
                     return children.with_exec([rec](BastionContext ctx) -> Exec {
                         for (;;) {
                             auto msg = ctx.recv();
                             if (msg.msg().is<int>()) {
                                 MessageHandler{std::move(msg)}
                                     .on_tell([](int, RefAddr) {})
                                     .on_fallback([&](Msg& unknown, RefAddr) {
                                         rec->add(std::string{"fallback, can reply: "} +
                                                  (unknown.take_sender() ? "yes" : "no"));
                                     });
                             } else {
                                 (void)MessageHandler{std::move(msg)}.on_tell([](double, RefAddr) {});
                                 rec->add("chain dropped");
                             }
                         }
                     });
                 }).expect("couldn't start the group");
    auto child = test::only_elem(group);
    auto first = child.ask_anonymously(1).expect("couldn't ask");
    CHECK(first.get_for(5s).unwrap_err() == ReceiveError::Other());
    auto second = child.ask_anonymously(2.0).expect("couldn't ask");
    CHECK(second.get_for(5s).unwrap_err() == ReceiveError::Other());
    CHECK(rec->wait_for(2, "both asks") == Lines{"fallback, can reply: no", "chain dropped"});
}

}  // TEST_SUITE
