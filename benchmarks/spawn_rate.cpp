// spawn_rate: spawn + join throughput in batches: spawn a batch of 1000, join all of it, repeat.
//
// Two paths: `local` spawns from inside a lightproc (the worker's own queue), `inject` from the main thread (the
// injection queue; the main thread blocks in each join). Two phases, both in one fresh process per run: `cold` is the
// first batch (every stack freshly mapped and faulted), `warm` is --batches batches after --warmup untimed ones.
//
// Floor: work_stealing pool with the main thread a member; `local` spawns from a fiber of the pool, `inject` from the
// main thread's own context (Boost cannot hand a fiber to a pool from outside it, so that is its nearest equivalent).
// launch::post, fixedsize_stack, joined with fiber::join. Measured twice: with malloc's defaults (`floor`) and with
// malloc keeping freed memory (`floor-keep`, see FloorMalloc in support/bench.hpp).

#include "support/bench.hpp"

#include <bastion/prelude.hpp>

#include <boost/fiber/all.hpp>

#include <cstdint>
#include <vector>

namespace {

using namespace bastion::bench;

struct Params {
    std::size_t batch, batches, warmup, workers, floor_stack;
};

// Times `batch()`, which spawns one batch, joins it and returns the sum of the values (checked): its first call cold,
// then --batches calls after --warmup untimed ones.
template <class Batch>
Figures measure(const Params& p, Batch&& batch) {
    const std::uint64_t expected = p.batch * (p.batch - 1) / 2;
    auto start = Clock::now();
    if (batch() != expected) throw std::runtime_error("cold batch: wrong sum");
    const double cold = seconds_since(start);
    for (std::size_t b = 0; b < p.warmup; ++b) {
        if (batch() != expected) throw std::runtime_error("warm-up batch: wrong sum");
    }
    start = Clock::now();
    for (std::size_t b = 0; b < p.batches; ++b) {
        if (batch() != expected) throw std::runtime_error("warm batch: wrong sum");
    }
    const double warm = seconds_since(start);
    return {{"cold_per_s", static_cast<double>(p.batch) / cold},
            {"warm_per_s", static_cast<double>(p.batch * p.batches) / warm}};
}

Figures run_ours(const Params& p, bool local) {
    bastion::Executor ex{bastion::ExecutorConfig{.workers = p.workers}};
    auto batch = [&ex, &p, handles = std::vector<bastion::RecoverableHandle<std::uint64_t>>{}]() mutable {
        handles.clear();
        handles.reserve(p.batch);
        for (std::uint64_t i = 0; i < p.batch; ++i) handles.push_back(ex.spawn([i] { return i; }));
        std::uint64_t sum = 0;
        for (auto& h : handles) sum += h.get().value_or(0);
        return sum;
    };
    Figures figures;
    if (local) {
        auto root = ex.spawn([&] { return measure(p, batch); });
        figures = root.get().value();
    } else {
        figures = measure(p, batch);
    }
    const bastion::ExecutorStats stats = ex.stats();
    figures.emplace_back("steals", static_cast<double>(stats.steals));
    figures.emplace_back("parks", static_cast<double>(stats.parks));
    return figures;
}

Figures run_floor(const Params& p, bool local, FloorMalloc malloc_mode) {
    configure_malloc(malloc_mode);
    FloorPool pool{p.workers, FloorIdle::Poll};
    auto batch = [&p, fibers = std::vector<boost::fibers::fiber>{}, values = std::vector<std::uint64_t>{}]() mutable {
        fibers.clear();
        fibers.reserve(p.batch);
        values.assign(p.batch, 0);
        for (std::uint64_t i = 0; i < p.batch; ++i) {
            fibers.emplace_back(boost::fibers::launch::post, std::allocator_arg,
                                boost::fibers::fixedsize_stack{p.floor_stack}, [&values, i] { values[i] = i; });
        }
        std::uint64_t sum = 0;
        for (std::uint64_t i = 0; i < p.batch; ++i) {
            fibers[i].join();
            sum += values[i];
        }
        return sum;
    };
    if (!local) return measure(p, batch);
    Figures figures;
    boost::fibers::fiber driver{boost::fibers::launch::post, std::allocator_arg,
                                boost::fibers::fixedsize_stack{64 * 1024}, [&] { figures = measure(p, batch); }};
    driver.join();
    return figures;
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "spawn_rate: spawn + join throughput, batches spawned then joined"};
    Params p{};
    p.batch = static_cast<std::size_t>(args.integer("batch", 1000, "lightprocs spawned, then joined, per batch"));
    p.batches = static_cast<std::size_t>(args.integer("batches", 300, "timed warm batches"));
    p.warmup = static_cast<std::size_t>(args.integer("warmup", 20, "untimed batches between cold and warm"));
    p.workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers = floor pool threads"));
    const auto runs = args.integer("runs", 3, "runs of each (ours and floor alternate, each in a fresh process)");
    p.floor_stack = static_cast<std::size_t>(args.integer("floor-stack", 8192, "floor fixedsize_stack bytes"));
    const std::string path = args.text("path", "both", "spawn path", {"both", "local", "inject"});
    const std::string only = args.text("only", "both", "run only ours or only the floor", {"both", "ours", "floor"});
    args.done();
    if (p.batch < 1 || p.batches < 1) args.fail("--batch and --batches must be at least 1");
    std::cout << "ours: ex.spawn(...) then handle.get() each; local = from a root lightproc, inject = from main; "
                 "executor defaults\n"
              << "floor: work_stealing(" << p.workers << ", suspend=false), main thread a member, launch::post, "
              << "fixedsize_stack(" << p.floor_stack << "), fiber::join; local = from a pool fiber, inject = from "
              << "main's context\n"
              << "cold = first batch of a fresh process; warm = " << p.batches << " batches after " << p.warmup
              << " warm-up batches\n"
              << "floor-keep: the same with malloc told to keep freed memory (no trim; see FloorMalloc)\n";
    print_page_fault_cost();
    std::cout << "\n";

