// Distributors: upstream's tell / ask / request / subscribe tests on a 5-child group, round robin fairness, and
// membership that follows starts, failures, restarts and stops without losing a message.

#include "support/system.hpp"

#include <bastion/answer.hpp>
#include <bastion/bastion.hpp>
#include <bastion/distributor.hpp>
#include <bastion/executor/this_proc.hpp>
#include <bastion/supervisor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;
using bastion::test::RunningSystem;
using bastion::test::wait_until;

namespace {

const std::string question = "What is the answer to life, the universe and everything?";

// Upstream's test group: answers a std::string question with 42 and a `()` question (here std::monostate) with its
// own ChildRef; counts the tells it receives.
struct Counting {
    std::mutex lock;
    std::map<BastionId, int> tells;  // per member
    std::vector<std::string> texts;
    int total() {
        std::lock_guard guard{lock};
        int sum = 0;
        for (const auto& [id, n] : tells) sum += n;
        return sum;
    }
};

Exec answer_42(BastionContext ctx, const std::shared_ptr<Counting>& counting) {
    for (;;) {
        SignedMessage signed_msg = ctx.recv();
        Msg& msg = signed_msg.msg();
        if (msg.is_ask()) {
            auto sender = msg.take_sender();
            if (msg.is<std::string>()) (void)std::move(*sender).reply(std::uint8_t{42});
            if (msg.is<std::monostate>()) (void)std::move(*sender).reply(ctx.current());
        } else if (msg.is_tell()) {
            std::lock_guard guard{counting->lock};
            ++counting->tells[ctx.current().id()];
            if (const char* const* text = msg.downcast_ref<const char*>()) counting->texts.emplace_back(*text);
        }
    }
}

// Starts `n` members of distributor `name` and waits until all of them have joined it.
ChildrenRef start_group(const std::string& name, std::size_t n, const std::shared_ptr<Counting>& counting,
                        Callbacks callbacks = {}) {
    auto started = std::make_shared<std::atomic<std::size_t>>(0);
    ChildrenRef group = Bastion::children([&](Children c) {
                            return c.with_redundancy(n)
                                .with_distributor(Distributor::named(name))
                                .with_callbacks(callbacks.with_after_start([started] { started->fetch_add(1); }))
                                .with_exec([counting](BastionContext ctx) { return answer_42(ctx, counting); });
                        }).expect("children");
    wait_until("every member started", [&] { return started->load() >= n; });
    return group;
}

std::set<BastionId> ids_of(const std::vector<ChildRef>& refs) {
    std::set<BastionId> ids;
    for (const ChildRef& ref : refs) ids.insert(ref.id());
    return ids;
}

}  // namespace

TEST_SUITE("actor") {

TEST_CASE("tell_one reaches one member and tell_everyone all five (upstream test_tell)") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    start_group("test distributor", 5, counting);
    Distributor distributor = Distributor::named("test distributor");

    REQUIRE(distributor.tell_one("don't panic and carry a towel").is_ok());
    wait_until("the tell", [&] { return counting->total() == 1; });
    auto sent = distributor.tell_everyone("so long, and thanks for all the fish");
    REQUIRE(sent.is_ok());
    CHECK(sent.unwrap() == 5);
    wait_until("the five tells", [&] { return counting->total() == 6; });
    std::lock_guard guard{counting->lock};
    CHECK(counting->tells.size() == 5);
    CHECK(std::count(counting->texts.begin(), counting->texts.end(), "so long, and thanks for all the fish") == 5);
}

TEST_CASE("ask_one gets 42 and ask_everyone one 42 per member (upstream test_ask)") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    start_group("test distributor", 5, counting);
    Distributor distributor = Distributor::named("test distributor");

    SignedMessage reply = distributor.ask_one(question).expect("ask_one").get_for(5s).expect("reply");
    REQUIRE(reply.msg().downcast_ref<std::uint8_t>() != nullptr);
    CHECK(*reply.msg().downcast_ref<std::uint8_t>() == 42);

    std::vector<Answer> answers = distributor.ask_everyone(question).expect("ask_everyone");
    REQUIRE(answers.size() == 5);
    int sum = 0;
    for (Answer& answer : answers) {
        SignedMessage each = answer.get_for(5s).expect("reply");
        sum += *each.msg().downcast_ref<std::uint8_t>();
    }
    CHECK(sum == 42 * 5);
}

