// yield_storm: 200 lightprocs each yielding 1000 times; the cost of one yield (a switch through the scheduler).
//
// Ours: a root lightproc spawns the 200 (local queue; idle workers steal), each calls this_proc::yield_now(), the
// root joins them. Floor: 200 fibers launched (launch::post) from the main thread, a work_stealing member, each
// calling boost::this_fiber::yield(), then joined. Each side runs the storm twice in one process and the figure is the
// second (warm) storm, timed from the first spawn to the last join. The first (cold) storm is printed too: it also pays
// for mapping and faulting in fresh stacks (tens of microseconds a page in a VM; `spawn_rate` measures that cost), which
// is no part of a yield but would be a fifth of this figure.
#include "support/bench.hpp"

#include <bastion/prelude.hpp>

#include <boost/fiber/all.hpp>

#include <cstdint>
#include <vector>

namespace {

using namespace bastion::bench;

struct Params {
    std::size_t procs, yields, workers, floor_stack;
};

// One storm on a running executor: seconds from the first spawn to the last join.
double storm_ours(bastion::Executor& ex, const Params& p) {
    const auto start = Clock::now();
    auto root = ex.spawn([&ex, &p] {
        std::vector<bastion::RecoverableHandle<std::size_t>> procs;
        procs.reserve(p.procs);
        for (std::size_t i = 0; i < p.procs; ++i) {
            procs.push_back(ex.spawn([yields = p.yields] {
                std::size_t done = 0;
                for (; done < yields; ++done) bastion::this_proc::yield_now();
                return done;
            }));
        }
        std::size_t total = 0;
        for (auto& h : procs) total += h.get().value_or(0);
        return total;
    });
    const std::size_t total = root.get().value_or(0);
    const double seconds = seconds_since(start);
    if (total != p.procs * p.yields) throw std::runtime_error("yields lost: " + std::to_string(total));
    return seconds;
}

Figures run_ours(const Params& p) {
    bastion::Executor ex{bastion::ExecutorConfig{.workers = p.workers}};
    const double cold = storm_ours(ex, p);
    const double warm = storm_ours(ex, p);
    const double yields = static_cast<double>(p.procs * p.yields);
    return {{"ns_per_yield", warm * 1e9 / yields},
            {"cold_ns_per_yield", cold * 1e9 / yields},
            {"steals", static_cast<double>(ex.stats().steals)}};
}

double storm_floor(const Params& p) {
    std::vector<std::size_t> done(p.procs, 0);
    std::vector<boost::fibers::fiber> fibers;
    fibers.reserve(p.procs);
    const auto start = Clock::now();
    for (std::size_t i = 0; i < p.procs; ++i) {
        fibers.emplace_back(boost::fibers::launch::post, std::allocator_arg,
                            boost::fibers::fixedsize_stack{p.floor_stack}, [&done, i, yields = p.yields] {
                                std::size_t n = 0;
                                for (; n < yields; ++n) boost::this_fiber::yield();
                                done[i] = n;
                            });
    }
    for (auto& f : fibers) f.join();
    const double seconds = seconds_since(start);
    std::size_t total = 0;
    for (std::size_t n : done) total += n;
    if (total != p.procs * p.yields) throw std::runtime_error("yields lost: " + std::to_string(total));
    return seconds;
}

Figures run_floor(const Params& p) {
    FloorPool pool{p.workers, FloorIdle::Poll};
    const double cold = storm_floor(p);
    const double warm = storm_floor(p);
    const double yields = static_cast<double>(p.procs * p.yields);
    return {{"ns_per_yield", warm * 1e9 / yields}, {"cold_ns_per_yield", cold * 1e9 / yields}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "yield_storm: lightprocs yielding in a loop; wall time per yield"};
    Params p{};
    p.procs = static_cast<std::size_t>(args.integer("procs", 200, "lightprocs"));
    p.yields = static_cast<std::size_t>(args.integer("yields", 1000, "yields per lightproc"));
    p.workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers = floor pool threads"));
    const auto runs = args.integer("runs", 3, "runs of each (ours and floor alternate, each in a fresh process)");
    p.floor_stack = static_cast<std::size_t>(args.integer("floor-stack", 8192, "floor fixedsize_stack bytes"));
    const std::string only = args.text("only", "both", "run only ours or only the floor", {"both", "ours", "floor"});
    args.done();
    std::cout << "ours: a root lightproc spawns the lightprocs, each calls this_proc::yield_now(); executor defaults\n"
              << "floor: work_stealing(" << p.workers << ", suspend=false), main thread a member, launch::post, "
              << "fixedsize_stack(" << p.floor_stack << "), boost::this_fiber::yield()\n"
              << "figure: wall time / (procs x yields) of the second storm in one process, both workers yielding at "
                 "once; cold: the first storm, which also maps and faults in fresh stacks\n\n";

    std::vector<double> ours, floor, ours_cold, floor_cold;
    for (std::int64_t run = 1; run <= runs; ++run) {
        std::cout << "run " << run << ":";
        if (only != "floor") {
            const Figures f = isolated("yield_storm ours", [&] { return run_ours(p); });
            ours.push_back(figure(f, "ns_per_yield"));
            ours_cold.push_back(figure(f, "cold_ns_per_yield"));
            result("yield", "bastion", ours.back(), "ns");
            std::cout << "  ours " << fmt(ours.back()) << " ns/yield (cold " << fmt(ours_cold.back()) << ", steals "
                      << figure(f, "steals") << ")" << noise(f);
        }
        if (only != "ours") {
            const Figures f = isolated("yield_storm floor", [&] { return run_floor(p); }, Subject::Floor);
            floor.push_back(figure(f, "ns_per_yield"));
            floor_cold.push_back(figure(f, "cold_ns_per_yield"));
            result("yield", "boost_fiber", floor.back(), "ns");
            std::cout << "  floor " << fmt(floor.back()) << " ns/yield (cold " << fmt(floor_cold.back()) << ")"
                      << noise(f);
        }
        std::cout << std::endl;
    }

    std::cout << "\nresults (median of runs):\n";
    const std::string storm = std::to_string(p.procs) + " x " + std::to_string(p.yields) + " yields";
    compare(storm + ", cold (first storm), wall ns per yield", ours_cold, floor_cold, "ns");
    compare(storm + ", warm (second storm), wall ns per yield", ours, floor, "ns");
    if (!ours.empty() && !floor.empty()) {
        verdict("<= 0.8 x floor", spread(ours).median <= 0.8 * spread(floor).median);
    }
    return 0;
}
