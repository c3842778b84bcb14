// skynet: a 10-ary tree of 1M lightprocs; each leaf returns its number, each inner node sums its children's values.
// https://github.com/atemerev/skynet. Sum of the leaves 0..n-1: 499999500000 for n = 1M (checked).
//
// Ours: every node spawns its children with SPAWN (the executor of the calling worker, local queue) and sums what
// their handles yield. Floor: Boost's own skynet (performance/fiber/skynet_stealing_detach.cpp): detached fibers,
// launch::dispatch, a buffered_channel of 16 per node, fixedsize_stack, work_stealing on every thread; measured with
// malloc's defaults (`floor`) and with malloc keeping freed memory (`floor-keep`, see FloorMalloc).

#include "support/bench.hpp"

#include <bastion/prelude.hpp>

#include <boost/fiber/all.hpp>

#include <array>
#include <cstdint>

namespace {

using namespace bastion::bench;

constexpr std::uint64_t max_div = 16;

struct Params {
    std::uint64_t n, div;
    std::size_t workers, floor_stack;
    boost::fibers::launch floor_launch;
};

// ---- ours

std::uint64_t skynet(std::uint64_t num, std::uint64_t size, std::uint64_t div) {
    if (size == 1) return num;
    std::array<bastion::RecoverableHandle<std::uint64_t>, max_div> children;
    for (std::uint64_t i = 0; i < div; ++i) {
        const std::uint64_t sub = num + i * (size / div);
        children[i] = SPAWN() { return skynet(sub, size / div, div); };
    }
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < div; ++i) {
        std::optional<std::uint64_t> value = children[i].get();
        if (!value) throw std::runtime_error("a skynet lightproc yielded nothing");
        sum += *value;
    }
    return sum;
}

Figures run_ours(const Params& p, std::uint64_t expected) {
    bastion::Executor ex{bastion::ExecutorConfig{.workers = p.workers}};
    reset_peak_rss();
    const auto start = Clock::now();
    auto root = ex.spawn([&p] { return skynet(0, p.n, p.div); });
    const std::optional<std::uint64_t> sum = root.get();
    const double seconds = seconds_since(start);
    if (!sum || *sum != expected) {
        throw std::runtime_error("wrong sum " + (sum ? std::to_string(*sum) : std::string{"(none)"}) +
                                 ", expected " + std::to_string(expected));
    }
    const bastion::ExecutorStats stats = ex.stats();
    return {{"ms", seconds * 1e3},
            {"peak_rss_mib", proc_status_bytes("VmHWM") / (1 << 20)},
            {"steals", static_cast<double>(stats.steals)},
            {"parks", static_cast<double>(stats.parks)}};
}

// ---- floor

using Channel = boost::fibers::buffered_channel<std::uint64_t>;

void floor_skynet(boost::fibers::launch launch, std::size_t stack_bytes, Channel& out, std::uint64_t num,
                  std::uint64_t size, std::uint64_t div) {
    if (size == 1) {
        out.push(num);
        return;
    }
    Channel results{16};
    for (std::uint64_t i = 0; i < div; ++i) {
        const std::uint64_t sub = num + i * (size / div);
        boost::fibers::fiber child{launch, std::allocator_arg, boost::fibers::fixedsize_stack{stack_bytes},
                                   floor_skynet, launch, stack_bytes, std::ref(results), sub, size / div, div};
        child.detach();
    }
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < div; ++i) sum += results.value_pop();
    out.push(sum);
}

