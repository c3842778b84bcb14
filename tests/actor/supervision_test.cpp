// Supervision: which actors restart, when, how often, with what callbacks; stop and kill.

#include "support/system.hpp"

#include <bastion/answer.hpp>
#include <bastion/bastion.hpp>
#include <bastion/terminated.hpp>

#include <doctest/doctest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <set>
#include <sstream>
#include <thread>

using namespace bastion;
using namespace std::chrono_literals;
using bastion::test::Log;
using bastion::test::RunningSystem;
using bastion::test::wait_until;

namespace {

// Records each run of each actor: "start <name>", and "end <name>" when the run ends (for whatever reason). An actor
// fails when told the string "fail" and finishes when told "done"; it answers any int ask with its run count.
struct Probe {
    Log log;
    std::mutex lock;
    std::map<std::string, int> runs;       // by group name, all its actors together
    std::map<BastionId, int> actor_runs;   // by actor
    std::map<BastionId, int> live;         // runs currently inside their exec
    std::atomic<int> overlap{0};           // times two runs of one actor were live at once

    int begin(const std::string& name, const BastionId& id) {
        std::lock_guard guard{lock};
        if (++live[id] > 1) overlap.fetch_add(1);
        log.add("start " + name);
        ++runs[name];
        return ++actor_runs[id];
    }
    void end(const std::string& name, const BastionId& id) {
        std::lock_guard guard{lock};
        --live[id];
        log.add("end " + name);
    }
    int run_count(const std::string& name) {
        std::lock_guard guard{lock};
        return runs[name];
    }
};

Children worker(Children children, std::shared_ptr<Probe> probe, std::string name) {
    return children.with_name(name).with_exec([probe, name](BastionContext ctx) -> Exec {
        const int run = probe->begin(name, ctx.current().id());
        struct End {
            Probe& probe;
            const std::string& name;
            BastionId id;
            ~End() { probe.end(name, id); }
        } end{*probe, name, ctx.current().id()};
        for (;;) {
            SignedMessage m = ctx.recv();
            if (const std::string* s = m.msg().downcast_ref<std::string>()) {
                if (*s == "fail") throw std::runtime_error{name + " fails"};
                if (*s == "done") return Ok();
            }
            if (auto sender = m.msg().take_sender()) (void)std::move(*sender).reply(run);
        }
    });
}

int ask_run(const ChildRef& child) {
    return *child.ask_anonymously(0).expect("ask").get_for(5s).expect("reply").msg().downcast_ref<int>();
}

}  // namespace

TEST_CASE("one-for-one restarts the failed actor only, with the same id, reachable through the old ref") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    ChildRef a{nullptr}, b{nullptr};
    Bastion::supervisor([&](Supervisor sp) {
        ChildrenRef ga = sp.children_ref([&](Children c) { return worker(c, probe, "a"); });
        ChildrenRef gb = sp.children_ref([&](Children c) { return worker(c, probe, "b"); });
        a = ga.elems().at(0);
        b = gb.elems().at(0);
        return sp.with_strategy(SupervisionStrategy::OneForOne);
    }).expect("supervisor");
    CHECK(ask_run(a) == 1);
    CHECK(ask_run(b) == 1);
    const BastionId a_id = a.id();
    REQUIRE(a.tell_anonymously(std::string{"fail"}).is_ok());
    CHECK(ask_run(a) == 2);  // the ref taken before the restart reaches the new run
    CHECK(a.id() == a_id);
    CHECK(ask_run(b) == 1);
    CHECK(probe->run_count("b") == 1);
    CHECK(probe->overlap.load() == 0);
}

TEST_CASE("one-for-all stops the healthy siblings before restarting everyone") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    std::vector<ChildRef> elems;
    Bastion::supervisor([&](Supervisor sp) {
        elems = sp.children_ref([&](Children c) { return worker(c, probe, "x").with_redundancy(3); }).elems();
        ChildrenRef other = sp.children_ref([&](Children c) { return worker(c, probe, "y"); });
        elems.push_back(other.elems().at(0));
        return sp.with_strategy(SupervisionStrategy::OneForAll);
    }).expect("supervisor");
    for (const ChildRef& e : elems) CHECK(ask_run(e) == 1);
    REQUIRE(elems[1].tell_anonymously(std::string{"fail"}).is_ok());
    // An ask sent right away could still reach a sibling's first run before it is stopped: wait for the restarts.
    REQUIRE(wait_until("every restart", [&] { return probe->run_count("x") == 6 && probe->run_count("y") == 2; }));
    for (const ChildRef& e : elems) CHECK(ask_run(e) == 2);
    CHECK(probe->run_count("x") == 6);
    CHECK(probe->run_count("y") == 2);
    CHECK(probe->overlap.load() == 0);
    // Every first run ended before any second run started.
    const auto lines = probe->log.lines();
    long last_end = -1, first_restart = -1;
    int starts = 0;
    for (long i = 0; i < static_cast<long>(lines.size()); ++i) {
        if (lines[static_cast<std::size_t>(i)].rfind("end", 0) == 0 && first_restart < 0) last_end = i;
        if (lines[static_cast<std::size_t>(i)].rfind("start", 0) == 0 && ++starts == 5) first_restart = i;
    }
    CHECK(last_end < first_restart);
}

