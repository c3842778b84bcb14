// Port of bastion/examples/restart_strategy.rs: a supervisor restarts a failing actor three times, with a linear
// back-off, then gives up on it.
#include <bastion/prelude.hpp>

#include <chrono>
#include <iostream>
#include <stdexcept>

using namespace bastion;
using namespace std::chrono_literals;

Supervisor supervisor(Supervisor supervisor);
Children failed_actors_group(Children children);

///
/// Supervisors with a custom restart strategy example.
///
/// Prologue:
/// This examples demonstrates how to override the default restart strategy
/// with a custom strategy, provided by the bastion library. The supervisor will spawn
/// the only one tracked actor that will be restarted a couple of times and
/// after certain timeout failure will arise from the actor's code.
///
int main() {
    Bastion::init();

    Bastion::supervisor(supervisor).expect("Couldn't create the supervisor.");

    Bastion::start();
    // Upstream waits here until Ctrl-C; this port stops itself once the supervisor gives up on the actor (see
    // `failed_actors_group`).
    Bastion::block_until_stopped();
}

Supervisor supervisor(Supervisor supervisor) {
    // Here we are specifying the used restart strategy for our supervisor.
    // By default the bastion's supervisors are always trying to restart
    // failed actors with unlimited amount of tries.
    //
    // At the beginning we're creating a new instance of RestartStrategy
    // and then provides a policy and a back-off strategy.
    auto restart_strategy = RestartStrategy{}
                                // Set the limits for supervisor, so that it could stop
                                // after 3 attempts. If the actor can't be started, the supervisor
                                // will remove the failed actor from tracking.
                                .with_restart_policy(RestartPolicy::Tries(3))
                                // Set the desired restart strategy. By default supervisor will
                                // try to restore the failed actor as soon as possible. However,
                                // in our case we want to restart with a small delay between the
                                // tries. Let's say that we want a regular time interval between the
                                // attempts which is equal to 100 milliseconds (upstream: 1 second;
                                // shorter here so that the example, run as a test, stays fast).
                                // Linear: the n-th restart waits n times that, 600 ms in all.
                                .with_actor_restart_strategy(ActorRestartStrategy::LinearBackOff{
                                    .timeout = 100ms,
                                });

    // After it we define the supervisor...
    return supervisor
        // That uses our restart strategy defined earlier
        .with_restart_strategy(restart_strategy)
        // And tracks the child group, defined in the following function
        .children(failed_actors_group);
}

Children failed_actors_group(Children children) {
    // Specifying the child group, where each actor
    // will output the sentence in the stdout, then will fail
    // with an exception (Rust: a panic).
    return children
        .with_exec([](BastionContext) -> Exec {
            std::cout << "Worker started!\n";
            throw std::runtime_error{"Unexpected error..."};
        })
        // Not upstream: when the supervisor gives up on the actor (after its third restart fails too), the group's
        // `after_stop` runs, and it stops the system so that the example ends on its own. The empty `before_restart`
        // is needed because, without one, every restart runs `after_stop` instead (as upstream).
        .with_callbacks(Callbacks{}.with_before_restart([] {}).with_after_stop([] { Bastion::stop(); }));
}
