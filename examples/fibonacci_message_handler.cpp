// Port of bastion/examples/fibonacci_message_handler.rs, line for line: fibonacci.cpp with MessageHandler in place
// of MSG. Smaller numbers than upstream (15.. instead of 35..) so it runs in milliseconds; the logs and timings go
// to stderr, as env_logger's do, and stdout carries only the results.
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
static void info(const std::string& line) { std::clog << "INFO  fibonacci_message_handler] " + line + "\n"; }
static void error(const std::string& line) { std::clog << "ERROR fibonacci_message_handler] " + line + "\n"; }

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
        MessageHandler{ctx.recv()}
            .on_question([](std::string request, AnswerSender sender) {
                auto [command, number] = deserialize_into_fib_command(request);
                if (command == "fib") {
                    std::move(sender)
                        .reply(std::to_string(fib(number)))
                        .expect("couldn't reply :(");
                } else {
                    std::move(sender)
                        .reply(std::string{
                            "I'm sorry I didn't understand the task I was supposed to do"
                        })
                        .expect("couldn't reply :(");
                }
            })
            .on_broadcast([](const std::string& broadcast, RefAddr /*sender_addr*/) {
                info("received broadcast: \"" + broadcast + "\"");
            })
            .on_tell([](std::string message, RefAddr /*sender_addr*/) {
                info("someone told me something: " + message);
            })
            .on_fallback([](Msg& unknown, RefAddr /*sender_addr*/) {
                error(
                    std::string{"uh oh, I received a message I didn't understand\n "} +
                    unknown.type().name()
                );
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

    return Ok(
        MessageHandler<std::string>{answer.try_get().expect("couldn't receive answer")}
            .on_tell([](std::string reply, RefAddr /*sender_addr*/) { return reply; })
            .on_fallback([](Msg& unknown, RefAddr /*sender_addr*/) {
                error(
                    std::string{"uh oh, I received a message I didn't understand: "} +
                    unknown.type().name()
                );
                return std::string{};
            })
    );
}

// ./fibonacci_message_handler (the logs are on stderr)
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

// $ ./fibonacci_message_handler
// INFO  fibonacci_message_handler] received broadcast: "Hello there :)"
// INFO  fibonacci_message_handler] someone told me something: shhh here's a message, don't tell anyone.
// INFO  fibonacci_message_handler] received broadcast: "Hello there :)"
// fib(15) = 610
//   computed in 0ms
// INFO  fibonacci_message_handler] received broadcast: "Hello there :)"
// INFO  fibonacci_message_handler] received broadcast: "Hello there :)"
// INFO  fibonacci_message_handler] someone told me something: shhh here's a message, don't tell anyone.
// fib(17) = 1597
//   computed in 0ms
// INFO  fibonacci_message_handler] someone told me something: shhh here's a message, don't tell anyone.
// fib(19) = 4181
//   computed in 0ms
// INFO  fibonacci_message_handler] someone told me something: shhh here's a message, don't tell anyone.
// fib(21) = 10946
//   computed in 0ms