    std::vector<std::string> paths;
    if (path != "inject") paths.push_back("local");
    if (path != "local") paths.push_back("inject");
    std::map<std::string, std::vector<double>> series;  // "<impl> <path> <phase>"
    auto record = [&](const std::string& impl, const std::string& where, const Figures& f) {
        series[impl + " " + where + " cold"].push_back(figure(f, "cold_per_s"));
        series[impl + " " + where + " warm"].push_back(figure(f, "warm_per_s"));
        if (where == "local") {
            const std::string name = impl == "ours" ? "bastion" : impl == "floor" ? "boost_fiber" : "boost_fiber_keep";
            result("spawn", name, figure(f, "warm_per_s"), "per_s");
        }
        const std::string label = where + " " + impl + ":";
        std::cout << "run " << series[impl + " " + where + " cold"].size() << " " << label
                  << std::string(label.size() < 19 ? 19 - label.size() : 1, ' ') << "cold "
                  << fmt(figure(f, "cold_per_s") / 1e6) << " M/s, warm " << fmt(figure(f, "warm_per_s") / 1e6)
                  << " M/s";
    };
    for (std::int64_t run = 1; run <= runs; ++run) {
        for (const std::string& where : paths) {
            const bool local = where == "local";
            if (only != "floor") {
                const Figures f = isolated("spawn_rate ours", [&] { return run_ours(p, local); });
                record("ours", where, f);
                std::cout << " (steals " << figure(f, "steals") << ", parks " << figure(f, "parks") << ")" << noise(f)
                          << std::endl;
            }
            if (only != "ours") {
                for (const FloorMalloc mode : {FloorMalloc::Default, FloorMalloc::Keep}) {
                    const Figures f =
                        isolated("spawn_rate floor", [&] { return run_floor(p, local, mode); }, Subject::Floor);
                    record(mode == FloorMalloc::Keep ? "floor-keep" : "floor", where, f);
                    std::cout << noise(f) << std::endl;
                }
            }
        }
    }

    auto in_millions = [](std::vector<double> v) {
        for (double& x : v) x /= 1e6;
        return v;
    };
    std::cout << "\nresults (median of runs), lightprocs spawned and joined per second:\n";
    for (const std::string& where : paths) {
        for (const std::string phase : {"cold", "warm"}) {
            const auto& ours = series["ours " + where + " " + phase];
            compare(where + " path, " + phase, in_millions(ours),
                    {{"floor", in_millions(series["floor " + where + " " + phase])},
                     {"floor-keep", in_millions(series["floor-keep " + where + " " + phase])}},
                    "M/s");
            if (phase == std::string{"warm"} && !ours.empty()) {
                verdict(">= 2.5 M/s warm", spread(ours).median >= 2.5e6);
            }
        }
    }
    return 0;
}
