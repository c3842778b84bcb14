// Dispatchers: types and targets, the registry (upstream's dispatcher tests), round robin and broadcast-to-all
// handlers, custom handlers and their notifications, and membership across failures and restarts.

#include "support/system.hpp"

#include <bastion/bastion.hpp>
#include <bastion/broadcast_target.hpp>
#include <bastion/dispatcher.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;
using bastion::test::RunningSystem;
using bastion::test::wait_until;

namespace {

// What `broadcast_message` gave back for one value.
struct Outcome {
    bool ok = false;
    SendError::Kind kind{};
    std::string detail;
    std::optional<int> back;  // the message that came back
};

// Asked to a caller actor: broadcast each value to the target, answer with the outcomes.
struct Job {
    BroadcastTarget target;
    std::vector<int> values;
};

// A group of one actor that runs Jobs, from inside an actor as broadcast_message requires.
ChildRef start_caller() {
    return Bastion::children([](Children c) {
               return c.with_exec([](BastionContext ctx) -> Exec {
                   for (;;) {
                       SignedMessage m = ctx.recv();
                       Msg& msg = m.msg();
                       if (!msg.is_ask() || !msg.is<Job>()) continue;
                       auto sender = msg.take_sender();
                       Job job = std::move(msg).downcast<Job>().unwrap();
                       std::vector<Outcome> outcomes;
                       for (int value : job.values) {
                           auto result = ctx.broadcast_message(job.target, value);
                           Outcome outcome;
                           outcome.ok = result.is_ok();
                           if (!outcome.ok) {
                               SendError error = std::move(result).unwrap_err();
                               outcome.kind = error.kind();
                               outcome.detail = error.detail();
                               Msg back = error.take_msg();
                               if (const int* n = back.downcast_ref<int>()) outcome.back = *n;
                           }
                           outcomes.push_back(outcome);
                       }
                       (void)std::move(*sender).reply(std::move(outcomes));
                   }
               });
           })
        .expect("caller")
        .elems()
        .at(0);
}

std::vector<Outcome> run_job(const ChildRef& caller, BroadcastTarget target, std::vector<int> values) {
    SignedMessage reply =
        caller.ask_anonymously(Job{std::move(target), std::move(values)}).expect("ask").get_for(10s).expect("reply");
    return std::move(reply.msg()).downcast<std::vector<Outcome>>().unwrap();
}

// What the receivers saw: per member, the values (unwrapped from the dispatcher's envelope) and who sent them.
struct Received {
    std::mutex lock;
    std::map<BastionId, std::vector<int>> values;
    std::vector<RefAddr> signatures;
    int wrapped_wrong = 0;  // anything not shaped as upstream's envelope
    std::size_t total() {
        std::lock_guard guard{lock};
        std::size_t sum = 0;
        for (const auto& [id, v] : values) sum += v.size();
        return sum;
    }
};

// Receives what a dispatcher delivers: a tell of std::shared_ptr<SignedMessage>, wrapping a broadcast. Fails on
// negative values.
Exec receiver(BastionContext ctx, const std::shared_ptr<Received>& received) {
    for (;;) {
        SignedMessage m = ctx.recv();
        auto* raw = m.msg().downcast_ref<std::shared_ptr<SignedMessage>>();
        std::lock_guard guard{received->lock};
        if (raw == nullptr || !m.msg().is_tell() || !(*raw)->msg().is_broadcast() || !(*raw)->msg().is<int>()) {
            ++received->wrapped_wrong;
            continue;
        }
        const int value = *(*raw)->msg().downcast_ref<int>();
        received->values[ctx.current().id()].push_back(value);
        received->signatures.push_back((*raw)->signature());
        if (value < 0) throw std::runtime_error{"poison"};
    }
}

ChildrenRef start_receivers(Dispatcher dispatcher, std::size_t n, const std::shared_ptr<Received>& received,
                            const std::shared_ptr<std::atomic<int>>& starts) {
    const int before = starts->load();
    ChildrenRef group = Bastion::children([&](Children c) {
                            return c.with_redundancy(n)
                                .with_dispatcher(dispatcher)
                                .with_callbacks(Callbacks{}.with_after_start([starts] { starts->fetch_add(1); }))
                                .with_exec([received](BastionContext ctx) { return receiver(ctx, received); });
                        }).expect("receivers");
    wait_until("the receivers joined", [&] { return starts->load() >= before + static_cast<int>(n); });
    return group;
}

std::vector<int> range(int from, int to) {
    std::vector<int> values;
    for (int i = from; i < to; ++i) values.push_back(i);
    return values;
}

// Records its notifications and delivers to the first member only.
class FirstOnly final : public DispatcherHandler {
public:
    void notify(const ChildRef& from, const DispatcherMap& entries, NotificationType type) override {
        std::lock_guard guard{lock};
        events.push_back({from.id(), type, entries.size()});
    }
    std::size_t broadcast_message(const DispatcherMap& entries, const DispatchedMessage& message) override {
        return !entries.empty() && message.deliver_to(entries.front()) ? 1 : 0;
    }
    struct Event {
        BastionId member;
        NotificationType type;
        std::size_t members;
    };
    std::mutex lock;
    std::vector<Event> events;
};

}  // namespace

