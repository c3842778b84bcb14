// CHILDREN and SUPERVISOR: their keys and defaults, each case on a running system.
#include "dsl/recorder.hpp"

#include <bastion/bastion.hpp>
#include <bastion/dsl/children.hpp>
#include <bastion/dsl/msg.hpp>
#include <bastion/dsl/supervisor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;
using Lines = std::vector<std::string>;
using test::Recorder;
using test::RunningSystem;

TEST_SUITE("dsl") {

TEST_CASE("CHILDREN() makes one actor under the root supervisor that takes and ignores every message") {
    RunningSystem system;
    ChildrenRef group = CHILDREN();
    auto elems = group.elems();
    REQUIRE(elems.size() == 1);
    // Under the system's root supervisor, whose id is NIL_ID (as upstream: /supervisor#0000.../children#<id>).
    CHECK(group.path().parent_chain().size() == 1);
    CHECK(group.path().parent_chain().back() == NIL_ID);
    CHECK(group.path().elem()->is_children());
    REQUIRE(elems[0].tell_anonymously(1).is_ok());
    // The default action drops an ask, so it resolves to an error rather than hanging.
    auto answer = elems[0].ask_anonymously(2).expect("couldn't ask");
    CHECK(answer.get_for(5s).unwrap_err() == ReceiveError::Other());
}

TEST_CASE("CHILDREN(redundancy(3)) makes three actors, each running the action") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = CHILDREN(redundancy(3), action([rec](SignedMessage msg) {
                              MSG(std::move(msg), TELL(int x) { rec->add(std::to_string(x)); }, OTHERWISE(_) {});
                          }));
    auto elems = group.elems();
    REQUIRE(elems.size() == 3);
    for (std::size_t i = 0; i < elems.size(); ++i) REQUIRE(elems[i].tell_anonymously(static_cast<int>(i)).is_ok());
    auto lines = rec->wait_for(3, "one tell per actor");
    std::sort(lines.begin(), lines.end());
    CHECK(lines == Lines{"0", "1", "2"});
}

TEST_CASE("CHILDREN's action receives broadcasts, in every actor") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = CHILDREN(action([rec](SignedMessage msg) {
                              MSG(std::move(msg),
                                  BROADCAST(const std::string& s) { rec->add("broadcast " + s); },
                                  OTHERWISE(_) { rec->add("other"); });
                          }),
                          redundancy(2));  // keys in any order
    REQUIRE(group.elems().size() == 2);
    REQUIRE(group.broadcast(std::string{"hello"}).is_ok());
    CHECK(rec->wait_for(2, "the broadcast, twice") == Lines{"broadcast hello", "broadcast hello"});
}

TEST_CASE("CHILDREN's action may take the actor's context first, to ANSWER in MSG") {
    RunningSystem system;
    auto group = CHILDREN(action([](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg), ASK(int x) { (void)ANSWER(ctx, x * 2); }, OTHERWISE(_) {});
    }));
    auto child = test::only_elem(group);
    auto answer = child.ask_anonymously(21).expect("couldn't ask");
    auto reply = answer.get_for(5s).expect("no reply");
    CHECK(reply.signature() == child.addr());
    CHECK(MSG(std::move(reply), TELL(int v) { return v; }, OTHERWISE(_) { return -1; }) == 42);
}

TEST_CASE("CHILDREN(supervisor(sp)) places the group under that supervisor") {
    RunningSystem system;
    SupervisorRef sp = SUPERVISOR();
    auto group = CHILDREN(supervisor(sp), redundancy(2));
    const auto chain = group.path().parent_chain();
    REQUIRE(chain.size() == 1);  // a top-level supervisor's path is /supervisor#<id>, as upstream
    CHECK(chain.back() == sp.id());
    CHECK(group.elems().size() == 2);
    // Stopping the supervisor stops the group: its actors no longer take messages.
    REQUIRE(sp.stop().is_ok());
    auto child = group.elems().front();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool refused = false;
    while (!refused && std::chrono::steady_clock::now() < deadline) {
        refused = child.tell_anonymously(1).is_err();
        if (!refused) std::this_thread::sleep_for(1ms);
    }
    CHECK(refused);
}

