// churn: rounds of short-lived actors in one system. Each round starts N groups of one actor (Bastion::children),
// waits until all have started, then ends them: half return Ok() after their one message, half are stopped through
// their ChildRef (the refs are dropped). A long-running system with actor churn must not grow: what an ended actor leaves behind is bounded, reused
// pools, nothing per actor (issue 18, item 4).
// Measures actors started and ended per second, and RSS after each round; the figure is RSS after the last round
// against after the first.
//
// No floor: Boost.Fiber has no actors. Erlang's spawn/exit is the peer to compare with.

#include "support/actors.hpp"

#include <cstdint>

namespace {

using namespace bastion::bench;
using bastion::BastionContext;
using bastion::ChildRef;
using bastion::Exec;

// Waits until `counter` reaches `target`, polling (the actors run on the system's workers).
void wait_for(const std::atomic<std::uint64_t>& counter, std::uint64_t target) {
    while (counter.load(std::memory_order_acquire) < target) std::this_thread::sleep_for(std::chrono::microseconds{200});
}

Figures run_ours(std::uint64_t actors, std::uint64_t rounds, std::size_t workers) {
    SystemForRun system{workers};
    std::atomic<std::uint64_t> started{0};
    std::atomic<std::uint64_t> ended{0};
    Figures figures;
    double rss_first = 0;
    const auto start = Clock::now();
    for (std::uint64_t round = 1; round <= rounds; ++round) {
        std::vector<ChildRef> stopped;
        stopped.reserve(actors / 2);
        for (std::uint64_t i = 0; i < actors; ++i) {
            ChildRef actor = spawn_actor([&started, &ended](BastionContext ctx) -> Exec {
                started.fetch_add(1, std::memory_order_relaxed);
                struct End {
                    std::atomic<std::uint64_t>& ended;
                    ~End() { ended.fetch_add(1, std::memory_order_release); }
                } end{ended};
                (void)ctx.recv();
                return bastion::Ok();
            });
            if (i % 2 == 0) {
                (void)actor.tell_anonymously(i);  // it returns Ok() once it reads this
            } else {
                stopped.push_back(std::move(actor));
            }
        }
        wait_for(started, round * actors);  // an actor stopped before its start never runs: stop running ones
        for (const ChildRef& actor : stopped) (void)actor.stop();
        stopped.clear();
        wait_for(ended, round * actors);
        // The supervisor forgets the ended groups after their runs have ended: give it a moment to catch up.
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        const double rss = proc_status_bytes("VmRSS") / (1 << 20);
        if (round == 1) rss_first = rss;
        figures.emplace_back("rss_" + std::to_string(round) + "_mib", rss);
    }
    figures.emplace_back("per_s", static_cast<double>(actors * rounds) / seconds_since(start));
    figures.emplace_back("rss_first_mib", rss_first);
    figures.emplace_back("rss_last_mib", figure(figures, "rss_" + std::to_string(rounds) + "_mib"));
    return figures;
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "churn: rounds of actors started and ended in one system; RSS per round"};
    const auto actors = static_cast<std::uint64_t>(args.integer("actors", 100000, "actors per round"));
    const auto rounds = static_cast<std::uint64_t>(args.integer("rounds", 10, "rounds"));
    const auto workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers"));
    const auto runs = args.integer("runs", 3, "runs (each in a fresh process)");
    args.done();
    if (rounds < 1 || actors < 2) args.fail("--rounds must be at least 1 and --actors at least 2");
    std::cout << "ours: " << rounds << " rounds of " << actors
              << " one-actor groups; half return Ok() after one message, half are stopped through their ref\n\n";
    std::vector<double> rates;
    double worst_growth = 0;
    for (std::int64_t run = 1; run <= runs; ++run) {
        const Figures f = isolated("churn ours", [&] { return run_ours(actors, rounds, workers); });
        rates.push_back(figure(f, "per_s") / 1e3);
        result("churn", "bastion", figure(f, "per_s"), "per_s");
        const double growth = figure(f, "rss_last_mib") / figure(f, "rss_first_mib") - 1;
        worst_growth = std::max(worst_growth, growth);
        std::cout << "run " << run << ": " << fmt(rates.back()) << " k actors/s; RSS by round (MiB):";
        for (std::uint64_t round = 1; round <= rounds; ++round) {
            std::cout << ' ' << fmt(figure(f, "rss_" + std::to_string(round) + "_mib"));
        }
        std::cout << noise(f) << std::endl;
    }
    std::cout << "\nresults (median of runs):\n";
    compare("actors started and ended per second", rates, std::vector<std::pair<std::string, std::vector<double>>>{},
            "k/s");
    std::cout << "    RSS after the last round against the first, worst run: +" << fmt(100 * worst_growth) << " %\n";
    verdict("RSS flat (last round within 10 % of the first)", worst_growth <= 0.10);
    return 0;
}
