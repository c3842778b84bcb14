// Port of bastion/examples/getting_started.rs: a tour of the API (system, supervisors, children groups, messages).
// It prints nothing.
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <vector>

using namespace bastion;

// Upstream leaves most children groups empty (`children` as is), which gives their actor an exec that returns at
// once. Here they run this instead, an actor that reads its mailbox until it is stopped, so that the broadcasts, tells,
// asks and stops below reach a live actor rather than race with its end.
Exec serve_until_stopped(BastionContext ctx) {
    for (;;) (void)ctx.recv();
}

int main() {
    // (Rust's `env_logger::init();`: nothing to set up, the runtime reports failures on stderr itself.)

    // Creating the system's configuration...
    auto config = Config{}.hide_backtraces();
    // ...and initializing the system with it (this is required)...
    Bastion::init_with(config);

    // Note that `Bastion::init();` would work too and initialize
    // the system with the default config.

    // Starting the system...
    Bastion::start();

    // Creating a new supervisor...
    SupervisorRef supervisor =
        Bastion::supervisor([](Supervisor sp) {
            return sp
                // ...with a specific supervision strategy...
                .with_strategy(SupervisionStrategy::OneForAll)
                // ...and some supervised children groups...
                .children([](Children children) {
                    // ...
                    return children.with_exec(serve_until_stopped);
                })
                .children([](Children children) {
                    // ...
                    return children.with_exec(serve_until_stopped);
                })
                // ...or even supervised supervisors...
                .supervisor([](Supervisor sp) {
                    // ...
                    return sp;
                });
        }).expect("Couldn't create the supervisor.");

    // ...which can start supervising new children groups
    // later on...
    supervisor
        .children([](Children children) {
            // ...
            return children.with_exec(serve_until_stopped);
        })
        .expect("Couldn't create the supervised children group.");

    // ...or broadcast messages to all its supervised children
    // and supervisors...
    supervisor.broadcast("A message containing data.").expect("Couldn't broadcast the message.");

    // ...and then can even be stopped or killed...
    supervisor.stop().expect("Couldn't stop the supervisor");
    // supervisor.kill().expect("Couldn't kill the supervisor");

    // Creating a new top-level children group...
    ChildrenRef children =
        Bastion::children([](Children children) {
            return children
                // ...containing a defined number of elements...
                .with_redundancy(4)
                // ...all executing a similar exec...
                .with_exec([](BastionContext ctx) -> Exec {
                    // ...receiving and matching messages...
                    MSG(ctx.recv(),
                        // BROADCAST(...) arms are broadcasts (the payload is shared: by const& or by copy).
                        BROADCAST(const char* _msg) {
                            // ...
                        },
                        // TELL(...) arms are messages that have a unique recipient.
                        TELL(const char* _msg) {
                            // ...
                        },
                        // ASK(...) arms are messages that can be replied to.
                        ASK(const char* _msg) {
                            // ...
                        },
                        // OTHERWISE(_) is the catch all (mandatory, last).
                        OTHERWISE(_) {});

                    // ...

                    return Ok();
                });
        }).expect("Couldn't create the children group.");

    // ...which can broadcast messages to all its elements...
    children.broadcast("A message containing data.").expect("Couldn't broadcast the message.");

    // ...and then can even be stopped or killed...
    children.stop().expect("Couldn't stop the children group.");
    // children.kill().expect("Couldn't kill the children group.");

    // Create a new top-level children group and getting a list
    // of reference to its elements...
    children = Bastion::children([](Children children) {
                   // ...
                   return children.with_exec(serve_until_stopped);
               }).expect("Couldn't create the children group.");
    std::vector<ChildRef> elems = children.elems();

    // ...to then get one of its elements' reference...
    const ChildRef& child = elems[0];

    // ...to then "tell" it messages...
    child.tell_anonymously("A message containing data.").expect("Couldn't send the message.");

    // ...or "ask" it messages...
    Answer answer = child.ask_anonymously("A message containing data.").expect("Couldn't send the message.");
    // (Like Rust's `async` block that nothing polls, this lambda is never called.)
    [[maybe_unused]] auto wait = [&answer] {
        // ...until the child eventually answers back...
        [[maybe_unused]] Result<SignedMessage, ReceiveError> _answer = answer.try_get();
    };

    // ...and then even stop or kill it...
    child.stop().expect("Couldn't stop the child.");
    // child.kill().expect("Couldn't kill the child.");

    // Broadcasting a message to all the system's children... Unlike upstream's, ours comes back (Err) when no actor
    // is left to receive it, which may be the case here: every actor above is being stopped. Hence no `expect`.
    (void)Bastion::broadcast("A message containing data.");

    // Stopping or killing the system... (upstream leaves both commented out and waits for Ctrl-C; this port stops
    // itself so that it ends)
    Bastion::stop();
    // Bastion::kill();

    // Blocking until the system has stopped (or got killed)...
    Bastion::block_until_stopped();
}