TEST_CASE("rest-for-one restarts the failed actor and everything started after it, across groups") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    std::vector<ChildRef> first, second;
    Bastion::supervisor([&](Supervisor sp) {
        first = sp.children_ref([&](Children c) { return worker(c, probe, "first").with_redundancy(3); }).elems();
        second = sp.children_ref([&](Children c) { return worker(c, probe, "second"); }).elems();
        return sp.with_strategy(SupervisionStrategy::RestForOne);
    }).expect("supervisor");
    for (const auto& e : first) CHECK(ask_run(e) == 1);
    CHECK(ask_run(second[0]) == 1);
    REQUIRE(first[1].tell_anonymously(std::string{"fail"}).is_ok());
    REQUIRE(wait_until("the restarts", [&] { return probe->run_count("second") == 2; }));
    CHECK(ask_run(first[1]) == 2);
    CHECK(ask_run(first[2]) == 2);
    CHECK(ask_run(second[0]) == 2);
    CHECK(ask_run(first[0]) == 1);
    CHECK(probe->run_count("first") == 5);
    CHECK(probe->overlap.load() == 0);
}

TEST_CASE("the unread mailbox survives a restart") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    ChildRef a = Bastion::children([&](Children c) { return worker(c, probe, "a"); }).expect("children").elems().at(0);
    CHECK(ask_run(a) == 1);
    REQUIRE(a.tell_anonymously(std::string{"fail"}).is_ok());
    // Queued behind the failing message: answered by the next run.
    auto answer = a.ask_anonymously(0).expect("ask");
    CHECK(*answer.get_for(5s).expect("reply").msg().downcast_ref<int>() == 2);
}

TEST_CASE("an actor that returns normally is removed, not restarted") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    ChildRef a = Bastion::children([&](Children c) { return worker(c, probe, "a"); }).expect("children").elems().at(0);
    REQUIRE(a.tell_anonymously(std::string{"done"}).is_ok());
    REQUIRE(wait_until("the mailbox closes", [&] { return a.tell_anonymously(1).is_err(); }));
    CHECK(probe->run_count("a") == 1);
}

TEST_CASE("Tries(n) restarts n times, then gives up: the watcher is told, sends come back") {
    RunningSystem system;
    auto starts = std::make_shared<std::atomic<int>>(0);
    Log log;
    ChildRef doomed{nullptr};
    Bastion::supervisor([&](Supervisor sp) {
        doomed = sp.children_ref([&](Children c) {
                       return c.with_exec([starts](BastionContext) -> Exec {
                           starts->fetch_add(1);
                           return Err();
                       });
                   }).elems().at(0);
        sp.children([&](Children c) {
            return c.with_exec([&log, doomed](BastionContext ctx) -> Exec {
                ctx.monitor(doomed);
                const Terminated* t = nullptr;
                SignedMessage m = ctx.recv();
                t = m.msg().downcast_ref<Terminated>();
                log.add(t != nullptr && t->reason == ExitReason::GaveUp ? "gave up" : "wrong");
                return Ok();
            });
        });
        return sp.with_restart_strategy(RestartStrategy{}.with_restart_policy(RestartPolicy::Tries(3)));
    }).expect("supervisor");
    REQUIRE(log.wait_count("gave up", 1));
    CHECK(starts->load() == 4);
    CHECK(doomed.tell_anonymously(1).is_err());
}

TEST_CASE("back-off delays the restart and the supervisor keeps serving its other actors meanwhile") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    ChildRef slow{nullptr}, other{nullptr};
    Bastion::supervisor([&](Supervisor sp) {
        slow = sp.children_ref([&](Children c) { return worker(c, probe, "slow"); }).elems().at(0);
        other = sp.children_ref([&](Children c) { return worker(c, probe, "other"); }).elems().at(0);
        return sp.with_restart_strategy(
            RestartStrategy{}.with_actor_restart_strategy(ActorRestartStrategy::LinearBackOff{.timeout = 200ms}));
    }).expect("supervisor");
    CHECK(ask_run(slow) == 1);
    const auto failed_at = std::chrono::steady_clock::now();
    REQUIRE(slow.tell_anonymously(std::string{"fail"}).is_ok());
    REQUIRE(wait_until("the failure", [&] { return probe->log.count("end slow") == 1; }));
    // During the back-off, the other actor fails and is restarted (its own delay is 200 ms too) while asks to it are
    // queued; and a third party's stop request is handled at once.
    CHECK(ask_run(other) == 1);
    CHECK(probe->run_count("slow") == 1);
    const int restarted_run = ask_run(slow);  // queued until the restart
    const auto waited = std::chrono::steady_clock::now() - failed_at;
    CHECK(restarted_run == 2);
    CHECK(waited >= 200ms);
    CHECK(waited < 2s);
}

