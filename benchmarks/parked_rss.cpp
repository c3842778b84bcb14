// parked_rss: resident memory per parked lightproc. 100k lightprocs each blocked in this_proc::sleep_for(24h);
// VmRSS (/proc/self/status) before spawning and once all are parked, divided by their number. Executor shutdown then
// cancels them all (timed, as a by-product).
//
// Floor: 100k fibers on a work_stealing pool each blocked on one boost::fibers::condition_variable, fixedsize_stack.
// The vectors of handles / fibers are allocated and touched before the first reading, so they are not counted.

#include "support/bench.hpp"

#include <bastion/prelude.hpp>

#include <boost/fiber/all.hpp>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

using namespace bastion::bench;
using namespace std::chrono_literals;

struct Params {
    std::size_t n, workers, prefault, stack_size, floor_stack;
};

Figures run_ours(const Params& p) {
    bastion::ExecutorConfig config{.workers = p.workers, .stack_size = p.stack_size};
    config.stack_prefault = p.prefault;
    std::vector<bastion::ProcHandle<void>> handles(p.n);  // default-constructed: its pages are touched now
    std::atomic<std::size_t> started{0};
    std::optional<bastion::Executor> ex{std::in_place, config};
    // One lightproc through the whole path first, so the workers' own first-use allocations are not counted.
    ex->spawn([] {}).get();
    std::this_thread::sleep_for(20ms);
    const double before = proc_status_bytes("VmRSS");
    const auto start = Clock::now();
    for (std::size_t i = 0; i < p.n; ++i) {
        handles[i] = ex->spawn([&started] {
            started.fetch_add(1, std::memory_order_relaxed);
            bastion::this_proc::sleep_for(24h);
        });
    }
    while (started.load(std::memory_order_relaxed) != p.n) std::this_thread::sleep_for(1ms);
    const double spawn_s = seconds_since(start);
    std::this_thread::sleep_for(100ms);  // the last ones go from "started" to parked
    const double after = proc_status_bytes("VmRSS");
    const std::size_t live = ex->stats().live;
    const auto stop = Clock::now();
    ex.reset();  // cancels every lightproc and waits for them
    const double shutdown_s = seconds_since(stop);
    std::size_t cancelled = 0;
    for (auto& h : handles) cancelled += h.state().is_cancelled() && !h.get().has_value();
    if (live != p.n) throw std::runtime_error("expected " + std::to_string(p.n) + " live, saw " + std::to_string(live));
    if (cancelled != p.n) throw std::runtime_error("only " + std::to_string(cancelled) + " ended cancelled");
    return {{"bytes_per_proc", (after - before) / static_cast<double>(p.n)},
            {"rss_before_mib", before / (1 << 20)},
            {"rss_after_mib", after / (1 << 20)},
            {"spawn_ms", spawn_s * 1e3},
            {"shutdown_ms", shutdown_s * 1e3}};
}

Figures run_floor(const Params& p) {
    FloorPool pool{p.workers, FloorIdle::Poll};
    std::vector<boost::fibers::fiber> fibers(p.n);
    boost::fibers::mutex mutex;
    boost::fibers::condition_variable cv;
    std::size_t started = 0;
    bool go = false;
    boost::this_fiber::sleep_for(20ms);
    const double before = proc_status_bytes("VmRSS");
    for (std::size_t i = 0; i < p.n; ++i) {
        fibers[i] = boost::fibers::fiber{boost::fibers::launch::post, std::allocator_arg,
                                         boost::fibers::fixedsize_stack{p.floor_stack}, [&] {
                                             std::unique_lock lock{mutex};
                                             ++started;
                                             cv.wait(lock, [&] { return go; });
                                         }};
    }
    for (;;) {
        {
            std::unique_lock lock{mutex};
            if (started == p.n) break;
        }
        boost::this_fiber::sleep_for(1ms);
    }
    boost::this_fiber::sleep_for(100ms);
    const double after = proc_status_bytes("VmRSS");
    {
        std::unique_lock lock{mutex};
        go = true;
    }
    cv.notify_all();
    for (auto& f : fibers) f.join();
    return {{"bytes_per_proc", (after - before) / static_cast<double>(p.n)},
            {"rss_before_mib", before / (1 << 20)},
            {"rss_after_mib", after / (1 << 20)}};
}

}  // namespace

int main(int argc, char** argv) {
    const bastion::ExecutorConfig defaults{};
    Args args{argc, argv, "parked_rss: resident memory per parked lightproc"};
    Params p{};
    p.n = static_cast<std::size_t>(args.integer("n", 100'000, "lightprocs parked at once"));
    p.workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers = floor pool threads"));
    p.prefault = static_cast<std::size_t>(args.integer("prefault", static_cast<std::int64_t>(defaults.stack_prefault),
                                                       "ExecutorConfig::stack_prefault (default: the executor's)"));
    p.stack_size = static_cast<std::size_t>(
        args.integer("stack-size", 0, "ExecutorConfig::stack_size (0: the executor's default)"));
    const auto runs = args.integer("runs", 3, "runs of each (ours and floor alternate, each in a fresh process)");
    p.floor_stack = static_cast<std::size_t>(args.integer("floor-stack", 8192, "floor fixedsize_stack bytes"));
    const std::string only = args.text("only", "both", "run only ours or only the floor", {"both", "ours", "floor"});
    args.done();
    std::cout << "ours: " << p.n << " lightprocs spawned from main, each in this_proc::sleep_for(24h); stack_size "
              << bastion::ExecutorConfig{.stack_size = p.stack_size}.resolved().stack_size << ", stack_prefault "
              << p.prefault << "\n"
              << "floor: work_stealing(" << p.workers << ", suspend=false), main thread a member, launch::post, "
              << "fixedsize_stack(" << p.floor_stack << "), each fiber waiting on one condition_variable\n"
              << "figure: (VmRSS when all are parked - VmRSS before spawning) / n\n";
    print_page_fault_cost();
    std::cout << "\n";

    std::vector<double> ours, floor;
    for (std::int64_t run = 1; run <= runs; ++run) {
        std::cout << "run " << run << ":";
        if (only != "floor") {
            const Figures f = isolated("parked_rss ours", [&] { return run_ours(p); });
            ours.push_back(figure(f, "bytes_per_proc"));
            result("parked_memory", "bastion", ours.back(), "B");
            std::cout << "  ours " << fmt(ours.back()) << " B (RSS " << fmt(figure(f, "rss_before_mib")) << " -> "
                      << fmt(figure(f, "rss_after_mib")) << " MiB; spawn " << fmt(figure(f, "spawn_ms"))
                      << " ms, shutdown " << fmt(figure(f, "shutdown_ms")) << " ms)" << noise(f);
        }
        if (only != "ours") {
            const Figures f = isolated("parked_rss floor", [&] { return run_floor(p); }, Subject::Floor);
            floor.push_back(figure(f, "bytes_per_proc"));
            result("parked_memory", "boost_fiber", floor.back(), "B");
            std::cout << "  floor " << fmt(floor.back()) << " B (RSS " << fmt(figure(f, "rss_before_mib")) << " -> "
                      << fmt(figure(f, "rss_after_mib")) << " MiB)" << noise(f);
        }
        std::cout << std::endl;
    }

    std::cout << "\nresults (median of runs):\n";
    compare("RSS per parked lightproc", ours, floor, "B");
    if (!ours.empty()) verdict("<= 6 KiB = 6144 B", spread(ours).median <= 6144);
    return 0;
}
