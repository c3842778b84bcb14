// A tour of the executor, for the README's "run the demo": the machine, lightprocs spread over the workers, a panic
// contained by its handle, blocking work off the workers, and the executor's counters.
#include <bastion/prelude.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace bastion;

// The message of the exception a lightproc ended with.
std::string message_of(std::exception_ptr panic) {
    try {
        std::rethrow_exception(panic);
    } catch (const std::exception& e) {
        return e.what();
    }
}

int main() {
    std::cout << platform::Topology::machine().describe();
    Executor& executor = Executor::global();
    std::cout << "executor: " << executor.workers() << " workers\n";

    // Eight lightprocs, queued from main to the workers; each sums 1..n, yielding now and then so others interleave.
    std::vector<RecoverableHandle<std::uint64_t>> sums;
    for (std::uint64_t n = 1000; n <= 8000; n += 1000) {
        sums.push_back(SPAWN() {
            std::uint64_t sum = 0;
            for (std::uint64_t i = 1; i <= n; ++i) {
                sum += i;
                if (i % 100 == 0) this_proc::yield_now();
            }
            return sum;
        });
    }
    for (std::size_t i = 0; i < sums.size(); ++i) {
        std::cout << "lightproc " << i + 1 << ": sum = " << *RUN(sums[i]) << '\n';
    }

    // A panic stays inside its lightproc: the handle yields no value and keeps the exception.
    auto faulty = SPAWN() -> int { throw std::runtime_error("the disk is on fire"); };
    std::optional<int> value = RUN(faulty);
    std::cout << "faulty lightproc: " << (value ? "a value" : "no value") << ", it panicked with \""
              << message_of(faulty.panic()) << "\"\n";

    // Blocking work runs on the blocking pool, so it never holds up a worker; RUN waits for it here.
    std::optional<std::string> report = RUN(BLOCKING() {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        return std::string{"slept 50 ms on the blocking pool"};
    });
    std::cout << "blocking: " << *report << '\n';

    ExecutorStats stats = executor.stats();
    std::cout << "stats: spawned " << stats.spawned << ", steals " << stats.steals << ", parks " << stats.parks
              << ", wakes " << stats.wakes << ", blocking threads " << stats.blocking_threads << '\n';
}