TEST_CASE("exponential back-off grows: 50, 100, 200 ms between runs") {
    RunningSystem system;
    auto times = std::make_shared<std::vector<std::chrono::steady_clock::time_point>>();
    auto lock = std::make_shared<std::mutex>();
    Bastion::supervisor([&](Supervisor sp) {
        sp.children([&](Children c) {
            return c.with_exec([times, lock](BastionContext) -> Exec {
                std::lock_guard guard{*lock};
                times->push_back(std::chrono::steady_clock::now());
                if (times->size() < 4) return Err();
                return Ok();
            });
        });
        return sp.with_restart_strategy(RestartStrategy{}.with_actor_restart_strategy(
            ActorRestartStrategy::ExponentialBackOff{.timeout = 50ms, .multiplier = 2.0}));
    }).expect("supervisor");
    REQUIRE(wait_until("four runs", [&] {
        std::lock_guard guard{*lock};
        return times->size() == 4;
    }));
    std::lock_guard guard{*lock};
    const std::chrono::milliseconds expected[] = {50ms, 100ms, 200ms};
    for (std::size_t i = 0; i < 3; ++i) {
        const auto gap = (*times)[i + 1] - (*times)[i];
        CHECK(gap >= expected[i]);
        CHECK(gap < expected[i] + 500ms);
    }
}

TEST_CASE("restart intensity: too many restarts in the window make the supervisor escalate to its parent") {
    RunningSystem system;
    Log log;
    auto starts = std::make_shared<std::atomic<int>>(0);
    Bastion::supervisor([&](Supervisor top) {
        top.supervisor([&](Supervisor inner) {
            inner.children([&](Children c) {
                return c.with_exec([starts](BastionContext ctx) -> Exec {
                    starts->fetch_add(1);
                    (void)ctx.recv();
                    return Err();
                });
            });
            return inner
                .with_restart_strategy(RestartStrategy{}.with_intensity(RestartIntensity{.max_restarts = 2, .within = 10s}))
                .with_callbacks(Callbacks{}
                                    .with_before_restart([&log](const Failure& why) {
                                        log.add("inner restarts: " + why.describe());
                                    })
                                    .with_after_restart([&log] { log.add("inner restarted"); }));
        });
        return top.with_restart_strategy(RestartStrategy{}.with_restart_policy(RestartPolicy::Tries(1)));
    }).expect("supervisor");
    REQUIRE(wait_until("the first run", [&] { return starts->load() == 1; }));
    // Three failures: two restarts fit in the intensity, the third makes the inner supervisor give up; its parent then
    // restarts it once (Tries(1)), which starts the actor afresh.
    for (int i = 1; i <= 3; ++i) {
        REQUIRE(Bastion::broadcast(i).is_ok());
        REQUIRE(wait_until("a restart", [&] { return starts->load() == i + 1; }));
    }
    REQUIRE(log.wait_count("inner restarted", 1));
    CHECK(log.count("inner restarts: returned an error") == 1);
    CHECK(starts->load() == 4);
}

TEST_CASE("callbacks run in order, and a throwing callback is contained") {
    RunningSystem system;
    Log log;
    ChildRef a{nullptr};
    Bastion::supervisor([&](Supervisor sp) {
        a = sp.children_ref([&](Children c) {
                  return c
                      .with_callbacks(Callbacks{}
                                          .with_before_start([&log] {
                                              log.add("before_start");
                                              throw std::runtime_error{"callbacks may throw"};
                                          })
                                          .with_after_start([&log] { log.add("after_start"); })
                                          .with_before_restart([&log](const Failure& why) {
                                              log.add("before_restart: " + why.describe());
                                          })
                                          .with_after_restart([&log] { log.add("after_restart"); })
                                          .with_after_stop([&log] { log.add("after_stop"); }))
                      .with_exec([&log](BastionContext ctx) -> Exec {
                          log.add("exec");
                          SignedMessage m = ctx.recv();
                          if (m.msg().is<std::string>()) throw std::runtime_error{"boom"};
                          return Ok();
                      });
              }).elems().at(0);
        return sp.with_callbacks(Callbacks{}
                                     .with_before_start([&log] { log.add("sp before_start"); })
                                     .with_after_stop([&log] { log.add("sp after_stop"); }));
    }).expect("supervisor");
    REQUIRE(log.wait_count("exec", 1));
    REQUIRE(a.tell_anonymously(std::string{"boom"}).is_ok());
    REQUIRE(log.wait_count("exec", 2));
    REQUIRE(a.tell_anonymously(1).is_ok());  // finishes: after_stop
    REQUIRE(log.wait_count("after_stop", 1));
    Bastion::stop();
    Bastion::block_until_stopped();
    CHECK(log.lines() == std::vector<std::string>{"sp before_start", "before_start", "after_start", "exec",
                                                  "before_restart: panicked: boom", "after_restart", "after_start",
                                                  "exec", "after_stop", "sp after_stop"});
}

TEST_CASE("stop and kill end the system even with actors blocked in recv and in ask") {
    for (bool kill : {false, true}) {
        Bastion::init_with(Config{}.hide_backtraces());
        Bastion::start();
        Log log;
        ChildRef silent = Bastion::children([](Children c) {
                              return c.with_exec([](BastionContext ctx) -> Exec {
                                  for (;;) (void)ctx.recv();  // never answers
                              });
                          }).expect("children").elems().at(0);
        Bastion::children([&log, silent](Children c) {
            return c.with_redundancy(4).with_exec([&log, silent](BastionContext ctx) -> Exec {
                log.add("asking");
                (void)ctx.ask(silent.addr(), 1).expect("ask").get();
                return Ok();
            });
        }).expect("children");
        REQUIRE(log.wait_count("asking", 4));
        auto stopped = std::async(std::launch::async, [kill] {
            if (kill) {
                Bastion::kill();
            } else {
                Bastion::stop();
            }
            Bastion::block_until_stopped();
        });
        CHECK(stopped.wait_for(10s) == std::future_status::ready);
    }
}

