// Port of lightproc/examples/state_change.rs: the hooks of a panicking lightproc update a state shared with main.
#include "channel.hpp"

#include <bastion/prelude.hpp>

#include <concepts>
#include <cstddef>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

using namespace bastion;

// Rust's `Mutex<T>`, just enough for this example: `lock()` gives access to the value until the end of the statement.
template <class T>
class Locked {
public:
    explicit Locked(T value) : value_{std::move(value)} {}

    struct Guard {
        std::unique_lock<std::mutex> lock;
        T* value;
        T* operator->() const { return value; }
    };
    Guard lock() { return Guard{std::unique_lock{mutex_}, &value_}; }

private:
    std::mutex mutex_;
    T value_;
};

struct GlobalState {
    std::size_t amount;
};

template <std::invocable F>
auto spawn_on_thread(F future, std::shared_ptr<Locked<GlobalState>> gs) {
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

    auto stack = ProcStack{}
        .with_pid(1)
        .with_state(gs)
        .with_before_start([](std::shared_ptr<Locked<GlobalState>>& s) {
            std::cout << "Before start" << std::endl;
            s->lock()->amount += 1;
        })
        .with_after_complete([](std::shared_ptr<Locked<GlobalState>>& s) {
            std::cout << "After complete" << std::endl;
            s->lock()->amount += 2;
        })
        .with_after_panic([](std::shared_ptr<Locked<GlobalState>>& s) {
            std::cout << "After panic" << std::endl;
            s->lock()->amount += 3;
        });

    auto schedule = [](LightProc t) { QUEUE.send(std::move(t)); };
    auto [proc, handle] = LightProc::recoverable(std::move(future), schedule, stack);

    proc.schedule();

    return std::move(handle);
}

int main() {
    auto gs = std::make_shared<Locked<GlobalState>>(GlobalState{.amount = 0});
    auto handle = spawn_on_thread(
        [] {
            throw std::runtime_error("Panic here!");
        },
        gs);

    handle.get();

    // 0 at the start
    // +1 before the start
    // +2 after panic occurs and completion triggers
    // +3 after panic triggers
    if (gs->lock()->amount != 6) throw std::logic_error("assertion failed: gs.lock().amount == 6");  // assert_eq!
}
