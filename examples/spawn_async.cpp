// Port of bastion-executor/examples/spawn_async.rs: a spawned lightproc panics; another lightproc, run on the main
// thread, waits for its handle, which resolves empty (the panic stays contained).
#include <bastion/prelude.hpp>

#include <cstddef>
#include <iostream>
#include <stdexcept>

using namespace bastion;

int main() {
    std::size_t pid = 1;
    auto stack =
        ProcStack{}
            .with_pid(pid)
            .with_after_panic([pid](EmptyProcState&) {
                std::cout << "after panic " << pid << std::endl;
            });

    auto handle = spawn(
        [] {
            throw std::runtime_error("test");
        },
        stack);

    pid = 2;  // Rust shadows `pid` and `stack`; C++ reassigns them (the hook captured pid 1 by copy, as `move`)
    stack = ProcStack{}.with_pid(pid);

    run(
        [&] {
            handle.get();
        },
        stack);
}
