// Port of bastion/examples/send_recv.rs: an actor asks itself a question, answers it, reads the answer, then fails;
// its restart stops the system.
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <atomic>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>

using namespace bastion;
using namespace std::string_view_literals;

int main() {
    // (Rust's `env_logger::init();`: nothing to set up, the runtime reports failures on stderr itself.)
    std::cout << std::boolalpha;

    Bastion::init();

    // Rust's `Arc<AtomicBool>`.
    auto started = std::make_shared<std::atomic<bool>>(false);

    Bastion::children([started](Children children) {
        return children.with_exec([started](BastionContext ctx) -> Exec {
            std::cout << "Started!\n";

            if (started->exchange(true)) {
                std::cout << "Already started once. Stopping...\n";

                // This will ask the system to stop itself...
                Bastion::stop();
                // ...and this will stop this child immediately...
                return Ok();
                // Note that if `Err()` was returned, the child would have been
                // restarted (and if the system wasn't stopping).
            }

            // This will return nullopt.
            std::optional<SignedMessage> try_recv = ctx.try_recv();
            std::cout << "try_recv.has_value() == " << try_recv.has_value() << '\n';  // false

            Answer answer = ctx.ask(ctx.current().addr(), "Hello World!").expect("Couldn't send the message.");

            MSG(ctx.recv(),
                ASK(const char* msg) {
                    std::cout << R"(msg == "Hello World!" => )" << (msg == "Hello World!"sv) << '\n';  // true
                    (void)ANSWER(ctx, "Goodbye!");
                },
                // This won't happen because this example
                // only "asks" a `const char*`...
                OTHERWISE(_) {});

            MSG(answer.get(),
                TELL(const char* msg) {
                    std::cout << R"(msg == "Goodbye!" => )" << (msg == "Goodbye!"sv) << '\n';  // true
                },
                // This won't happen because this example
                // only answers a `const char*`...
                OTHERWISE(_) {});

            // Throwing (Rust: panicking) will restart the children group.
            throw std::runtime_error{"Oh no!"};
        });
    }).expect("Couldn't start a new children group.");

    Bastion::start();
    Bastion::block_until_stopped();
}
