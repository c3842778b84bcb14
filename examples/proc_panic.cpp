// Port of lightproc/examples/proc_panic.rs: a recoverable lightproc panics on the executor thread; its hooks report
// it and main's wait on the handle returns (empty) instead of panicking.
#include "channel.hpp"

#include <bastion/prelude.hpp>

#include <concepts>
#include <iostream>
#include <stdexcept>
#include <thread>
#include <utility>

using namespace bastion;

template <std::invocable F>
auto spawn_on_thread(F future) {
    // A channel that holds scheduled procs.
    static channel::Sender<LightProc> QUEUE = [] {
        auto [sender, receiver] = channel::unbounded<LightProc>();

        // Start the executor thread.
        std::thread([receiver = std::move(receiver)]() mutable {
            while (auto proc = receiver.recv()) {
                proc->run();
            }
        }).detach();

        return sender;
    }();

    auto schedule = [](LightProc t) { QUEUE.send(std::move(t)); };
    auto [proc, handle] = LightProc::recoverable(
        std::move(future),
        schedule,
        ProcStack{}
            .with_pid(1)
            .with_before_start([](EmptyProcState&) {
                std::cout << "Before start" << std::endl;
            })
            .with_after_complete([](EmptyProcState&) {
                std::cout << "After complete" << std::endl;
            })
            .with_after_panic([](EmptyProcState&) {
                std::cout << "After panic" << std::endl;
            }));

    proc.schedule();

    return std::move(handle);
}

int main() {
    auto handle = spawn_on_thread([] {
        throw std::runtime_error("Panic here!");
    });

    handle.get();
}