Figures run_floor(const Params& p, std::uint64_t expected, FloorMalloc malloc_mode) {
    configure_malloc(malloc_mode);
    FloorPool pool{p.workers, FloorIdle::Poll};
    reset_peak_rss();
    const auto start = Clock::now();
    Channel result{2};
    floor_skynet(p.floor_launch, p.floor_stack, result, 0, p.n, p.div);
    const std::uint64_t sum = result.value_pop();
    const double seconds = seconds_since(start);
    if (sum != expected) {
        throw std::runtime_error("wrong sum " + std::to_string(sum) + ", expected " + std::to_string(expected));
    }
    return {{"ms", seconds * 1e3}, {"peak_rss_mib", proc_status_bytes("VmHWM") / (1 << 20)}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "skynet: a 10-ary tree of lightprocs, each node summing its children (Go ~0.95 s for 1M)"};
    Params p{};
    p.n = static_cast<std::uint64_t>(args.integer("n", 1'000'000, "leaves of the tree (a power of --div)"));
    p.div = static_cast<std::uint64_t>(args.integer("div", 10, "children per node (2..16)"));
    p.workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers = floor pool threads"));
    const auto runs = args.integer("runs", 3, "runs of each (ours and floor alternate, each in a fresh process)");
    p.floor_stack = static_cast<std::size_t>(args.integer("floor-stack", 8192, "floor fixedsize_stack bytes"));
    const std::string launch =
        args.text("floor-launch", "dispatch", "launch policy of the floor's fibers", {"dispatch", "post"});
    const std::string only = args.text("only", "both", "run only ours or only the floor", {"both", "ours", "floor"});
    const double go_ms = args.real("go-ms", 950, "Go's skynet time on this machine (the target is 0.3x of it)");
    args.done();
    p.floor_launch = launch == "post" ? boost::fibers::launch::post : boost::fibers::launch::dispatch;

    if (p.div < 2 || p.div > max_div) args.fail("--div must be 2..16");
    std::uint64_t size = 1;
    while (size < p.n) size *= p.div;
    if (size != p.n) args.fail("--n must be a power of --div");
    const std::uint64_t expected = p.n * (p.n - 1) / 2;
    std::cout << "ours: ex.spawn the root from main, SPAWN the rest (local queue), join through handles; executor "
                 "defaults otherwise\n"
              << "floor: work_stealing(" << p.workers << ", suspend=false), main thread a member, launch::" << launch
              << ", fixedsize_stack(" << p.floor_stack << "), buffered_channel(16) per node, detached fibers\n"
              << "floor-keep: the same with malloc told to keep freed memory (no trim; see FloorMalloc)\n";
    print_page_fault_cost();
    std::cout << "\n";

    std::vector<double> ours_ms, floor_ms, keep_ms;
    for (std::int64_t run = 1; run <= runs; ++run) {
        if (only != "floor") {
            const Figures f = isolated("skynet ours", [&] { return run_ours(p, expected); });
            ours_ms.push_back(figure(f, "ms"));
            result("skynet", "bastion", ours_ms.back(), "ms");
            std::cout << "run " << run << " ours:       " << fmt(figure(f, "ms")) << " ms (peak RSS "
                      << fmt(figure(f, "peak_rss_mib")) << " MiB, steals " << figure(f, "steals") << ", parks "
                      << figure(f, "parks") << ")" << noise(f) << std::endl;
        }
        if (only != "ours") {
            for (const FloorMalloc mode : {FloorMalloc::Default, FloorMalloc::Keep}) {
                const Figures f =
                    isolated("skynet floor", [&] { return run_floor(p, expected, mode); }, Subject::Floor);
                (mode == FloorMalloc::Keep ? keep_ms : floor_ms).push_back(figure(f, "ms"));
                result("skynet", mode == FloorMalloc::Keep ? "boost_fiber_keep" : "boost_fiber", figure(f, "ms"), "ms");
                std::cout << "run " << run << (mode == FloorMalloc::Keep ? " floor-keep: " : " floor:      ")
                          << fmt(figure(f, "ms")) << " ms (peak RSS " << fmt(figure(f, "peak_rss_mib")) << " MiB)"
                          << noise(f) << std::endl;
            }
        }
    }

    std::cout << "\nsum " << expected << " checked in every run\nresults (median of runs):\n";
    compare("skynet " + std::to_string(p.n) + " wall time", ours_ms, {{"floor", floor_ms}, {"floor-keep", keep_ms}},
            "ms");
    if (!ours_ms.empty()) {
        const double median = spread(ours_ms).median;
        std::cout << "    ours/Go(" << fmt(go_ms) << " ms): " << fmt(median / go_ms) << "\n";
        if (p.n == 1'000'000) verdict("<= 0.3 x Go = " + fmt(0.3 * go_ms) + " ms", median <= 0.3 * go_ms);
    }
    return 0;
}