TEST_CASE("a crash storm loses nothing: every message is processed or counted as lost to the crash it caused") {
    RunningSystem system;
    constexpr int total = 100000;
    auto processed = std::make_shared<std::atomic<int>>(0);
    auto crashed = std::make_shared<std::atomic<int>>(0);
    ChildRef storm = Bastion::children([=](Children c) {
                         return c.with_exec([=](BastionContext ctx) -> Exec {
                             for (;;) {
                                 const int n = *ctx.recv().msg().downcast_ref<int>();
                                 if (n % 6 == 0) {
                                     crashed->fetch_add(1);
                                     throw std::runtime_error{"one in six"};
                                 }
                                 processed->fetch_add(1);
                             }
                         });
                     }).expect("children").elems().at(0);
    int returned = 0;
    for (int i = 0; i < total; ++i) {
        if (storm.tell_anonymously(i).is_err()) ++returned;
    }
    REQUIRE(wait_until("every message accounted for",
                       [&] { return processed->load() + crashed->load() + returned == total; }, 60s));
    CHECK(returned == 0);
    CHECK(crashed->load() == (total + 5) / 6);
}

TEST_CASE("stopping a group stops its actors for good; the supervisor's restart redeploys it") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    ChildrenRef group{nullptr};
    SupervisorRef sp_ref{nullptr};
    sp_ref = Bastion::supervisor([&](Supervisor sp) {
                 group = sp.children_ref([&](Children c) { return worker(c, probe, "g").with_redundancy(2); });
                 return sp;
             }).expect("supervisor");
    for (const auto& e : group.elems()) CHECK(ask_run(e) == 1);
    REQUIRE(group.stop().is_ok());
    REQUIRE(wait_until("both stop", [&] { return probe->log.count("end g") == 2; }));
    REQUIRE(wait_until("sends come back", [&] {
        return group.elems()[0].tell_anonymously(1).is_err() && group.elems()[1].tell_anonymously(1).is_err();
    }));
    CHECK(group.broadcast(1).is_err());
    REQUIRE(sp_ref.stop().is_ok());
    REQUIRE(wait_until("the supervisor ends", [&] { return sp_ref.stop().is_err(); }));
    CHECK(sp_ref.children([](Children c) { return c; }).is_err());
}

TEST_CASE("groups and supervisors added at run time start at once; the strategy can change at run time") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    SupervisorRef sp = Bastion::supervisor([](Supervisor s) { return s; }).expect("supervisor");
    ChildrenRef one = sp.children([&](Children c) { return worker(c, probe, "one"); }).expect("children");
    SupervisorRef inner = sp.supervisor([](Supervisor s) { return s; }).expect("inner");
    ChildrenRef two = inner.children([&](Children c) { return worker(c, probe, "two"); }).expect("children");
    CHECK(ask_run(one.elems()[0]) == 1);
    CHECK(ask_run(two.elems()[0]) == 1);
    REQUIRE(sp.strategy(SupervisionStrategy::OneForAll).is_ok());
    REQUIRE(one.elems()[0].tell_anonymously(std::string{"fail"}).is_ok());
    REQUIRE(wait_until("both restarts", [&] { return probe->run_count("two") == 2; }));
    CHECK(ask_run(one.elems()[0]) == 2);
    CHECK(ask_run(two.elems()[0]) == 2);  // the inner supervisor was restarted with it
}

TEST_CASE("a supervisor handles each event in constant time: 50k actors start, finish and stop quickly") {
    // Before units were indexed, every event scanned all units: this took minutes.
    const auto start = std::chrono::steady_clock::now();
    {
        RunningSystem system;
        auto finished = std::make_shared<std::atomic<int>>(0);
        ChildrenRef group = Bastion::children([&](Children c) {
                                return c.with_redundancy(50000).with_exec([finished](BastionContext ctx) -> Exec {
                                    (void)ctx.recv();
                                    finished->fetch_add(1);
                                    return Ok();
                                });
                            }).expect("children");
        REQUIRE(group.broadcast(1).is_ok());
        REQUIRE(wait_until("every actor finishes", [&] { return finished->load() == 50000; }, 30s));
    }
    CHECK(std::chrono::steady_clock::now() - start < 20s);
}

TEST_CASE("a group without an exec is done at once, as upstream (no crash loop)") {
    RunningSystem system;
    ChildrenRef group = Bastion::children([](Children c) { return c; }).expect("children");
    const ChildRef first = group.elems()[0];  // elems() is a copy (a resizer may change it): keep the ref itself
    Log log;
    Bastion::children([&log, first](Children c) {
        return c.with_exec([&log, first](BastionContext ctx) -> Exec {
            ctx.monitor(first);
            SignedMessage m = ctx.recv();
            const Terminated* t = m.msg().downcast_ref<Terminated>();
            log.add(t != nullptr && t->reason == ExitReason::Finished ? "finished" : "wrong");
            return Ok();
        });
    }).expect("children");
    CHECK(log.wait_count("finished", 1));
}

