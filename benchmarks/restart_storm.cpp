// restart_storm: an actor that fails on every k-th message it gets (--every, default 1), told M x k messages in a row.
// Its supervisor (one-for-one, always, immediately) restarts it M times; the mailbox survives each restart, so every
// message is seen once.
// Measures restarts per second, and RSS after 10% and after all of the restarts (flat means no leak per restart).
//
// No floor: Boost.Fiber has no supervision. The nearest raw figure is spawn_rate's (a restart is a lightproc spawn plus
// two supervisor events).

#include "support/actors.hpp"

#include <cstdint>

namespace {

using namespace bastion::bench;
using bastion::BastionContext;
using bastion::ChildRef;
using bastion::Exec;

Figures run_ours(std::uint64_t restarts, std::uint64_t every, std::size_t workers) {
    SystemForRun system{workers};
    const std::uint64_t n = restarts * every;
    std::atomic<std::uint64_t> seen{0};
    ChildRef storm = spawn_actor([&](BastionContext ctx) -> Exec {
        for (std::uint64_t i = 0; i < every; ++i) {  // counts from 0 again after each restart
            (void)ctx.recv();
            seen.fetch_add(1, std::memory_order_relaxed);
        }
        throw std::runtime_error("fails on every k-th message");
    });
    for (std::uint64_t i = 0; i < n; ++i) {
        if (storm.tell_anonymously(i).is_err()) throw std::runtime_error("the actor stopped");
    }
    const auto start = Clock::now();
    double rss_tenth = 0;
    while (seen.load(std::memory_order_relaxed) < n) {
        if (rss_tenth == 0 && seen.load(std::memory_order_relaxed) >= n / 10) rss_tenth = proc_status_bytes("VmRSS");
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    const double elapsed = seconds_since(start);
    return {{"per_s", static_cast<double>(restarts) / elapsed},
            {"rss_tenth_mib", rss_tenth / (1 << 20)},
            {"rss_end_mib", proc_status_bytes("VmRSS") / (1 << 20)}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "restart_storm: an actor failing on each of M queued messages; restarts per second"};
    const auto n = static_cast<std::uint64_t>(args.integer("restarts", 1000000, "restarts"));
    const auto every = static_cast<std::uint64_t>(args.integer("every", 1, "messages per life: fails on the k-th"));
    const auto workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers"));
    const auto runs = args.integer("runs", 3, "runs (each in a fresh process)");
    args.done();
    if (every < 1) args.fail("--every must be at least 1");
    std::cout << "ours: one actor, ctx.recv() " << every
              << " times then throw; supervisor one-for-one, always, immediately\n\n";
    std::vector<double> rates;
    double worst_growth = 0;
    for (std::int64_t run = 1; run <= runs; ++run) {
        const Figures f = isolated("restart_storm ours", [&] { return run_ours(n, every, workers); });
        rates.push_back(figure(f, "per_s") / 1e3);
        result("restart", "bastion", figure(f, "per_s"), "per_s");
        const double growth = figure(f, "rss_end_mib") - figure(f, "rss_tenth_mib");
        worst_growth = std::max(worst_growth, growth);
        std::cout << "run " << run << ": " << fmt(rates.back()) << " k restarts/s, RSS " << fmt(figure(f, "rss_tenth_mib"))
                  << " MiB after 10%, " << fmt(figure(f, "rss_end_mib")) << " MiB at the end" << noise(f) << std::endl;
    }
    std::cout << "\nresults (median of runs):\n";
    compare("restarts per second", rates, std::vector<std::pair<std::string, std::vector<double>>>{}, "k/s");
    verdict(">= 100 k restarts/s", spread(rates).median >= 100);
    std::cout << "    RSS growth from 10% to 100% of the restarts, worst run: " << fmt(worst_growth) << " MiB\n";
    verdict("RSS flat (< 4 MiB growth)", worst_growth < 4);
    return 0;
}
