// A program may return from main with its system still running (upstream's hello_world does): the system's static
// destruction must stop every actor and join its threads, and the process must exit 0. Run as its own test.

#include <bastion/prelude.hpp>

using namespace bastion;

int main() {
    Bastion::init_with(Config{}.hide_backtraces());
    Bastion::start();
    (void)Bastion::supervisor([](Supervisor sp) {
        return sp.children([](Children c) {
            return c.with_redundancy(3).with_exec([](BastionContext ctx) -> Exec {
                for (;;) (void)ctx.recv();
            });
        });
    });
    auto blocked = Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            for (;;) (void)ctx.recv();
        });
    });
    // Make sure the actors are running (blocked in recv) before main returns.
    (void)blocked.expect("children").elems()[0].ask_anonymously(0).expect("ask").get_for(std::chrono::seconds{5});
    return 0;
}