TEST_CASE("after_stop runs once for an actor stopped around its failure (as it fails, or during its back-off)") {
    RunningSystem system;
    auto after_stop = std::make_shared<std::atomic<int>>(0);
    auto starts = std::make_shared<std::atomic<int>>(0);
    ChildRef actor{nullptr};
    Bastion::supervisor([&](Supervisor sp) {
        actor = sp.children_ref([&](Children c) {
                      return c.with_callbacks(Callbacks{}.with_after_stop([after_stop] { after_stop->fetch_add(1); }))
                          .with_exec([starts](BastionContext ctx) -> Exec {
                              starts->fetch_add(1);
                              (void)ctx.recv();
                              throw std::runtime_error{"fails on its first message"};
                          });
                  }).elems().at(0);
        return sp.with_restart_strategy(
            RestartStrategy{}.with_actor_restart_strategy(ActorRestartStrategy::LinearBackOff{.timeout = 10s}));
    }).expect("supervisor");
    REQUIRE(wait_until("the first run", [&] { return starts->load() == 1; }));
    REQUIRE(actor.tell_anonymously(1).is_ok());
    REQUIRE(wait_until("the failure", [&] { return actor.tell_anonymously(2).is_ok() && starts->load() == 1; }));
    REQUIRE(actor.stop().is_ok());
    REQUIRE(wait_until("after_stop", [&] { return after_stop->load() == 1; }));
    REQUIRE(wait_until("the mailbox closes", [&] { return actor.tell_anonymously(3).is_err(); }));
    CHECK(after_stop->load() == 1);
    CHECK(starts->load() == 1);
}

TEST_CASE("with_worker binds a group's actors to one worker, across messages and restarts") {
    RunningSystem system{Config{}.hide_backtraces().with_workers(2)};
    // Answers an ask with the thread it runs on; fails when told "fail".
    auto thread_reporter = [](BastionContext ctx) -> Exec {
        for (;;) {
            SignedMessage m = ctx.recv();
            if (const std::string* s = m.msg().downcast_ref<std::string>(); s != nullptr && *s == "fail") {
                throw std::runtime_error{"told to fail"};
            }
            const long thread = syscall(SYS_gettid);
            if (auto sender = m.msg().take_sender()) (void)std::move(*sender).reply(thread);
        }
    };
    auto group_on = [&](std::size_t w) {
        return Bastion::children([&](Children c) {
                   return c.with_exec(thread_reporter).with_redundancy(3).with_worker(w);
               })
            .expect("children");
    };
    auto threads_of = [](const ChildrenRef& group) {
        std::set<long> threads;
        for (int round = 0; round < 20; ++round) {
            for (const ChildRef& child : group.elems()) {
                SignedMessage reply = child.ask_anonymously(round).expect("ask").get_for(5s).expect("reply");
                threads.insert(*reply.msg().downcast_ref<long>());
            }
        }
        return threads;
    };
    const ChildrenRef on0 = group_on(0);
    const ChildrenRef on1 = group_on(1);
    const std::set<long> threads0 = threads_of(on0);
    const std::set<long> threads1 = threads_of(on1);
    CHECK(threads0.size() == 1);
    CHECK(threads1.size() == 1);
    CHECK(threads0 != threads1);

    // A restarted actor comes back on its worker.
    const ChildRef restarted = on1.elems().at(0);
    restarted.tell_anonymously(std::string{"fail"}).expect("tell");
    CHECK(threads_of(on1) == threads1);
}

namespace {

// Logs "<what> <name>" for each start and restart callback of a group named `name`.
Callbacks logged_callbacks(Log& log, const std::string& name) {
    return Callbacks{}
        .with_before_start([&log, name] { log.add("before_start " + name); })
        .with_after_start([&log, name] { log.add("after_start " + name); })
        .with_before_restart([&log, name] { log.add("before_restart " + name); })
        .with_after_restart([&log, name] { log.add("after_restart " + name); });
}

// The lines of `log` that start with `prefix`, in order.
std::vector<std::string> lines_starting(const Log& log, const std::string& prefix) {
    std::vector<std::string> found;
    for (const std::string& line : log.lines()) {
        if (line.rfind(prefix, 0) == 0) found.push_back(line);
    }
    return found;
}

}  // namespace

TEST_CASE("a supervisor starts its units in order: one's start callbacks end before the next one starts") {
    // Issue 18, item 3: the docs said "in start order", and the execs began in scheduler order (c2, c1, c0 seen).
    for (const auto strategy : {SupervisionStrategy::OneForAll, SupervisionStrategy::RestForOne}) {
        CAPTURE(static_cast<int>(strategy));
        RunningSystem system;
        Log log;
        auto probe = std::make_shared<Probe>();
        std::vector<ChildRef> units;
        constexpr int n = 8;
        Bastion::supervisor([&](Supervisor sp) {
            for (int i = 0; i < n; ++i) {
                const std::string name = std::to_string(i);
                units.push_back(sp.children_ref([&](Children c) {
                                      return worker(c, probe, name).with_callbacks(logged_callbacks(log, name));
                                  }).elems().at(0));
            }
            return sp.with_strategy(strategy);
        }).expect("supervisor");
        REQUIRE(log.wait_count("after_start " + std::to_string(n - 1), 1));
        std::vector<std::string> expected;
        for (int i = 0; i < n; ++i) {
            expected.push_back("before_start " + std::to_string(i));
            expected.push_back("after_start " + std::to_string(i));
        }
        CHECK(log.lines() == expected);
        // A restart of every unit (unit 0 fails) follows the same order.
        REQUIRE(units[0].tell_anonymously(std::string{"fail"}).is_ok());
        REQUIRE(log.wait_count("after_restart " + std::to_string(n - 1), 1));
        std::vector<std::string> restarts;
        for (int i = 0; i < n; ++i) restarts.push_back("after_restart " + std::to_string(i));
        CHECK(lines_starting(log, "after_restart") == restarts);
        for (const ChildRef& unit : units) CHECK(ask_run(unit) == 2);
    }
}

