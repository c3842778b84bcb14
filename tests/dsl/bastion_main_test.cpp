// BASTION_MAIN: main's exit code follows the body. Run as a program (it defines main), with BASTION_MAIN_TEST set to
// `ok` (the body asks an actor, checks the reply and returns Ok: exit 0), `err` (returns Err: exit 1) or `throw`
// (throws: exit 1, the reason on stderr).
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string_view>

using namespace bastion;

BASTION_MAIN(ctx) {
    const char* mode = std::getenv("BASTION_MAIN_TEST");
    const std::string_view outcome = mode != nullptr ? mode : "ok";
    if (outcome == "throw") throw std::runtime_error{"asked to throw"};
    if (outcome == "err") return Err();

    auto doubler = CHILDREN(action([](BastionContext& ctx, SignedMessage msg) {
        MSG(std::move(msg), ASK(int x) { (void)ANSWER(ctx, x * 2); }, OTHERWISE(_) {});
    }));
    auto answer = ctx.ask(doubler.elems().at(0).addr(), 21).expect("couldn't ask");
    const int reply = MSG(answer.get(), TELL(int v) { return v; }, OTHERWISE(_) { return -1; });
    std::cout << "reply " << reply << '\n';
    return reply == 42 ? Exec{Ok()} : Exec{Err()};
}
