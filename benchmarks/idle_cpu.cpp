// idle_cpu: CPU used by an executor with nothing to do. Process CPU time (getrusage RUSAGE_SELF: user + system, all
// threads) over an idle window, as a percentage of one core. Two windows for ours: right after the executor starts,
// and right after a burst of work (10k lightprocs spawned and joined), since a worker that has just run out of work
// takes a different path (spin, then park) than one that never had any.
//
// Floor: a work_stealing pool idling (its main thread in boost::this_fiber::sleep_for), with Boost's default
// suspend = false (busy-polls) and, for reference, suspend = true (sleeps on a condition variable).

#include "support/bench.hpp"

#include <bastion/prelude.hpp>

#include <boost/fiber/all.hpp>

#include <cstdint>
#include <thread>
#include <vector>

namespace {

using namespace bastion::bench;

struct Params {
    std::size_t workers, burst;
    std::chrono::milliseconds idle;
};

// Runs `sleep` for the idle window and returns the CPU used meanwhile, in % of a core, and wake-ups per second.
template <class Sleep>
Figures window(const std::string& name, Sleep&& sleep) {
    const CpuTime cpu0 = process_cpu();
    const auto start = Clock::now();
    sleep();
    const double wall = seconds_since(start);
    const CpuTime cpu1 = process_cpu();
    return {{name + "_pct", (cpu1.seconds - cpu0.seconds) / wall * 100},
            {name + "_switches_per_s", (cpu1.voluntary_switches - cpu0.voluntary_switches) / wall}};
}

Figures run_ours(const Params& p) {
    bastion::Executor ex{bastion::ExecutorConfig{.workers = p.workers}};
    Figures figures = window("fresh", [&] { std::this_thread::sleep_for(p.idle); });
    std::vector<bastion::RecoverableHandle<std::size_t>> handles;
    handles.reserve(p.burst);
    for (std::size_t i = 0; i < p.burst; ++i) handles.push_back(ex.spawn([i] { return i; }));
    for (auto& h : handles) h.get();
    handles.clear();
    for (auto& f : window("after_work", [&] { std::this_thread::sleep_for(p.idle); })) figures.push_back(f);
    const bastion::ExecutorStats stats = ex.stats();
    figures.emplace_back("parks", static_cast<double>(stats.parks));
    figures.emplace_back("wakes", static_cast<double>(stats.wakes));
    return figures;
}

Figures run_floor(const Params& p, FloorIdle idle) {
    FloorPool pool{p.workers, idle};
    return window("fresh", [&] { boost::this_fiber::sleep_for(p.idle); });
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "idle_cpu: CPU used by an idle executor, in % of one core (target < 1 %)"};
    Params p{};
    p.workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers = floor pool threads"));
    p.idle = std::chrono::milliseconds{args.integer("idle-ms", 5000, "length of each idle window")};
    p.burst = static_cast<std::size_t>(args.integer("burst", 10'000, "lightprocs run between the two windows"));
    const auto runs = args.integer("runs", 3, "runs of each (ours and floor alternate, each in a fresh process)");
    const std::string only = args.text("only", "both", "run only ours or only the floor", {"both", "ours", "floor"});
    args.done();
    std::cout << "ours: Executor{workers=" << p.workers << "} (and its blocking pool), main thread asleep; window 1 "
                 "right after start, window 2 right after "
              << p.burst << " lightprocs\n"
              << "floor: work_stealing(" << p.workers << ", suspend=false|true), main thread a member, asleep in "
                 "this_fiber::sleep_for\n"
              << "figure: (utime + stime over the window) / window, in % of one core\n\n";

    std::map<std::string, std::vector<double>> s;
    for (std::int64_t run = 1; run <= runs; ++run) {
        std::cout << "run " << run << ":";
        if (only != "floor") {
            const Figures f = isolated("idle_cpu ours", [&] { return run_ours(p); });
            s["ours fresh"].push_back(figure(f, "fresh_pct"));
            s["ours after_work"].push_back(figure(f, "after_work_pct"));
            std::cout << "  ours " << fmt(figure(f, "fresh_pct")) << " % / " << fmt(figure(f, "after_work_pct"))
                      << " % (" << fmt(figure(f, "fresh_switches_per_s")) << " / "
                      << fmt(figure(f, "after_work_switches_per_s")) << " voluntary switches/s; parks "
                      << figure(f, "parks") << ")" << noise(f);
        }
        if (only != "ours") {
            const Figures poll =
                isolated("idle_cpu floor", [&] { return run_floor(p, FloorIdle::Poll); }, Subject::Floor);
            const Figures suspend =
                isolated("idle_cpu floor", [&] { return run_floor(p, FloorIdle::Suspend); }, Subject::Floor);
            s["floor poll"].push_back(figure(poll, "fresh_pct"));
            s["floor suspend"].push_back(figure(suspend, "fresh_pct"));
            std::cout << "  floor suspend=false " << fmt(s["floor poll"].back()) << " %, suspend=true "
                      << fmt(s["floor suspend"].back()) << " %" << noise(poll);
        }
        std::cout << std::endl;
        if (only != "floor") result("idle_cpu", "bastion", s["ours after_work"].back(), "%");
        if (only != "ours") {
            result("idle_cpu", "boost_fiber", s["floor poll"].back(), "%");
            result("idle_cpu", "boost_fiber_suspend", s["floor suspend"].back(), "%");
        }
    }

    std::cout << "\nresults (median of runs), CPU in % of one core while idle:\n";
    compare("idle right after start, vs work_stealing suspend=false", s["ours fresh"], s["floor poll"], "%");
    if (!s["ours fresh"].empty()) verdict("< 1 %", spread(s["ours fresh"]).median < 1);
    compare("idle right after work, vs work_stealing suspend=false", s["ours after_work"], s["floor poll"], "%");
    if (!s["ours after_work"].empty()) verdict("< 1 %", spread(s["ours after_work"]).median < 1);
    if (!s["floor suspend"].empty()) {
        std::cout << "  work_stealing suspend=true, for reference: " << describe(s["floor suspend"], "%") << "\n";
    }
    return 0;
}