TEST_CASE("one-for-all and rest-for-one restart every affected sibling exactly once per failure, in bursts") {
    // Issue 18, item 2: with 8 siblings and 80 failures in a row, the siblings ran 2-9 times instead of 81, and the
    // restart callbacks did not come in pairs.
    for (const auto strategy : {SupervisionStrategy::OneForAll, SupervisionStrategy::RestForOne}) {
        CAPTURE(static_cast<int>(strategy));
        RunningSystem system;
        constexpr int failures = 80;
        constexpr int siblings = 8;
        auto probe = std::make_shared<Probe>();
        auto failer_runs = std::make_shared<std::atomic<int>>(0);
        auto restarts = std::make_shared<std::atomic<int>>(0);
        auto restarted = std::make_shared<std::atomic<int>>(0);
        std::vector<ChildRef> units;
        Bastion::supervisor([&](Supervisor sp) {
            // First, so that rest-for-one restarts everyone too. It fails as it starts, `failures` times in a row.
            sp.children([&](Children c) {
                return c.with_exec([failer_runs](BastionContext ctx) -> Exec {
                    if (failer_runs->fetch_add(1) < failures) throw std::runtime_error{"fails at once"};
                    for (;;) (void)ctx.recv();
                });
            });
            for (int i = 0; i < siblings; ++i) {
                units.push_back(sp.children_ref([&](Children c) {
                                      return worker(c, probe, "s")
                                          .with_callbacks(Callbacks{}
                                                              .with_before_restart([restarts] { restarts->fetch_add(1); })
                                                              .with_after_restart([restarted] { restarted->fetch_add(1); }));
                                  }).elems().at(0));
            }
            return sp.with_strategy(strategy);
        }).expect("supervisor");
        REQUIRE(wait_until("every failure handled", [&] { return failer_runs->load() == failures + 1; }, 30s));
        for (const ChildRef& unit : units) CHECK(ask_run(unit) == failures + 1);
        CHECK(probe->run_count("s") == siblings * (failures + 1));
        CHECK(restarts->load() == siblings * failures);
        CHECK(restarted->load() == siblings * failures);
        CHECK(probe->overlap.load() == 0);
    }
}

TEST_CASE("a restart does not wait for a busy sibling's backlog, which stays in its mailbox for its next run") {
    // Issue 18, item 2: a restart waited for busy healthy siblings to drain their whole mailbox.
    RunningSystem system;
    constexpr int backlog = 40000;  // two seconds of work
    auto handled = std::make_shared<std::atomic<int>>(0);
    auto runs = std::make_shared<std::atomic<int>>(0);
    ChildRef failer{nullptr}, busy{nullptr};
    Bastion::supervisor([&](Supervisor sp) {
        failer = sp.children_ref([&](Children c) { return worker(c, std::make_shared<Probe>(), "f"); }).elems().at(0);
        busy = sp.children_ref([&](Children c) {
                     return c.with_exec([handled, runs](BastionContext ctx) -> Exec {
                         runs->fetch_add(1);
                         for (;;) {
                             (void)ctx.recv();
                             const auto until = std::chrono::steady_clock::now() + 50us;  // a slow handler
                             while (std::chrono::steady_clock::now() < until) {
                             }
                             handled->fetch_add(1);
                         }
                     });
                 }).elems().at(0);
        return sp.with_strategy(SupervisionStrategy::OneForAll);
    }).expect("supervisor");
    for (int i = 0; i < backlog; ++i) REQUIRE(busy.tell_anonymously(i).is_ok());
    REQUIRE(wait_until("it works", [&] { return handled->load() > 100; }));
    const auto failed_at = std::chrono::steady_clock::now();
    REQUIRE(failer.tell_anonymously(std::string{"fail"}).is_ok());
    REQUIRE(wait_until("the busy sibling restarts", [&] { return runs->load() == 2; }));
    CHECK(std::chrono::steady_clock::now() - failed_at < 1s);  // before: after the whole backlog
    CHECK(handled->load() < backlog / 2);
    REQUIRE(wait_until("the backlog is handled in the next run", [&] { return handled->load() == backlog; }, 20s));
}