TEST_SUITE("actor") {

TEST_CASE("DispatcherType: anonymous by default, a string converts, \"__Anonymous__\" is the anonymous one") {
    CHECK(DispatcherType{}.is_anonymous());
    CHECK(DispatcherType::Anonymous() == DispatcherType{});
    CHECK(DispatcherType{std::string{"__Anonymous__"}} == DispatcherType::Anonymous());
    CHECK(DispatcherType{"__Anonymous__"}.is_anonymous());
    CHECK(DispatcherType::Named("Receiver") == DispatcherType{std::string{"Receiver"}});
    CHECK_FALSE(DispatcherType::Named("Receiver").is_anonymous());
    CHECK(DispatcherType::Named("Receiver").name() == "Receiver");
    CHECK(DispatcherType::Named("a") != DispatcherType::Named("b"));
    CHECK(Dispatcher{}.dispatcher_type().is_anonymous());
    CHECK(Dispatcher::with_type(DispatcherType::Named("x")).dispatcher_type().name() == "x");
    CHECK(Dispatcher{}.handler() != nullptr);
}

TEST_CASE("BroadcastTarget: All, or one Group by name") {
    CHECK(BroadcastTarget::All().is_all());
    CHECK_FALSE(BroadcastTarget::Group("x").is_all());
    CHECK(BroadcastTarget::Group("x").group() == "x");
    CHECK(BroadcastTarget::Group("x") == BroadcastTarget::Group("x"));
    CHECK_FALSE(BroadcastTarget::Group("x") == BroadcastTarget::All());
}

TEST_CASE("the default handler is round robin, fair, and delivers upstream's envelope signed by the sender") {
    RunningSystem system;
    auto received = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    ChildrenRef receivers =
        start_receivers(Dispatcher::with_type(DispatcherType::Named("Receiver")), 3, received, starts);
    ChildRef caller = start_caller();
    std::vector<Outcome> outcomes = run_job(caller, BroadcastTarget::Group("Receiver"), range(0, 301));
    CHECK(std::all_of(outcomes.begin(), outcomes.end(), [](const Outcome& o) { return o.ok; }));
    wait_until("301 deliveries", [&] { return received->total() == 301; });
    std::lock_guard guard{received->lock};
    CHECK(received->wrapped_wrong == 0);
    REQUIRE(received->values.size() == 3);  // each message to one member, every member in turn
    std::vector<int> all;
    for (const auto& [id, values] : received->values) {
        CHECK(values.size() >= 100);
        CHECK(values.size() <= 101);
        CHECK(std::is_sorted(values.begin(), values.end()));  // FIFO from one sender
        all.insert(all.end(), values.begin(), values.end());
    }
    std::sort(all.begin(), all.end());
    CHECK(all == range(0, 301));
    CHECK(std::all_of(received->signatures.begin(), received->signatures.end(),
                      [&](const RefAddr& sign) { return sign == caller.addr(); }));
    REQUIRE(receivers.dispatchers().size() == 1);
    CHECK(receivers.dispatchers()[0].dispatcher_type() == DispatcherType::Named("Receiver"));
}

TEST_CASE("BroadcastAllHandler gives every message to every member") {
    RunningSystem system;
    auto received = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    start_receivers(Dispatcher::with_type(DispatcherType::Named("everyone"))
                        .with_handler(std::make_shared<BroadcastAllHandler>()),
                    4, received, starts);
    ChildRef caller = start_caller();
    CHECK(run_job(caller, BroadcastTarget::Group("everyone"), range(0, 10))[9].ok);
    wait_until("40 deliveries", [&] { return received->total() == 40; });
    std::lock_guard guard{received->lock};
    REQUIRE(received->values.size() == 4);
    for (const auto& [id, values] : received->values) CHECK(values == range(0, 10));
}

TEST_CASE("BroadcastTarget::All reaches every dispatcher; Group only its own") {
    RunningSystem system;
    auto left = std::make_shared<Received>();
    auto right = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    start_receivers(Dispatcher::with_type(DispatcherType::Named("left")), 1, left, starts);
    start_receivers(Dispatcher::with_type(DispatcherType::Named("right")), 1, right, starts);
    ChildRef caller = start_caller();
    CHECK(run_job(caller, BroadcastTarget::All(), {1})[0].ok);
    CHECK(run_job(caller, BroadcastTarget::Group("right"), {2})[0].ok);
    wait_until("three deliveries", [&] { return left->total() + right->total() == 3; });
    CHECK(left->total() == 1);
    CHECK(right->total() == 2);
}

TEST_CASE("a broadcast nobody can take comes back: NoDistributor for an unknown group, EmptyRecipient for no member") {
    RunningSystem system;
    ChildRef caller = start_caller();
    Outcome unknown = run_job(caller, BroadcastTarget::Group("nobody"), {7}).at(0);
    CHECK_FALSE(unknown.ok);
    CHECK(unknown.kind == SendError::Kind::NoDistributor);
    CHECK(unknown.detail == "nobody");
    CHECK(unknown.back == 7);

    auto received = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    auto stopped = std::make_shared<std::atomic<int>>(0);
    ChildrenRef group = Bastion::children([&](Children c) {
                            return c.with_dispatcher(Dispatcher::with_type(DispatcherType::Named("empty")))
                                .with_callbacks(Callbacks{}
                                                    .with_after_start([starts] { starts->fetch_add(1); })
                                                    .with_after_stop([stopped] { stopped->fetch_add(1); }))
                                .with_exec([received](BastionContext ctx) { return receiver(ctx, received); });
                        }).expect("group");
    wait_until("the member", [&] { return starts->load() == 1; });
    REQUIRE(group.stop().is_ok());
    wait_until("its stop", [&] { return stopped->load() == 1; });
    Outcome empty = run_job(caller, BroadcastTarget::Group("empty"), {8}).at(0);
    CHECK(empty.kind == SendError::Kind::EmptyRecipient);
    CHECK(empty.back == 8);
    Outcome all = run_job(caller, BroadcastTarget::All(), {9}).at(0);
    CHECK(all.kind == SendError::Kind::EmptyRecipient);
    CHECK(all.back == 9);
}

TEST_CASE("a custom handler is notified of every join and leave, with the members at that moment") {
    RunningSystem system;
    auto handler = std::make_shared<FirstOnly>();
    auto received = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    ChildrenRef group = start_receivers(
        Dispatcher::with_type(DispatcherType::Named("custom")).with_handler(handler), 2, received, starts);
    ChildRef caller = start_caller();
    CHECK(run_job(caller, BroadcastTarget::Group("custom"), range(0, 5))[4].ok);
    wait_until("five deliveries", [&] { return received->total() == 5; });
    CHECK(received->values.size() == 1);  // all to the first member

    REQUIRE(group.stop().is_ok());
    wait_until("two leaves", [&] {
        std::lock_guard guard{handler->lock};
        return handler->events.size() == 4;
    });
    std::lock_guard guard{handler->lock};
    CHECK(handler->events[0].type == NotificationType::Register);
    CHECK(handler->events[0].members == 1);
    CHECK(handler->events[1].type == NotificationType::Register);
    CHECK(handler->events[1].members == 2);
    CHECK(handler->events[2].type == NotificationType::Remove);
    CHECK(handler->events[2].members == 1);
    CHECK(handler->events[3].type == NotificationType::Remove);
    CHECK(handler->events[3].members == 0);
    std::set<BastionId> joined{handler->events[0].member, handler->events[1].member};
    std::set<BastionId> expected{group.elems()[0].id(), group.elems()[1].id()};
    CHECK(joined == expected);
}

TEST_CASE("dispatchers of the same name across groups are one: members of both, the first group's handler") {
    RunningSystem system;
    auto first = std::make_shared<FirstOnly>();
    auto received = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    start_receivers(Dispatcher::with_type(DispatcherType::Named("same")).with_handler(first), 1, received, starts);
    start_receivers(Dispatcher::with_type(DispatcherType::Named("same")).with_handler(std::make_shared<BroadcastAllHandler>()),
                    2, received, starts);
    {
        std::lock_guard guard{first->lock};
        REQUIRE(first->events.size() == 3);  // all three joined the one dispatcher, under the first handler
        CHECK(first->events[2].members == 3);
    }
    ChildRef caller = start_caller();
    CHECK(run_job(caller, BroadcastTarget::Group("same"), range(0, 6))[5].ok);
    wait_until("six deliveries", [&] { return received->total() == 6; });
    CHECK(received->values.size() == 1);  // FirstOnly, not BroadcastAll
}

TEST_CASE("with_dispatcher is repeatable and the anonymous dispatcher is a target like any other") {
    RunningSystem system;
    auto received = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    ChildrenRef group = Bastion::children([&](Children c) {
                            return c.with_dispatcher(Dispatcher{})
                                .with_dispatcher(Dispatcher::with_type(DispatcherType::Named("second")))
                                .with_callbacks(Callbacks{}.with_after_start([starts] { starts->fetch_add(1); }))
                                .with_exec([received](BastionContext ctx) { return receiver(ctx, received); });
                        }).expect("group");
    wait_until("the member", [&] { return starts->load() == 1; });
    ChildRef caller = start_caller();
    CHECK(run_job(caller, BroadcastTarget::Group("__Anonymous__"), {1})[0].ok);
    CHECK(run_job(caller, BroadcastTarget::Group("second"), {2})[0].ok);
    wait_until("both", [&] { return received->total() == 2; });
    REQUIRE(group.dispatchers().size() == 2);
    CHECK(group.dispatchers()[0].dispatcher_type().is_anonymous());
}

TEST_CASE("ctx.notify: an actor leaves a dispatcher and joins it again") {
    RunningSystem system;
    auto received = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    start_receivers(Dispatcher::with_type(DispatcherType::Named("pool")), 2, received, starts);
    // A third actor, outside the group, that joins and leaves "pool" when told.
    auto own = std::make_shared<std::atomic<int>>(0);
    ChildRef joiner = Bastion::children([own](Children c) {
                          return c.with_exec([own](BastionContext ctx) -> Exec {
                              for (;;) {
                                  SignedMessage m = ctx.recv();
                                  if (const NotificationType* type = m.msg().downcast_ref<NotificationType>()) {
                                      ctx.notify({DispatcherType::Named("pool")}, *type);
                                      auto sender = m.msg().take_sender();
                                      if (sender) (void)std::move(*sender).reply(true);
                                  } else if (m.msg().is<std::shared_ptr<SignedMessage>>()) {
                                      own->fetch_add(1);
                                  }
                              }
                          });
                      }).expect("joiner").elems().at(0);
    (void)joiner.ask_anonymously(NotificationType::Register).expect("ask").get_for(5s).expect("joined");
    ChildRef caller = start_caller();
    CHECK(run_job(caller, BroadcastTarget::Group("pool"), range(0, 30))[29].ok);
    wait_until("30 deliveries", [&] { return received->total() + static_cast<std::size_t>(own->load()) == 30; });
    CHECK(own->load() == 10);  // one in three

    (void)joiner.ask_anonymously(NotificationType::Remove).expect("ask").get_for(5s).expect("left");
    CHECK(run_job(caller, BroadcastTarget::Group("pool"), range(30, 60))[29].ok);
    wait_until("60 deliveries", [&] { return received->total() + static_cast<std::size_t>(own->load()) == 60; });
    CHECK(own->load() == 10);  // none after it left
}

TEST_CASE("a member that fails leaves the dispatcher and joins again when restarted; no message is lost") {
    RunningSystem system;
    auto received = std::make_shared<Received>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    start_receivers(Dispatcher::with_type(DispatcherType::Named("flaky")), 3, received, starts);
    ChildRef caller = start_caller();
    std::vector<int> values;
    for (int i = 1; i <= 300; ++i) values.push_back(i % 25 == 0 ? -i : i);  // 12 poison values
    std::vector<Outcome> outcomes = run_job(caller, BroadcastTarget::Group("flaky"), values);
    // Any message refused (all three down at once) came back to the caller: count those as accounted for.
    std::size_t refused = 0;
    int poisoned = 0;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i].ok) {
            poisoned += values[i] < 0 ? 1 : 0;
            continue;
        }
        CHECK(outcomes[i].kind == SendError::Kind::EmptyRecipient);
        CHECK(outcomes[i].back == values[i]);
        ++refused;
    }
    wait_until("every delivered message handled", [&] { return received->total() + refused == 300; });
    CHECK(poisoned > 0);
    wait_until("a restart per poison value, each joining again", [&] { return starts->load() == 3 + poisoned; });
    std::lock_guard guard{received->lock};
    std::multiset<int> seen;
    for (const auto& [id, v] : received->values) seen.insert(v.begin(), v.end());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (outcomes[i].ok) CHECK(seen.count(values[i]) == 1);
    }
}

}  // TEST_SUITE
