// Port of bastion-executor/examples/run.rs: a lightproc run on the main thread panics. Its after_panic hook runs,
// then `run` propagates the panic and the program dies of it (uncaught exception: std::terminate, abort), as the
// Rust program ends in a panic.
// println! flushes every line; so does std::endl here, or the abort would lose the buffered output.
#include <bastion/prelude.hpp>

#include <iostream>
#include <stdexcept>

using namespace bastion;

int main() {
    run(
        [] {
            std::cout << "Example execution" << std::endl;
            throw std::runtime_error("fault");
        },
        ProcStack{}.with_after_panic([](EmptyProcState&) {
            std::cout << "after panic" << std::endl;
        }));
}