TEST_CASE("a stopped system refuses new groups, and its refs hand messages back and fail asks at once") {
    // Issue 18, item 5: after stop, Bastion::children returned Ok for an actor that never ran, and sends to it were
    // lost (an ask's get() blocked forever).
    Bastion::init_with(Config{}.hide_backtraces());
    Bastion::start();
    ChildRef before = Bastion::children([](Children c) {
                          return c.with_exec([](BastionContext ctx) -> Exec {
                              for (;;) (void)ctx.recv();
                          });
                      }).expect("children").elems().at(0);
    Bastion::stop();
    Bastion::block_until_stopped();
    CHECK(Bastion::children([](Children c) { return c; }).is_err());
    CHECK(Bastion::supervisor([](Supervisor s) { return s; }).is_err());
    auto told = before.tell_anonymously(std::string{"hello"});
    REQUIRE(told.is_err());
    CHECK(told.unwrap_err() == "hello");
    CHECK(before.ask_anonymously(1).is_err());
    CHECK(before.stop().is_err());
}

TEST_CASE("a system stopped before it started leaves no actor taking sends") {
    Bastion::init_with(Config{}.hide_backtraces());
    ChildRef never = Bastion::children([](Children c) { return c; }).expect("children").elems().at(0);
    CHECK(never.tell_anonymously(1).is_ok());  // waits for the start, as any send before start does
    Bastion::stop();
    Bastion::block_until_stopped();
    CHECK(never.tell_anonymously(2).is_err());
    CHECK(Bastion::children([](Children c) { return c; }).is_err());
}

TEST_CASE("a second stop of an actor is refused, even right after the first") {
    // Issue 18, item 6: a second ChildRef::stop() right after the first sometimes returned Ok.
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    for (int i = 0; i < 50; ++i) {
        ChildRef a = Bastion::children([&](Children c) { return worker(c, probe, "a"); }).expect("children").elems().at(0);
        CHECK(a.stop().is_ok());
        CHECK(a.stop().is_err());
        CHECK(a.kill().is_err());
    }
}

TEST_CASE("a group stopped right after it was made: callbacks come in pairs, sends come back") {
    // Issue 18, item 6: only the actors that had started ran after_stop. Rule: an actor that never started runs
    // neither before_start nor after_stop; one that started runs both.
    RunningSystem system;
    auto before_start = std::make_shared<std::atomic<int>>(0);
    auto after_stop = std::make_shared<std::atomic<int>>(0);
    constexpr int n = 64;
    ChildrenRef group = Bastion::children([&](Children c) {
                            return c.with_redundancy(n)
                                .with_callbacks(Callbacks{}
                                                    .with_before_start([before_start] { before_start->fetch_add(1); })
                                                    .with_after_stop([after_stop] { after_stop->fetch_add(1); }))
                                .with_exec([](BastionContext ctx) -> Exec {
                                    for (;;) (void)ctx.recv();
                                });
                        }).expect("children");
    REQUIRE(group.stop().is_ok());
    const auto elems = group.elems();
    REQUIRE(wait_until("every element refuses sends", [&] {
        return std::all_of(elems.begin(), elems.end(), [](const ChildRef& e) { return e.tell_anonymously(1).is_err(); });
    }));
    REQUIRE(wait_until("callbacks settle", [&] { return after_stop->load() == before_start->load(); }));
    CHECK(before_start->load() <= n);
}

namespace {
// Resident memory of this process, from /proc/self/status, in bytes.
double resident_bytes() {
    std::ifstream status{"/proc/self/status"};
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) * 1024;
    }
    return 0;
}
}  // namespace

TEST_CASE("memory stays flat under churn: ended actors and their groups are forgotten") {
    // Issue 18, item 4: about 850 B per ended actor and 1.5 KB per single-actor group stayed in use for good
    // (20k actors a round: RSS 104 -> 135 -> 165 -> 192 -> 221 MiB).
#if defined(__SANITIZE_ADDRESS__)
    MESSAGE("skipped under AddressSanitizer: its quarantine keeps freed memory resident on purpose");
    return;
#endif
    RunningSystem system;
    constexpr int actors = 10000, rounds = 6;
    auto started = std::make_shared<std::atomic<int>>(0);
    auto ended = std::make_shared<std::atomic<int>>(0);
    double first = 0, last = 0;
    for (int round = 1; round <= rounds; ++round) {
        std::vector<ChildRef> to_stop;
        for (int i = 0; i < actors; ++i) {
            ChildRef actor = Bastion::children([&](Children c) {
                                 return c.with_exec([started, ended](BastionContext ctx) -> Exec {
                                     started->fetch_add(1);
                                     struct End {
                                         std::atomic<int>& ended;
                                         ~End() { ended.fetch_add(1); }
                                     } end{*ended};
                                     (void)ctx.recv();
                                     return Ok();
                                 });
                             }).expect("children").elems().at(0);
            if (i % 2 == 0) {
                REQUIRE(actor.tell_anonymously(i).is_ok());
            } else {
                to_stop.push_back(actor);
            }
        }
        REQUIRE(wait_until("the round starts", [&] { return started->load() == round * actors; }, 30s));
        for (const ChildRef& actor : to_stop) REQUIRE(actor.stop().is_ok());
        to_stop.clear();
        REQUIRE(wait_until("the round ends", [&] { return ended->load() == round * actors; }, 30s));
        std::this_thread::sleep_for(50ms);  // the supervisor handles the last exits
        (round == 1 ? first : last) = resident_bytes();
    }
    CAPTURE(first);
    CAPTURE(last);
    // Before, each round added about half the first round's RSS. Allocator pools settle differently from round to
    // round on a loaded machine (a few percent here, up to 12 % seen at a load average of 5), so the bound leaves
    // room for that; benchmarks/churn measures the 10 % target on a quiet machine.
    CHECK(last < first * 1.25);
}

