// io_nop: an io_uring NOP storm; what the runtime adds to one request, alone (batch 1) and in batches of 32.
//
// Ours: the io_uring backend (BASTION_IO=uring, set in the child before any IO), one executor. A root lightproc
// spawns `batch` lightprocs that each issue NOP requests one after another through the private
// `bastion::io::detail::perform` (io_uring_prep_nop: no file, no data), and joins them. Each request queues its SQE on
// the worker's ring and suspends the lightproc; the worker's dispatcher submits what was queued and reaps the
// completions in one io_uring_submit_and_get_events, waking the lightprocs. With batch 32 the 32 lightprocs queue one
// NOP each before the dispatcher runs, so the worker submits them in one system call, as the raw floor does.
// Timed from the first spawn to the last join, after an untimed warm-up round (the ring is made on first use).
//
// Floor: raw liburing on one thread: io_uring_queue_init(256, 0), then `batch` x io_uring_prep_nop,
// io_uring_submit_and_wait(batch), reap them all, again. `raw-defer` is the same with the ring set up as our workers'
// rings are (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN). Every result (ours and floors) is checked to
// be 0 and counted.

#include "support/bench.hpp"

#include "io/request.hpp"

#include <bastion/io/backend.hpp>
#include <bastion/prelude.hpp>

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace {

using namespace bastion::bench;
namespace io = bastion::io;

struct Params {
    std::size_t ops, batch, workers;
};

// `ops` NOPs from the calling lightproc; returns how many completed with result 0.
std::size_t nops(std::size_t ops) {
    io::detail::Readiness* readiness = nullptr;
    std::size_t ok = 0;
    for (std::size_t i = 0; i < ops; ++i) {
        const long r = io::detail::perform(
            -1, io::detail::Interest::None, io::no_timeout, &readiness, [](io_uring_sqe* sqe) { io_uring_prep_nop(sqe); },
            [] { return 0L; });
        ok += r == 0 ? 1 : 0;
    }
    return ok;
}

// `batch` lightprocs spawned from a root lightproc (its worker's own queue), `per_proc` NOPs each; returns the NOPs
// that completed with 0.
std::size_t storm(bastion::Executor& ex, std::size_t batch, std::size_t per_proc) {
    auto root = ex.spawn([&ex, batch, per_proc] {
        std::vector<bastion::RecoverableHandle<std::size_t>> procs;
        procs.reserve(batch);
        for (std::size_t i = 0; i < batch; ++i) procs.push_back(ex.spawn([per_proc] { return nops(per_proc); }));
        std::size_t total = 0;
        for (auto& h : procs) total += h.get().value_or(0);
        return total;
    });
    return root.get().value_or(0);
}

Figures run_ours(const Params& p) {
    setenv("BASTION_IO", "uring", 1);
    if (io::backend() != io::Backend::IoUring) throw std::runtime_error("io_uring is not available here");
    bastion::Executor ex{bastion::ExecutorConfig{.workers = p.workers}};
    const std::size_t per_proc = p.ops / p.batch;
    const std::size_t warm = std::max<std::size_t>(per_proc / 10, 1);
    if (storm(ex, p.batch, warm) != warm * p.batch) throw std::runtime_error("warm-up NOPs lost or failed");
    const CpuTime cpu0 = process_cpu();
    const auto start = Clock::now();
    const std::size_t done = storm(ex, p.batch, per_proc);
    const double seconds = seconds_since(start);
    const double cpu = process_cpu().seconds - cpu0.seconds;
    if (done != per_proc * p.batch) throw std::runtime_error("NOPs lost or failed: " + std::to_string(done));
    return {{"ns_per_op", seconds * 1e9 / static_cast<double>(done)},
            {"ops_per_s", static_cast<double>(done) / seconds},
            {"cpu_ns_per_op", cpu * 1e9 / static_cast<double>(done)},
            {"parks", static_cast<double>(ex.stats().parks)}};
}

// `flags`: 0 (io_uring_queue_init's default setup), or the setup our workers' rings get where the kernel has it.
Figures run_floor(const Params& p, unsigned flags) {
    io_uring ring{};
    if (const int ret = io_uring_queue_init(256, &ring, flags); ret != 0) {
        throw std::runtime_error(std::string{"io_uring_queue_init: "} + std::strerror(-ret));
    }
    const std::size_t rounds = p.ops / p.batch;
    std::size_t ok = 0;
    auto round = [&] {
        for (std::size_t i = 0; i < p.batch; ++i) io_uring_prep_nop(io_uring_get_sqe(&ring));
        if (io_uring_submit_and_wait(&ring, static_cast<unsigned>(p.batch)) < 0) {
            throw std::runtime_error("io_uring_submit_and_wait failed");
        }
        unsigned head = 0, seen = 0;
        io_uring_cqe* cqe = nullptr;
        io_uring_for_each_cqe(&ring, head, cqe) {
            ++seen;
            ok += cqe->res == 0 ? 1 : 0;
        }
        io_uring_cq_advance(&ring, seen);
    };
    for (std::size_t r = 0; r < std::max<std::size_t>(rounds / 10, 1); ++r) round();
    ok = 0;
    const CpuTime cpu0 = process_cpu();
    const auto start = Clock::now();
    for (std::size_t r = 0; r < rounds; ++r) round();
    const double seconds = seconds_since(start);
    const double cpu = process_cpu().seconds - cpu0.seconds;
    io_uring_queue_exit(&ring);
    if (ok != rounds * p.batch) throw std::runtime_error("NOPs lost or failed: " + std::to_string(ok));
    return {{"ns_per_op", seconds * 1e9 / static_cast<double>(ok)},
            {"ops_per_s", static_cast<double>(ok) / seconds},
            {"cpu_ns_per_op", cpu * 1e9 / static_cast<double>(ok)}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "io_nop: io_uring NOP requests through the runtime vs raw liburing, batch 1 and 32"};
    Params p{};
    p.ops = static_cast<std::size_t>(args.integer("ops", 1000000, "timed NOPs per run (split among the batch)"));
    p.workers = static_cast<std::size_t>(args.integer("workers", 1, "executor workers (the floor is one thread)"));
    const std::string batches = args.text("batch", "both", "requests in flight at once", {"1", "32", "both"});
    const auto runs = args.integer("runs", 3, "runs of each (ours and floor alternate, each in a fresh process)");
    args.done();
    std::cout << "ours: BASTION_IO=uring; `batch` lightprocs each issuing NOPs through io::detail::perform "
                 "(io_uring_prep_nop); the worker submits and reaps them in its dispatcher picks\n"
              << "floor: raw liburing, one thread: io_uring_queue_init(256, 0); batch x prep_nop; "
                 "io_uring_submit_and_wait(batch); reap\n"
              << "raw-defer: the same with SINGLE_ISSUER|DEFER_TASKRUN, the setup of our workers' rings\n\n";
    std::vector<std::size_t> sizes;
    if (batches != "32") sizes.push_back(1);
    if (batches != "1") sizes.push_back(32);
    // series[{batch, subject}][figure]
    std::map<std::pair<std::size_t, std::string>, std::map<std::string, std::vector<double>>> series;
    const std::vector<std::string> subjects = {"ours", "raw", "raw-defer"};
    for (std::int64_t run = 1; run <= runs; ++run) {
        for (std::size_t batch : sizes) {
            Params q = p;
            q.batch = batch;
            for (const std::string& s : subjects) {
                const Figures f =
                    s == "ours" ? isolated("io_nop ours", [&] { return run_ours(q); })
                    : s == "raw"
                        ? isolated("io_nop raw", [&] { return run_floor(q, 0); }, Subject::Floor)
                        : isolated("io_nop raw-defer",
                                   [&] { return run_floor(q, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN); },
                                   Subject::Floor);
                auto& out = series[{batch, s}];
                out["ns"].push_back(figure(f, "ns_per_op"));
                out["mops"].push_back(figure(f, "ops_per_s") / 1e6);
                out["cpu"].push_back(figure(f, "cpu_ns_per_op"));
                std::cout << "run " << run << " batch " << batch << " " << s << ": " << fmt(figure(f, "ns_per_op"))
                          << " ns/op, " << fmt(figure(f, "ops_per_s") / 1e6) << " M ops/s, "
                          << fmt(figure(f, "cpu_ns_per_op")) << " ns CPU/op" << noise(f) << std::endl;
            }
        }
    }
    std::cout << "\nresults (median of runs):\n";
    for (std::size_t batch : sizes) {
        auto& o = series[{batch, "ours"}];
        auto& r = series[{batch, "raw"}];
        auto& d = series[{batch, "raw-defer"}];
        const std::string b = "batch " + std::to_string(batch);
        compare(b + ", NOPs per second (higher is better)", o["mops"], {{"raw", r["mops"]}, {"raw-defer", d["mops"]}},
                "M/s");
        compare(b + ", wall ns per NOP", o["ns"], {{"raw", r["ns"]}, {"raw-defer", d["ns"]}}, "ns");
        compare(b + ", CPU ns per NOP (all threads; robust to a busy machine)", o["cpu"],
                {{"raw", r["cpu"]}, {"raw-defer", d["cpu"]}}, "ns");
    }
    return 0;
}
