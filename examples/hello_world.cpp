// Port of bastion/examples/hello_world.rs, line for line: a group behind the distributor "say_hi" answers one
// question; main asks it through the distributor and prints the typed reply.
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace bastion;
using namespace std::string_view_literals;

///
/// Prologue:
/// The most classic of all examples and especially the essential hello, world!
///
static Exec once_hello_world(BastionContext ctx) {
    MessageHandler{ctx.recv()}
        .on_question([](const char* question, AnswerSender sender) {
            if (question == "hi!"sv) {
                std::move(sender)
                    .reply("hello, world!")
                    .expect("Failed to reply to sender");
            } else {
                throw std::runtime_error{"Expected string `hi!`, found `" + std::string{question} + "`"};
            }
        })
        .on_fallback([](Msg& v, RefAddr addr) {
            throw std::runtime_error{"Wrong message from " + addr.path().to_string() + ": got a " + v.type().name()};
        });
    return Ok();
}

int main() {
    Bastion::init();
    Bastion::start();

    Bastion::children([](Children children) {
        return children
            .with_distributor(Distributor::named("say_hi"))
            .with_exec(once_hello_world);
    })
    .expect("Couldn't create the children group.");

    auto say_hi = Distributor::named("say_hi");

    RUN() {
        // (Rust's `.await.expect("Couldn't send request")` is for a cancelled oneshot: a Request cannot be cancelled.)
        Result<const char*, SendError> answer = say_hi.request<const char*>("hi!").get();

        std::cout << answer.expect("Couldn't receive answer") << '\n';
    };

    Bastion::stop();
}
