// Port of bastion/examples/fibonacci.rs, line for line: a children group computing Fibonacci numbers on request,
// taking its messages apart with MSG (Rust's msg!). Smaller numbers than upstream (15.. instead of 35..) so it runs
// in milliseconds; the logs and timings go to stderr, as env_logger's do, and stdout carries only the results.
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <chrono>
#include <cstddef>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

using namespace bastion;

// use tracing::{error, info};
static void info(const std::string& line) { std::clog << "INFO  fibonacci] " + line + "\n"; }
static void error(const std::string& line) { std::clog << "ERROR fibonacci] " + line + "\n"; }

// This terribly slow implementation
// will allow us to be rough on the cpu
static std::size_t fib(std::size_t n) {
    if (n == 0 || n == 1) {
        return n;
    } else {
        return fib(n - 1) + fib(n - 2);
    }
}

// This terrible helper is converting `fib 50` into a tuple ("fib", 50)
// we might want to use actual serializable / deserializable structures
// in the real world
static std::pair<std::string, std::size_t> deserialize_into_fib_command(const std::string& message) {
    const auto space = message.find(' ');
    std::string command = message.substr(0, space);
    std::size_t number = 0;
    try {
        number = space == std::string::npos ? 0 : std::stoul(message.substr(space + 1));
    } catch (const std::exception&) {
    }
    return {command, number};
}

// This is the heavylifting.
// A child will wait for a message, and try to process it.
static Exec fib_child_task(BastionContext ctx) {
    for (;;) {
        // This macro is weird.
        // Bear with me as I tell you more
        // about the variants in the match statements below.
        // so the first line means "wait for the next message", and then lets match against it
        MSG(ctx.recv(),
            // =!> refer to messages that can be replied to.
            // In order to reply to a message, we use the answer! macro
            // and pass ctx as parameter, so that bastion knows where to send the reply
            ASK(std::string request) {
                auto [command, number] = deserialize_into_fib_command(request);
                if (command == "fib") {
                    ANSWER(ctx, std::to_string(fib(number))).expect("couldn't reply :(");
                } else {
                    ANSWER(ctx, "I'm sorry I didn't understand the task I was supposed to do")
                        .expect("couldn't reply :(");
                }
            },
            // ref <name> are broadcasts.
            // each child in a children group receives a broadcast and can process it.
            BROADCAST(const std::string& broadcast) {
                info("received broadcast: \"" + broadcast + "\"");
            },
            // <name> (without the ref keyword) are messages that have a unique recipient.
            TELL(std::string message) {
                info("someone told me something: " + message);
            },
            // <name> that have the `_` type are catch alls
            OTHERWISE(unknown) {
                error(std::string{"uh oh, I received a message I didn't understand\n "} + unknown.type().name());
            });
    }
}

// This little helper allows me to send a request, and get a reply.
// The types are `String` for this quick example, but there's a way for us to do better.
// We will see this in other examples.
static Result<std::string, std::error_code> request(const ChildRef& child, std::string body) {
    auto answer = child
        .ask_anonymously(std::move(body))
        .expect("couldn't perform request");
    return Ok(MSG(answer.try_get().expect("couldn't receive answer"),
        TELL(std::string reply) {
            return reply;
        },
        OTHERWISE(unknown) {
            error(std::string{"uh oh, I received a message I didn't understand: "} + unknown.type().name());
            return std::string{};
        }));
}

// ./fibonacci (the logs are on stderr)
int main() {
    // This will allow us to have nice colored logs when we run the program
    // (env_logger::init(): here the logs simply go to std::clog)

    // We need a bastion in order to run everything
    Bastion::init();
    Bastion::start();

    // Spawn 4 children that will execute our fibonacci task
    auto children =
        Bastion::children([](Children children) { return children.with_redundancy(4).with_exec(fib_child_task); })
            .expect("couldn't create children");

    // Broadcasting 1 message to the children
    // Have a look at the console output
    // to see 1 log entry for each child!
    children
        .broadcast(std::string{"Hello there :)"})
        .expect("Couldn't broadcast to the children.");

    std::size_t fib_to_compute = 15;
    for (const ChildRef& child : children.elems()) {
        child
            .tell_anonymously(std::string{"shhh here's a message, don't tell anyone."})
            .expect("Couldn't whisper to child.");

        const auto now = std::chrono::steady_clock::now();
        // by using run!, we are blocking.
        // we could have used spawn! instead,
        // to run everything in parallel.
        auto fib_reply = RUN([&] { return request(child, "fib " + std::to_string(fib_to_compute)); })
            .expect("send_command_to_child failed");

        // The timing goes to stderr, so that stdout stays the same from run to run.
        std::cout << "fib(" << fib_to_compute << ") = " << fib_reply << std::endl;
        const auto elapsed = std::chrono::steady_clock::now() - now;
        std::clog << "  computed in " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                  << "ms\n";
        // Let's not go too far with the fib sequence
        // Otherwise the computer may take a while!
        fib_to_compute += 2;
    }
    Bastion::stop();
    Bastion::block_until_stopped();
}

// $ ./fibonacci
// INFO  fibonacci] received broadcast: "Hello there :)"
// INFO  fibonacci] someone told me something: shhh here's a message, don't tell anyone.
// INFO  fibonacci] received broadcast: "Hello there :)"
// fib(15) = 610
//   computed in 0ms
// INFO  fibonacci] received broadcast: "Hello there :)"
// INFO  fibonacci] received broadcast: "Hello there :)"
// INFO  fibonacci] someone told me something: shhh here's a message, don't tell anyone.
// fib(17) = 1597
//   computed in 0ms
// INFO  fibonacci] someone told me something: shhh here's a message, don't tell anyone.
// fib(19) = 4181
//   computed in 0ms
// INFO  fibonacci] someone told me something: shhh here's a message, don't tell anyone.
// fib(21) = 10946
//   computed in 0ms
