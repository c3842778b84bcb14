// Port of lightproc/examples/proc_run.rs: a lightproc whose schedule function sends it over a channel to a thread
// that runs it; main blocks on its handle.
#include "channel.hpp"

#include <bastion/prelude.hpp>

#include <concepts>
#include <iostream>
#include <memory>
#include <thread>
#include <utility>

using namespace bastion;

template <std::invocable F>
auto spawn_on_thread(F fut) {
    auto [tx, receiver] = channel::unbounded<LightProc>();
    auto sender = std::make_shared<channel::Sender<LightProc>>(std::move(tx));
    std::weak_ptr<channel::Sender<LightProc>> s = sender;

    auto future = [sender, fut = std::move(fut)]() mutable {
        (void)sender;  // held until the lightproc is done: then the channel disconnects and the thread below ends
        return fut();
    };

    auto schedule = [s](LightProc t) { s.lock()->send(std::move(t)); };
    auto [proc, handle] = LightProc::build(
        std::move(future),
        schedule,
        ProcStack{}
            .with_pid(1)
            .with_before_start([](EmptyProcState&) {
                std::cout << "Before start" << std::endl;
            })
            .with_after_complete([](EmptyProcState&) {
                std::cout << "After complete" << std::endl;
            }));

    proc.schedule();

    std::thread([receiver = std::move(receiver)]() mutable {
        while (auto proc = receiver.recv()) {
            proc->run();
        }
    }).detach();

    return std::move(handle);
}

int main() {
    spawn_on_thread([] {
        std::cout << "Hello, world!" << std::endl;
    }).get();
}
