// A supervised program that crashes and recovers: a supervisor runs two groups, three "squarers" that answer
// questions and a "flaky" actor that works through a queue of jobs and throws on every third one. The supervisor
// restarts it (after a short back-off), its mailbox survives the restart, so the jobs queued behind the one that
// crashed are still served; then the program stops itself.
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

using namespace bastion;
using namespace std::chrono_literals;

// Every line is printed with one `<<`, so that lines printed by actors running at the same time cannot mix.

struct Job {
    int n;
};
struct Done {};

// Three actors that answer an `int` question with its square.
Children squarers(Children children) {
    return children.with_redundancy(3).with_exec([](BastionContext ctx) -> Exec {
        for (;;) {
            MSG(ctx.recv(),
                ASK(int n) { (void)ANSWER(ctx, n * n); },
                OTHERWISE(_) {});
        }
    });
}

// One actor that takes `Job`s (it asks a squarer for the result) and `Done`; it throws on every third job.
Children flaky(Children children, ChildrenRef squarers) {
    auto runs = std::make_shared<std::atomic<int>>(0);
    auto callbacks = Callbacks{}
                         // A restart callback may take the failure (upstream's see nothing: issue #87).
                         .with_before_restart([](const Failure& why) {
                             std::cout << "flaky: crashed (" + why.describe() + ")\n";
                         })
                         .with_after_stop([] { std::cout << "flaky: stopped\n"; });
    return children.with_callbacks(callbacks).with_exec([runs, squarers](BastionContext ctx) -> Exec {
        const int run = ++*runs;
        if (run == 1) {
            std::cout << "flaky: started (run 1)\n";
        } else {
            std::cout << "flaky: restarted (run " + std::to_string(run) + "), with the mailbox it had\n";
        }
        for (;;) {
            MSG(ctx.recv(),
                TELL(Job job) {
                    if (job.n % 3 == 0) throw std::runtime_error{"job " + std::to_string(job.n) + " is cursed"};
                    ChildRef squarer = squarers.elems()[static_cast<std::size_t>(job.n) % 3];
                    Answer answer = ctx.ask(squarer.addr(), job.n).expect("the squarers run");
                    const int square = MSG(answer.get(),
                                           TELL(int result) { return result; },
                                           OTHERWISE(_) { return -1; });
                    const std::string n = std::to_string(job.n);
                    std::cout << "job " + n + ": " + n + " * " + n + " = " + std::to_string(square) + '\n';
                },
                TELL(Done) {
                    std::cout << "flaky: no more jobs, stopping the system\n";
                    Bastion::stop();  // this actor is stopped too: its next recv() ends it, and after_stop runs
                },
                OTHERWISE(_) {});
        }
    });
}

int main() {
    // The callbacks tell the story; no failure reports on stderr.
    Bastion::init_with(Config{}.hide_backtraces());

    // One-for-one (the default): a crash restarts the crashed actor only. At most 3 restarts, after 50 ms, 100 ms...
    SupervisorRef supervisor =
        Bastion::supervisor([](Supervisor sp) {
            return sp
                .with_restart_strategy(RestartStrategy{}
                                           .with_restart_policy(RestartPolicy::Tries(3))
                                           .with_actor_restart_strategy(ActorRestartStrategy::LinearBackOff{
                                               .timeout = 50ms,
                                           }))
                .with_callbacks(Callbacks{}.with_after_stop([] { std::cout << "supervisor: stopped\n"; }));
        }).expect("Couldn't create the supervisor.");
    ChildrenRef squarer_group = supervisor.children(squarers).expect("Couldn't create the squarers.");
    ChildrenRef flaky_group =
        supervisor.children([squarer_group](Children children) { return flaky(children, squarer_group); })
            .expect("Couldn't create the flaky actor.");

    // Nothing runs before start: these wait in the flaky actor's mailbox, and the restart keeps what is left there.
    ChildRef flaky_actor = flaky_group.elems()[0];
    for (int n = 1; n <= 5; ++n) flaky_actor.tell_anonymously(Job{n}).expect("Couldn't send the job.");
    flaky_actor.tell_anonymously(Done{}).expect("Couldn't send the end.");

    Bastion::start();
    Bastion::block_until_stopped();
    std::cout << "main: the system has stopped\n";
}
