// Port of bastion/examples/parallel_computation.rs: a mapper hands numbers to a pool of ten workers, which double
// them, and sums what comes back.
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

using namespace bastion;

std::uint64_t cycle(std::uint64_t x, std::uint64_t at_most);

///
/// Parallel computation (MapReduce) job example
///
/// Prologue:
/// This example maps a stream of cycling values([0,1,2,3,4,0,1,2,3,4...]) one by one:
/// to 10 workers and every worker compute the double of what they receive and send back.
///
/// Then mapper aggregates the doubled values and sum them.
///
/// Try increasing the worker count. Yes!
int main() {
    // (Rust's `env_logger::init();`: nothing to set up, the runtime reports failures on stderr itself.)

    Bastion::init();

    // Workers that process the work.
    ChildrenRef workers = Bastion::children([](Children children) {
        return children
            .with_redundancy(10)  // Let's have a pool of ten workers.
            .with_exec([](BastionContext ctx) -> Exec {
                std::cout << "Worker started!\n";

                // Start receiving work
                for (;;) {
                    MSG(ctx.recv(),
                        ASK(std::uint64_t msg) {
                            // Unsigned arithmetic wraps, as Rust's `wrapping_mul`.
                            std::uint64_t data = msg * 2;
                            // One `<<` per line: the workers print concurrently.
                            std::cout << "Child doubled the value of " + std::to_string(msg) + " and gave " +
                                             std::to_string(data) + '\n';
                            (void)ANSWER(ctx, data);
                        },
                        OTHERWISE(_) {});
                }
            });
    }).expect("Couldn't start a new children group.");

    // Get a shadowed sharable reference of workers: a ChildrenRef already is one (cheap to copy, valid across
    // restarts), so there is no `Arc` to add.

    //
    // Mapper that generates work.
    Bastion::children([workers](Children children) {
        return children.with_exec([workers](BastionContext ctx) -> Exec {
            std::cout << "Mapper started!\n";

            // Asynchronous computation result will be stored here.
            std::uint64_t sum_of_doubles = 0;

            // Distribute your workload to workers
            std::vector<ChildRef> elems = workers.elems();
            for (std::size_t id = 0; id < elems.size(); ++id) {
                std::uint64_t data = cycle(id, 5);

                Answer computed = ctx.ask(elems[id].addr(), data).unwrap();
                MSG(computed.get(),
                    TELL(std::uint64_t msg) {
                        // Handle the answer...
                        std::cout << "Source received the computed value: " + std::to_string(msg) + '\n';
                        sum_of_doubles += msg;
                    },
                    OTHERWISE(_) {});
            }

            // Tell result of our parallel computation's output.
            std::cout << "Worker computed sum is " + std::to_string(sum_of_doubles) + '\n';

            // Send a signal to system that computation is finished.
            Bastion::stop();

            return Ok();
        });
    }).expect("Couldn't start a new children group.");

    Bastion::start();
    Bastion::block_until_stopped();
}

std::uint64_t cycle(std::uint64_t x, std::uint64_t at_most) {
    x += 1;
    return x % at_most;
}
