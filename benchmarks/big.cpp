// big (Savina): N:N messaging. A actors each send M pings, one at a time, to actors picked at random, and wait for
// each pong before the next ping; every actor answers every ping it gets. Measures messages (pings + pongs) per
// second. Checked: the pings answered add up to A x M.
//
// No floor: the raw-fiber equivalent is n_to_one's channel floor times A; the peers (Go, Erlang, CAF, Tokio) are the
// comparison (benchmarks/peers/).

#include <cstdint>
#include <random>

#include "support/actors.hpp"

namespace {

using namespace bastion::bench;
using bastion::BastionContext;
using bastion::ChildRef;
using bastion::Exec;

struct Start {};
struct Ping {};
struct Pong {};

struct Params {
    std::uint64_t actors, pings, workers;
};

// `peers` is filled before any Start is sent; an actor reads it only after receiving, so the message orders the reads.
Figures run_ours(const Params& p) {
    SystemForRun system{p.workers};
    auto peers = std::make_shared<std::vector<ChildRef>>();
    peers->reserve(p.actors);
    auto answered = std::make_shared<std::atomic<std::uint64_t>>(0);
    auto finished = std::make_shared<std::atomic<std::uint64_t>>(0);
    auto all_done = std::make_shared<std::promise<void>>();
    for (std::uint64_t me = 0; me < p.actors; ++me) {
        peers->push_back(spawn_actor([=, m = p.pings, a = p.actors](BastionContext ctx) -> Exec {
            std::minstd_rand rng{static_cast<unsigned>(me + 1)};
            std::uint64_t sent = 0, mine = 0;
            auto ping_someone = [&] {
                std::uint64_t t = rng() % (a - 1);
                if (t >= me) ++t;
                ++sent;
                if (ctx.tell((*peers)[t].addr(), Ping{}).is_err()) throw std::runtime_error("a peer stopped");
            };
            for (;;) {
                bastion::SignedMessage msg = ctx.recv();
                if (msg.msg().downcast_ref<Ping>()) {
                    answered->fetch_add(1, std::memory_order_relaxed);
                    ++mine;
                    if (ctx.tell(msg.signature(), Pong{}).is_err()) throw std::runtime_error("a pinger stopped");
                } else if (msg.msg().downcast_ref<Pong>()) {
                    if (sent < m) {
                        ping_someone();
                    } else if (finished->fetch_add(1, std::memory_order_acq_rel) + 1 == a) {
                        all_done->set_value();
                    }
                } else if (msg.msg().downcast_ref<Start>()) {
                    ping_someone();
                }
            }
        }));
    }
    auto done = all_done->get_future();
    const auto start = Clock::now();
    for (const ChildRef& actor : *peers) {
        if (actor.tell_anonymously(Start{}).is_err()) throw std::runtime_error("an actor did not start");
    }
    done.get();
    const double seconds = seconds_since(start);
    if (answered->load() != p.actors * p.pings) {
        throw std::runtime_error("pings answered: " + std::to_string(answered->load()) + ", expected " +
                                 std::to_string(p.actors * p.pings));
    }
    return {{"per_s", static_cast<double>(2 * p.actors * p.pings) / seconds}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "big (Savina): actors pinging random actors and waiting for each pong; messages per second"};
    Params p{};
    p.actors = static_cast<std::uint64_t>(args.integer("actors", 100, "actors"));
    p.pings = static_cast<std::uint64_t>(args.integer("pings", 10000, "pings sent by each actor"));
    p.workers = static_cast<std::uint64_t>(args.integer("workers", 2, "executor workers"));
    const auto runs = args.integer("runs", 3, "runs (each in a fresh process)");
    args.done();
    if (p.actors < 2 || p.pings < 1) args.fail("--actors must be at least 2 and --pings at least 1");
    std::cout << "ours: " << p.actors << " actors; ctx.tell(random peer, Ping), the peer ctx.tell(signature, Pong)\n\n";
    std::vector<double> ours;
    for (std::int64_t run = 1; run <= runs; ++run) {
        const Figures f = isolated("big ours", [&] { return run_ours(p); });
        ours.push_back(figure(f, "per_s") / 1e6);
        std::cout << "run " << run << ": " << fmt(ours.back()) << " M msg/s" << noise(f) << std::endl;
        result("big", "bastion", figure(f, "per_s"), "per_s");
    }
    std::cout << "\nresults (median of runs):\n";
    compare("messages per second, " + std::to_string(p.actors) + " actors", ours,
            std::vector<std::pair<std::string, std::vector<double>>>{}, "M msg/s");
    return 0;
}
