// Dead letters: every letter no actor will read is counted, and a hook may see it (issue 18; Akka's deadLetters).

#include "support/system.hpp"

#include <bastion/bastion.hpp>
#include <bastion/dead_letters.hpp>
#include <bastion/executor/this_proc.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;
using bastion::test::RunningSystem;
using bastion::test::wait_until;

TEST_SUITE_BEGIN("actor");

namespace {

struct Seen {
    std::mutex lock;
    std::vector<std::string> lines;
    void add(std::string line) {
        std::lock_guard guard{lock};
        lines.push_back(std::move(line));
    }
    std::vector<std::string> all() {
        std::lock_guard guard{lock};
        return lines;
    }
};

// Installs a hook that records each dead letter as "<reason> <int payload or type> ask?", removed on scope exit.
struct Recording {
    std::shared_ptr<Seen> seen = std::make_shared<Seen>();
    Recording() {
        DeadLetters::set_hook([seen = seen](const DeadLetter& letter) {
            std::string line = letter.reason() == DeadLetterReason::Returned ? "returned " : "dropped ";
            if (const int* n = letter.downcast_ref<int>()) {
                line += std::to_string(*n);
            } else {
                line += "other";
            }
            if (letter.is_ask()) line += " ask";
            seen->add(line);
        });
    }
    ~Recording() { DeadLetters::set_hook({}); }
};

ChildRef reader(std::shared_ptr<std::atomic<int>> read, bool reads) {
    return Bastion::children([&](Children c) {
               return c.with_exec([read, reads](BastionContext ctx) -> Exec {
                   if (!reads) {
                       for (;;) executor::this_proc::sleep_for(1s);  // never reads: its letters stay unread
                   }
                   for (;;) {
                       (void)ctx.recv();
                       read->fetch_add(1);
                   }
               });
           })
        .expect("children")
        .elems()
        .at(0);
}

}  // namespace

TEST_CASE("a send to a stopped actor is counted as a returned dead letter, and the hook sees it") {
    RunningSystem system;
    Recording recording;
    auto read = std::make_shared<std::atomic<int>>(0);
    ChildRef actor = reader(read, true);
    REQUIRE(actor.stop().is_ok());
    REQUIRE(wait_until("sends come back", [&] { return actor.tell_anonymously(0).is_err(); }));
    const std::uint64_t before = DeadLetters::count();
    auto told = actor.tell_anonymously(42);
    REQUIRE(told.is_err());
    CHECK(std::move(told).unwrap_err() == 42);  // still handed back
    CHECK(actor.ask_anonymously(7).is_err());
    CHECK(DeadLetters::count() == before + 2);
    const auto lines = recording.seen->all();
    REQUIRE(lines.size() >= 2);
    CHECK(lines[lines.size() - 2] == "returned 42");
    CHECK(lines.back() == "returned 7 ask");
}

TEST_CASE("letters left unread when an actor stops for good are counted as dropped, asks included") {
    RunningSystem system;
    Recording recording;
    auto read = std::make_shared<std::atomic<int>>(0);
    ChildRef actor = reader(read, false);
    for (int i = 1; i <= 5; ++i) REQUIRE(actor.tell_anonymously(i).is_ok());
    Answer answer = actor.ask_anonymously(6).expect("ask");
    const std::uint64_t before = DeadLetters::count();
    REQUIRE(actor.stop().is_ok());
    CHECK(answer.get_for(5s).is_err());  // the ask dropped with the rest resolves to an error
    REQUIRE(wait_until("six dead letters", [&] { return DeadLetters::count() >= before + 6; }));
    CHECK(DeadLetters::count() == before + 6);
    const auto lines = recording.seen->all();
    REQUIRE(lines.size() == 6);
    CHECK(lines == std::vector<std::string>{"dropped 1", "dropped 2", "dropped 3", "dropped 4", "dropped 5",
                                            "dropped 6 ask"});
}

TEST_CASE("a letter an actor reads is no dead letter, and a hook that throws is contained") {
    RunningSystem system;
    DeadLetters::set_hook([](const DeadLetter&) { throw std::runtime_error{"a bad hook"}; });
    auto read = std::make_shared<std::atomic<int>>(0);
    ChildRef actor = reader(read, true);
    const std::uint64_t before = DeadLetters::count();
    for (int i = 0; i < 100; ++i) REQUIRE(actor.tell_anonymously(i).is_ok());
    REQUIRE(wait_until("all read", [&] { return read->load() == 100; }));
    CHECK(DeadLetters::count() == before);
    REQUIRE(actor.stop().is_ok());
    REQUIRE(wait_until("sends come back", [&] { return actor.tell_anonymously(0).is_err(); }));
    DeadLetters::set_hook({});
    CHECK(DeadLetters::count() >= before + 1);
}

TEST_SUITE_END();