TEST_CASE("a supervisor's restart redeploys the groups of its builder, not those added at run time that ended") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    ChildrenRef declared{nullptr};
    SupervisorRef inner{nullptr};
    ChildRef failer{nullptr};
    Bastion::supervisor([&](Supervisor outer) {
        inner = outer.supervisor_ref([&](Supervisor sp) {
            declared = sp.children_ref([&](Children c) { return worker(c, probe, "declared"); });
            return sp;
        });
        failer = outer.children_ref([&](Children c) { return worker(c, probe, "failer"); }).elems().at(0);
        return outer.with_strategy(SupervisionStrategy::OneForAll);
    }).expect("supervisor");
    ChildrenRef added = inner.children([&](Children c) { return worker(c, probe, "added"); }).expect("children");
    CHECK(ask_run(declared.elems()[0]) == 1);
    CHECK(ask_run(added.elems()[0]) == 1);
    REQUIRE(declared.stop().is_ok());
    REQUIRE(added.stop().is_ok());
    REQUIRE(wait_until("both stop", [&] {
        return declared.elems()[0].tell_anonymously(1).is_err() && added.elems()[0].tell_anonymously(1).is_err();
    }));
    REQUIRE(failer.tell_anonymously(std::string{"fail"}).is_ok());  // the outer supervisor restarts the inner one
    REQUIRE(wait_until("the declared group runs again", [&] { return probe->run_count("declared") == 2; }));
    CHECK(ask_run(declared.elems()[0]) == 2);
    CHECK(added.elems()[0].tell_anonymously(1).is_err());
    CHECK(probe->run_count("added") == 1);
}

namespace {

// An actor that watches what `watch(ctx)` names and logs each death-watch message it is told.
template <class Watch>
void watcher(Log& log, Watch watch) {
    Bastion::children([&log, watch](Children c) {
        return c.with_exec([&log, watch](BastionContext ctx) -> Exec {
            watch(ctx);
            log.add("watching");
            for (;;) {
                SignedMessage m = ctx.recv();
                std::ostringstream line;
                if (const auto* g = m.msg().downcast_ref<GroupTerminated>()) line << "group " << g->reason;
                if (const auto* s = m.msg().downcast_ref<SupervisorTerminated>()) line << "supervisor " << s->reason;
                if (const auto* u = m.msg().downcast_ref<SupervisorGaveUp>()) line << "gave up: " << u->failure.describe();
                log.add(line.str());
            }
        });
    }).expect("watcher");
}

}  // namespace

TEST_CASE("monitoring a group tells the watcher once every actor of it has stopped for good") {
    RunningSystem system;
    auto probe = std::make_shared<Probe>();
    Log log;
    ChildrenRef group = Bastion::children([&](Children c) { return worker(c, probe, "g").with_redundancy(3); })
                            .expect("children");
    watcher(log, [group](const BastionContext& ctx) { ctx.monitor(group); });
    REQUIRE(log.wait_count("watching", 1));
    const auto elems = group.elems();
    REQUIRE(elems[0].stop().is_ok());
    REQUIRE(elems[1].tell_anonymously(std::string{"done"}).is_ok());  // returns Ok(): finished
    REQUIRE(wait_until("two end", [&] { return probe->log.count("end g") == 2; }));
    CHECK(log.lines() == std::vector<std::string>{"watching"});
    REQUIRE(elems[2].kill().is_ok());
    REQUIRE(log.wait_count("group Killed", 1));
    // A watch taken after the end is answered at once.
    watcher(log, [group](const BastionContext& ctx) { ctx.monitor(group); });
    REQUIRE(log.wait_count("group Killed", 2));
}

TEST_CASE("monitoring a supervisor tells the watcher each time it gives up, and once it stops for good") {
    RunningSystem system;
    Log log;
    auto starts = std::make_shared<std::atomic<int>>(0);
    SupervisorRef inner{nullptr};
    Bastion::supervisor([&](Supervisor top) {
        inner = top.supervisor_ref([&](Supervisor sp) {
            sp.children([&](Children c) {
                return c.with_exec([starts](BastionContext ctx) -> Exec {
                    starts->fetch_add(1);
                    (void)ctx.recv();
                    return Err();
                });
            });
            return sp.with_restart_strategy(
                RestartStrategy{}.with_intensity(RestartIntensity{.max_restarts = 1, .within = 10s}));
        });
        return top;
    }).expect("supervisor");
    watcher(log, [inner](const BastionContext& ctx) { ctx.monitor(inner); });
    REQUIRE(log.wait_count("watching", 1));
    REQUIRE(wait_until("the first run", [&] { return starts->load() == 1; }));
    // Two failures: one restart fits the intensity, the second makes it give up; its parent restarts it.
    for (int i = 1; i <= 2; ++i) {
        REQUIRE(Bastion::broadcast(i).is_ok());
        REQUIRE(wait_until("a restart", [&] { return starts->load() == i + 1; }));
    }
    REQUIRE(log.wait_count("gave up: returned an error", 1));
    REQUIRE(inner.stop().is_ok());
    REQUIRE(log.wait_count("supervisor Stopped", 1));
    CHECK(log.count("gave up: returned an error") == 1);
}
