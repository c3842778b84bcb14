#include <bastion/prelude.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace bastion;

namespace {
struct GlobalState {
    int amount = 0;
};
using Shared = std::shared_ptr<GlobalState>;
}  // namespace

TEST_SUITE("executor") {
TEST_CASE("a ProcStack carries its pid, default 0xDEADBEEF as upstream") {
    CHECK(ProcStack{}.get_pid() == 0xDEADBEEF);
    CHECK(ProcStack{}.with_pid(7).get_pid() == 7);
}

TEST_CASE("hooks add 1 before start, 3 after the panic and 2 after completion: 6, as state_change.rs") {
    auto gs = std::make_shared<GlobalState>();
    std::vector<std::string> order;
    std::mutex order_mutex;
    auto note = [&](const char* what) {
        std::lock_guard lock{order_mutex};
        order.emplace_back(what);
    };
    auto stack = ProcStack{}
                     .with_pid(1)
                     .with_state(gs)
                     .with_before_start([&](Shared& s) { s->amount += 1, note("before_start"); })
                     .with_after_complete([&](Shared& s) { s->amount += 2, note("after_complete"); })
                     .with_after_panic([&](Shared& s) { s->amount += 3, note("after_panic"); });
    auto handle = spawn([]() -> int { throw std::runtime_error("Panic here!"); }, stack);
    CHECK_FALSE(handle.get().has_value());
    CHECK(gs->amount == 6);
    CHECK(order == std::vector<std::string>{"before_start", "after_panic", "after_complete"});
}

TEST_CASE("after_panic receives the exception that ended the lightproc") {
    std::string seen;
    auto stack = ProcStack{}.with_after_panic([&](EmptyProcState&, const std::exception_ptr& error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::runtime_error& e) {
            seen = e.what();
        }
    });
    auto handle = spawn([]() -> int { throw std::runtime_error("fault"); }, stack);
    (void)handle.get();
    CHECK(seen == "fault");
}

TEST_CASE("a completed lightproc runs before_start and after_complete once each, never after_panic") {
    int before = 0, complete = 0, panic = 0;
    auto stack = ProcStack{}
                     .with_before_start([&](EmptyProcState&) { ++before; })
                     .with_after_complete([&](EmptyProcState&) { ++complete; })
                     .with_after_panic([&](EmptyProcState&) { ++panic; });
    CHECK(*spawn([] { return 5; }, stack).get() == 5);
    CHECK(before == 1);
    CHECK(complete == 1);
    CHECK(panic == 0);
}

TEST_CASE("get_state copies the state out; a wrong type is a logic_error") {
    auto stack = ProcStack{}.with_state(41);
    CHECK(stack.get_state<int>() == 41);
    CHECK_THROWS_AS(stack.get_state<long>(), std::logic_error);
}

TEST_CASE("a hook whose state type differs from the stack's fails the lightproc with a logic_error") {
    auto stack = ProcStack{}.with_state(1).with_before_start([](std::string&) {});
    auto handle = spawn([] { return 1; }, stack);
    CHECK_FALSE(handle.get().has_value());
    REQUIRE(handle.panic() != nullptr);
    CHECK_THROWS_AS(std::rethrow_exception(handle.panic()), std::logic_error);
}
}