TEST_CASE("ask_everyone collects exactly one answer from each live member, and from no one else") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    auto stopped = std::make_shared<std::atomic<int>>(0);
    ChildrenRef group = start_group("roll call", 5, counting,
                                    Callbacks{}.with_after_stop([stopped] { stopped->fetch_add(1); }));
    const ChildRef gone = group.elems().at(2);
    REQUIRE(gone.stop().is_ok());
    // after_stop runs once the actor has left its routes.
    wait_until("the stopped member's after_stop", [&] { return stopped->load() == 1; });

    std::vector<Answer> answers = Distributor::named("roll call").ask_everyone(std::monostate{}).expect("ask");
    REQUIRE(answers.size() == 4);
    std::vector<BastionId> answered;
    for (Answer& answer : answers) {
        SignedMessage reply = answer.get_for(5s).expect("every live member answers");
        answered.push_back(reply.msg().downcast_ref<ChildRef>()->id());
    }
    std::set<BastionId> expected = ids_of(group.elems());
    expected.erase(gone.id());
    CHECK(std::set<BastionId>(answered.begin(), answered.end()) == expected);
    CHECK(answered.size() == 4);  // no member answered twice
}

TEST_CASE("request and request_sync give the typed reply; a reply of another type is SendError::Other (upstream "
          "test_request)") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    start_group("test distributor", 5, counting);
    Distributor distributor = Distributor::named("test distributor");

    Result<std::uint8_t, SendError> answer = distributor.request<std::uint8_t>(question).get();
    CHECK(answer.expect("request") == 42);
    CHECK(distributor.request_sync<std::uint8_t>(question).expect("request_sync") == 42);

    auto wrong = distributor.request<int>(question).get();
    REQUIRE(wrong.is_err());
    SendError error = std::move(wrong).unwrap_err();
    CHECK(error.kind() == SendError::Kind::Other);
    Msg back = error.take_msg();
    REQUIRE(back.is<std::uint8_t>());  // the reply that had the wrong type
    CHECK(*back.downcast_ref<std::uint8_t>() == 42);

    // Unanswered: the members drop asks of anything else.
    auto unanswered = distributor.request<std::uint8_t>(3.5).get();
    REQUIRE(unanswered.is_err());
    CHECK(unanswered.unwrap_err().kind() == SendError::Kind::Other);

    auto nowhere = Distributor::named("nobody declared this").request<std::uint8_t>(question).get();
    REQUIRE(nowhere.is_err());
    CHECK(nowhere.unwrap_err().kind() == SendError::Kind::NoDistributor);
}

TEST_CASE("subscribe and unsubscribe manage a distributor no group declared (upstream test_subscribe)") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    start_group("subscribe test", 1, counting);
    Distributor temp = Distributor::named("temp distributor");

    auto before = temp.tell_one("hello!");
    REQUIRE(before.is_err());
    CHECK(before.unwrap_err().kind() == SendError::Kind::NoDistributor);

    ChildRef one_child = Distributor::named("subscribe test").request<ChildRef>(std::monostate{}).get().expect("ref");
    REQUIRE(temp.subscribe(one_child).is_ok());
    REQUIRE(temp.tell_one("hello!").is_ok());
    wait_until("the subscriber's tell", [&] { return counting->total() == 1; });

    REQUIRE(temp.unsubscribe(one_child).is_ok());
    auto after = temp.tell_one("hello!");
    REQUIRE(after.is_err());
    SendError error = std::move(after).unwrap_err();
    CHECK(error.kind() == SendError::Kind::EmptyRecipient);
    Msg back = error.take_msg();
    REQUIRE(back.is<const char*>());
    CHECK(std::string{*back.downcast_ref<const char*>()} == "hello!");
}