TEST_CASE("CHILDREN(callbacks(cbs)) runs the group's callbacks in each actor") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto cbs = Callbacks{}.with_after_start([rec] { rec->add("after_start"); });
    auto group = CHILDREN(callbacks(cbs), redundancy(2));
    CHECK(rec->wait_for(2, "after_start in both actors") == Lines{"after_start", "after_start"});
    CHECK(group.elems().size() == 2);
}

TEST_CASE("each CHILDREN actor runs its own copy of a mutable action, fresh on every restart") {
    RunningSystem system;
    auto rec = std::make_shared<Recorder>();
    auto group = CHILDREN(action([rec, count = 0](SignedMessage msg) mutable {
        ++count;
        MSG(std::move(msg),
            TELL(const char* what) {
                if (std::string{what} == "fail") throw std::runtime_error{"asked to fail"};
                rec->add(std::string{what} + " " + std::to_string(count));
            },
            OTHERWISE(_) {});
    }));
    auto child = test::only_elem(group);
    REQUIRE(child.tell_anonymously("a").is_ok());
    REQUIRE(child.tell_anonymously("b").is_ok());
    REQUIRE(child.tell_anonymously("fail").is_ok());
    REQUIRE(child.tell_anonymously("c").is_ok());
    CHECK(rec->wait_for(3, "three counted messages") == Lines{"a 1", "b 2", "c 1"});
}

TEST_CASE("SUPERVISOR() defaults to OneForAll; strategy(s) overrides it") {
    RunningSystem system;
    // Two groups under one supervisor; the first fails on demand, the second counts its starts.
    auto starts_of_second = [](SupervisorRef sp, std::shared_ptr<std::atomic<int>> starts) {
        auto failing = CHILDREN(supervisor(sp), action([](SignedMessage msg) {
                                    MSG(std::move(msg),
                                        TELL(int) { throw std::runtime_error{"fail"}; },
                                        OTHERWISE(_) {});
                                }));
        CHILDREN(supervisor(sp), callbacks(Callbacks{}.with_before_start([starts] { ++*starts; })));
        return test::only_elem(failing);
    };
    auto wait_for_starts = [](const std::atomic<int>& starts, int n) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (starts.load() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
        return starts.load();
    };

    SUBCASE("OneForAll by default: the sibling group restarts too") {
        auto starts = std::make_shared<std::atomic<int>>(0);
        auto failing = starts_of_second(SUPERVISOR(), starts);
        REQUIRE(wait_for_starts(*starts, 1) == 1);
        REQUIRE(failing.tell_anonymously(1).is_ok());
        CHECK(wait_for_starts(*starts, 2) == 2);
    }
    SUBCASE("strategy(OneForOne): the sibling group keeps running") {
        auto starts = std::make_shared<std::atomic<int>>(0);
        auto restarted = std::make_shared<Recorder>();
        auto sp = SUPERVISOR(callbacks(Callbacks{}), strategy(SupervisionStrategy::OneForOne));
        auto failing = starts_of_second(sp, starts);
        // A third group, after the others, whose restarts would show a OneForAll or RestForOne.
        CHILDREN(supervisor(sp), callbacks(Callbacks{}.with_after_restart([restarted] { restarted->add("restart"); })));
        REQUIRE(wait_for_starts(*starts, 1) == 1);
        REQUIRE(failing.tell_anonymously(1).is_ok());
        // The failed actor is back when it takes a message again; by then a sibling's restart would have begun.
        auto probe = failing.ask_anonymously(2.0).expect("couldn't ask");
        CHECK(probe.get_for(5s).unwrap_err() == ReceiveError::Other());
        CHECK(starts->load() == 1);
        CHECK(restarted->lines().empty());
    }
}

}  // TEST_SUITE
