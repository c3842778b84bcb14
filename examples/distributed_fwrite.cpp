// Port of bastion/examples/distributed-fwrite.rs.
// A mapper hands numbers to a pool of ten workers, which double them, and writes what comes back to one file.
// Added: upstream writes to data/distwrite, an empty file of its repository (which it must find); this port makes that
// empty file in a fresh temporary directory (standing in for CARGO_MANIFEST_DIR). Once the system has stopped, main
// prints what the file holds (the mapper writes in a fixed order, so that line is fixed) and removes the directory.
// (Upstream's Windows variant is left out.)
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>
#include <bastion/io.hpp>

#include "manifest_dir.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

using namespace bastion;
using io::File;
using io::Handle;
using io::OpenOptions;

std::uint64_t cycle(std::uint64_t x, std::uint64_t at_most);

///
/// Parallel (MapReduce) job which async writes results to a single output file
///
/// Prologue:
/// This example maps a stream of cycling values([0,1,2,3,4,0,1,2,3,4...]) one by one:
/// to 10 workers and every worker compute the double of what they receive and send back.
///
/// Then mapper aggregates the doubled values and write them in their receiving order.
///
/// Try increasing the worker count. Yes!
int main() {
    // (Rust's `env_logger::init();`: nothing to set up, the runtime reports failures on stderr itself.)
    const ManifestDir manifest_dir{{"distwrite", ""}};  // added

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
                                             std::to_string(data) + '\n';  // true
                            (void)ANSWER(ctx, data);
                        },
                        OTHERWISE(_) {});
                }
            });
    }).expect("Couldn't start a new children group.");

    // Get a shadowed sharable reference of workers: a ChildrenRef already is one (cheap to copy, valid across
    // restarts), so there is no `Arc` to add.

    // Mapper that generates work.
    Bastion::children([workers, &manifest_dir](Children children) {
        return children.with_exec([workers, &manifest_dir](BastionContext ctx) -> Exec {
            std::cout << "Mapper started!\n";

            std::filesystem::path path = manifest_dir.path;
            path /= "data";
            path /= "distwrite";

            if (!std::filesystem::exists(path) || !std::filesystem::is_regular_file(path)) {
                Bastion::stop();
                throw std::runtime_error{"The file could not be opened."};
            }

            // Rust: `OpenOptions::new().read(true).write(true).open(&path).unwrap()` then `Handle::<File>::new(fo)`.
            Handle<File> file = Handle<File>::open_with(path, OpenOptions{.read = true, .write = true}).unwrap();

            // Distribute your workload to workers
            std::vector<ChildRef> elems = workers.elems();
            for (std::size_t id = 0; id < elems.size(); ++id) {
                std::uint64_t data = cycle(id, 5);

                Answer computed = ctx.ask(elems[id].addr(), data).unwrap();
                MSG(computed.get(),
                    TELL(std::uint64_t msg) {
                        // Handle the answer...
                        std::cout << "Source received the computed value: " + std::to_string(msg) + '\n';
                        file.write_all(std::to_string(msg)).unwrap();
                    },
                    OTHERWISE(_) {});
            }

            // Send a signal to system that computation is finished.
            Bastion::stop();

            return Ok();
        });
    }).expect("Couldn't start a new children group.");

    Bastion::start();
    Bastion::block_until_stopped();

    // Added: what the mapper wrote.
    std::ifstream written{manifest_dir.path / "data" / "distwrite"};
    std::cout << "The file holds: " << std::string{std::istreambuf_iterator<char>{written}, {}} << '\n';
}

std::uint64_t cycle(std::uint64_t x, std::uint64_t at_most) {
    x += 1;
    return x % at_most;
}