TEST_CASE("a message no member can take comes back inside the error: NoDistributor names the distributor") {
    RunningSystem system;
    auto error = Distributor::named("nobody").tell_one(std::string{"lost?"}).unwrap_err();
    CHECK(error.kind() == SendError::Kind::NoDistributor);
    CHECK(error.detail() == "nobody");
    REQUIRE(error.has_msg());
    CHECK(*error.take_msg().downcast_ref<std::string>() == "lost?");
    CHECK_FALSE(error.has_msg());  // taken

    auto everyone = Distributor::named("nobody").tell_everyone(7).unwrap_err();
    CHECK(everyone.kind() == SendError::Kind::NoDistributor);
    Msg seven = everyone.take_msg();
    REQUIRE(seven.is<int>());
    CHECK(*seven.downcast_ref<int>() == 7);
    CHECK(Distributor::named("nobody").ask_everyone(7).unwrap_err().kind() == SendError::Kind::NoDistributor);
    CHECK(Distributor::named("nobody").ask_one(7).unwrap_err().kind() == SendError::Kind::NoDistributor);
}

TEST_CASE("a distributor whose members have all stopped gives EmptyRecipient with the message") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    auto stopped = std::make_shared<std::atomic<int>>(0);
    ChildrenRef group =
        start_group("doomed", 2, counting, Callbacks{}.with_after_stop([stopped] { stopped->fetch_add(1); }));
    REQUIRE(group.stop().is_ok());
    wait_until("both members stopped", [&] { return stopped->load() == 2; });
    Distributor doomed = Distributor::named("doomed");
    auto error = doomed.tell_one(5).unwrap_err();
    CHECK(error.kind() == SendError::Kind::EmptyRecipient);
    CHECK(*error.take_msg().downcast_ref<int>() == 5);
    CHECK(doomed.ask_one(5).unwrap_err().kind() == SendError::Kind::EmptyRecipient);
    CHECK(doomed.tell_everyone(5).unwrap_err().kind() == SendError::Kind::EmptyRecipient);
    CHECK(doomed.ask_everyone(5).unwrap_err().kind() == SendError::Kind::EmptyRecipient);
}

TEST_CASE("round robin is fair: 1000 tell_one over 7 members give each 142 or 143") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    start_group("fair", 7, counting);
    Distributor fair = Distributor::named("fair");
    for (int i = 0; i < 1000; ++i) REQUIRE(fair.tell_one(i).is_ok());
    wait_until("1000 tells", [&] { return counting->total() == 1000; });
    std::lock_guard guard{counting->lock};
    REQUIRE(counting->tells.size() == 7);
    auto [low, high] = std::minmax_element(counting->tells.begin(), counting->tells.end(),
                                           [](const auto& a, const auto& b) { return a.second < b.second; });
    CHECK(high->second - low->second <= 1);
    CHECK(low->second == 142);
}

TEST_CASE("membership follows failures and restarts: every message is handled once or was the one that failed") {
    RunningSystem system;
    // Members fail on every negative number (after recording it) and are restarted; the rest are recorded.
    struct Seen {
        std::mutex lock;
        std::vector<int> handled;
        std::vector<int> failed_on;
        std::size_t count() {
            std::lock_guard guard{lock};
            return handled.size() + failed_on.size();
        }
    };
    auto seen = std::make_shared<Seen>();
    auto starts = std::make_shared<std::atomic<int>>(0);
    Bastion::children([&](Children c) {
        return c.with_redundancy(3)
            .with_distributor(Distributor::named("crashy"))
            .with_callbacks(Callbacks{}.with_after_start([starts] { starts->fetch_add(1); }))
            .with_exec([seen](BastionContext ctx) -> Exec {
                for (;;) {
                    SignedMessage m = ctx.recv();
                    const int* n = m.msg().downcast_ref<int>();
                    if (n == nullptr) continue;
                    std::lock_guard guard{seen->lock};
                    if (*n < 0) {
                        seen->failed_on.push_back(*n);
                        throw std::runtime_error{"poison"};
                    }
                    seen->handled.push_back(*n);
                }
            });
    }).expect("children");
    wait_until("three members", [&] { return starts->load() >= 3; });

    Distributor crashy = Distributor::named("crashy");
    std::size_t sent = 0;
    for (int i = 1; i <= 600; ++i) {
        const int n = i % 20 == 0 ? -i : i;  // 30 poison messages among them
        auto result = crashy.tell_one(n);
        if (result.is_err()) {
            // Only while all three are down at once; the message came back, so it is not lost: send it again.
            SendError error = std::move(result).unwrap_err();
            REQUIRE(error.kind() == SendError::Kind::EmptyRecipient);
            REQUIRE(*error.take_msg().downcast_ref<int>() == n);
            --i;
            std::this_thread::sleep_for(100us);
            continue;
        }
        ++sent;
    }
    CHECK(sent == 600);
    wait_until("every message accounted for", [&] { return seen->count() == 600; });
    {
        std::lock_guard guard{seen->lock};
        CHECK(seen->failed_on.size() == 30);
        std::vector<int> handled = seen->handled;
        std::sort(handled.begin(), handled.end());
        CHECK(std::adjacent_find(handled.begin(), handled.end()) == handled.end());  // none twice
        CHECK(handled.size() == 570);
    }
    // Every failure was a restart (the last one may still be under way), and each restart joined again.
    CHECK(wait_until("a restart per failure", [&] { return starts->load() == 3 + 30; }));
    CHECK(crashy.ask_everyone(std::monostate{}).expect("members").size() == 3);
}

