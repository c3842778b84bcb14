// idle_actors: memory per idle actor. Starts N actors (one group of redundancy N), each blocked in ctx.recv(), and
// reports the RSS they added, per actor. Then broadcasts once and checks that every actor got the message.
//
// Floor: parked_rss measures a bare parked lightproc and a parked raw Boost.Fiber fiber; an actor adds its cell,
// its mailbox and its supervisor's bookkeeping to that.

#include "support/actors.hpp"

#include <cstdint>

namespace {

using namespace bastion::bench;
using bastion::BastionContext;
using bastion::Exec;
using bastion::Ok;

Figures run_ours(std::uint64_t n, std::size_t workers) {
    const double before = proc_status_bytes("VmRSS");
    SystemForRun system{workers};
    std::atomic<std::uint64_t> waiting{0}, got{0};
    const double with_system = proc_status_bytes("VmRSS");
    auto group = bastion::Bastion::children([&](bastion::Children c) {
                     return c.with_redundancy(n).with_exec([&](BastionContext ctx) -> Exec {
                         waiting.fetch_add(1, std::memory_order_relaxed);
                         (void)ctx.recv();
                         got.fetch_add(1, std::memory_order_relaxed);
                         return Ok();
                     });
                 }).expect("children");
    while (waiting.load(std::memory_order_relaxed) < n) std::this_thread::sleep_for(std::chrono::milliseconds{1});
    std::this_thread::sleep_for(std::chrono::milliseconds{50});  // let the last ones reach their park
    const double parked = proc_status_bytes("VmRSS");
    if (group.broadcast(std::uint64_t{1}).is_err()) throw std::runtime_error("broadcast reached nobody");
    while (got.load(std::memory_order_relaxed) < n) std::this_thread::sleep_for(std::chrono::milliseconds{1});
    (void)before;
    return {{"bytes_per_actor", (parked - with_system) / static_cast<double>(n)}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "idle_actors: RSS per actor blocked in recv"};
    const auto n = static_cast<std::uint64_t>(args.integer("n", 100000, "actors"));
    const auto workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers"));
    const auto runs = args.integer("runs", 3, "runs (each in a fresh process)");
    args.done();
    std::cout << "ours: one group of " << n << " actors, each in ctx.recv(); RSS added / n\n\n";
    std::vector<double> per_actor;
    for (std::int64_t run = 1; run <= runs; ++run) {
        const Figures f = isolated("idle_actors ours", [&] { return run_ours(n, workers); });
        per_actor.push_back(figure(f, "bytes_per_actor"));
        result("idle_memory", "bastion", per_actor.back(), "B");
        std::cout << "run " << run << ": " << fmt(per_actor.back()) << " B per actor" << noise(f) << std::endl;
    }
    std::cout << "\nresults (median of runs):\n";
    compare("RSS per idle actor", per_actor, std::vector<std::pair<std::string, std::vector<double>>>{}, "B");
    verdict("<= 8 KiB", spread(per_actor).median <= 8192);
    return 0;
}