TEST_CASE("routed messages waiting for a member that stops for good go to its siblings") {
    RunningSystem system;
    auto handled = std::make_shared<std::atomic<int>>(0);
    auto starts = std::make_shared<std::atomic<int>>(0);
    ChildrenRef group = Bastion::children([&](Children c) {
                            return c.with_redundancy(2)
                                .with_distributor(Distributor::named("pair"))
                                .with_callbacks(Callbacks{}.with_after_start([starts] { starts->fetch_add(1); }))
                                .with_exec([handled](BastionContext ctx) -> Exec {
                                    for (;;) {
                                        SignedMessage m = ctx.recv();
                                        if (m.msg().is<std::string>()) {
                                            executor::this_proc::sleep_for(1h);  // busy: its mailbox fills
                                        } else {
                                            handled->fetch_add(1);
                                        }
                                    }
                                });
                        }).expect("children");
    wait_until("both members", [&] { return starts->load() == 2; });
    const ChildRef first = group.elems().at(0);
    REQUIRE(first.tell_anonymously(std::string{"sleep"}).is_ok());
    Distributor pair = Distributor::named("pair");
    for (int i = 0; i < 100; ++i) REQUIRE(pair.tell_one(i).is_ok());
    wait_until("the awake member's half", [&] { return handled->load() == 50; });
    REQUIRE(first.stop().is_ok());
    wait_until("all 100, the sleeper's half by its sibling", [&] { return handled->load() == 100; });
    CHECK(Distributor::named("pair").ask_everyone(0.5).expect("the sibling").size() == 1);
}

TEST_CASE("groups that name the same distributor share it") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    ChildrenRef a = start_group("shared", 2, counting);
    ChildrenRef b = start_group("shared", 3, counting);
    Distributor shared = Distributor::named("shared");
    CHECK(shared.tell_everyone(1).expect("tell_everyone") == 5);
    std::vector<Answer> answers = shared.ask_everyone(std::monostate{}).expect("ask_everyone");
    std::set<BastionId> answered;
    for (Answer& answer : answers) answered.insert(answer.get_for(5s).expect("reply").msg().downcast_ref<ChildRef>()->id());
    std::set<BastionId> expected = ids_of(a.elems());
    for (const BastionId& id : ids_of(b.elems())) expected.insert(id);
    CHECK(answered == expected);
    CHECK(a.distributors().size() == 1);
    CHECK(a.distributors()[0] == Distributor::named("shared"));
    CHECK(a.distributors()[0].name() == "shared");
}

TEST_CASE("with_distributor is repeatable: one group in two distributors") {
    RunningSystem system;
    auto counting = std::make_shared<Counting>();
    auto started = std::make_shared<std::atomic<int>>(0);
    ChildrenRef group = Bastion::children([&](Children c) {
                            return c.with_distributor(Distributor::named("one"))
                                .with_distributor(Distributor::named("two"))
                                .with_callbacks(Callbacks{}.with_after_start([started] { started->fetch_add(1); }))
                                .with_exec([counting](BastionContext ctx) { return answer_42(ctx, counting); });
                        }).expect("children");
    wait_until("the member", [&] { return started->load() == 1; });
    REQUIRE(Distributor::named("one").tell_one(1).is_ok());
    REQUIRE(Distributor::named("two").tell_one(2).is_ok());
    wait_until("both tells", [&] { return counting->total() == 2; });
    CHECK(group.distributors().size() == 2);
}

}  // TEST_SUITE
