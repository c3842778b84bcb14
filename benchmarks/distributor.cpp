// distributor: the cost of routing. (1) One actor, told M numbers from one thread, directly (`ChildRef::tell_anonymously`)
// and through a distributor whose only member it is (`Distributor::tell_one`), alternating bursts in the same process:
// the send cost per message and the rate at which the actor receives them, and the ratios (target: the distributor
// costs at most 1.3x the direct tell). (2) `tell_everyone` to a group of N members (default 1000): deliveries per
// second, until every member has counted every message.
//
// No Boost.Fiber floor here: the reference is the direct tell, measured in the same run.

#include "support/actors.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>

namespace {

using namespace bastion::bench;
using bastion::BastionContext;
using bastion::Callbacks;
using bastion::Children;
using bastion::ChildRef;
using bastion::Distributor;
using bastion::Exec;

struct Params {
    std::uint64_t messages, members, rounds, bursts, workers;
};

// Counts what it receives; fulfils `done` when the count reaches `expect`.
struct Counter {
    std::atomic<std::uint64_t> received{0};
    std::uint64_t expect = 0;
    std::promise<void> done;
};

Figures run_one(const Params& p) {
    SystemForRun system{p.workers};
    auto counter = std::make_shared<Counter>();
    ChildRef actor = bastion::Bastion::children([&](Children c) {
                         return c.with_distributor(Distributor::named("one")).with_exec([counter](BastionContext ctx) -> Exec {
                             for (;;) {
                                 (void)ctx.recv();
                                 if (counter->received.fetch_add(1, std::memory_order_relaxed) + 1 == counter->expect) {
                                     counter->done.set_value();
                                 }
                             }
                         });
                     }).expect("children").elems().at(0);
    Distributor one = Distributor::named("one");

    // One burst: the send time (the caller's cost) and the time until the actor has received all (the throughput).
    auto burst = [&](bool routed) {
        counter->received.store(0);
        counter->expect = p.messages;
        counter->done = std::promise<void>{};
        auto done = counter->done.get_future();
        const auto start = Clock::now();
        for (std::uint64_t i = 0; i < p.messages; ++i) {
            const bool ok = routed ? one.tell_one(i).is_ok() : actor.tell_anonymously(i).is_ok();
            if (!ok) throw std::runtime_error("send refused");
        }
        const double sent = seconds_since(start);
        done.get();
        const double received = seconds_since(start);
        return std::pair{sent * 1e9 / static_cast<double>(p.messages), static_cast<double>(p.messages) / received};
    };
    (void)burst(false);  // warm the letter pools
    (void)burst(true);
    double direct_ns = 0, routed_ns = 0, direct_rate = 0, routed_rate = 0;
    for (std::uint64_t b = 0; b < p.bursts; ++b) {
        auto [dn, dr] = burst(false);
        auto [rn, rr] = burst(true);
        direct_ns += dn;
        direct_rate += dr;
        routed_ns += rn;
        routed_rate += rr;
    }
    const double n = static_cast<double>(p.bursts);
    return {{"direct_ns", direct_ns / n},
            {"routed_ns", routed_ns / n},
            {"direct_per_s", direct_rate / n},
            {"routed_per_s", routed_rate / n}};
}

Figures run_everyone(const Params& p) {
    SystemForRun system{p.workers};
    auto counter = std::make_shared<Counter>();
    auto started = std::make_shared<std::atomic<std::uint64_t>>(0);
    counter->expect = p.members * p.rounds;
    (void)bastion::Bastion::children([&](Children c) {
        return c.with_redundancy(p.members)
            .with_distributor(Distributor::named("everyone"))
            .with_callbacks(Callbacks{}.with_after_start([started] { started->fetch_add(1); }))
            .with_exec([counter](BastionContext ctx) -> Exec {
                for (;;) {
                    (void)ctx.recv();
                    if (counter->received.fetch_add(1, std::memory_order_relaxed) + 1 == counter->expect) {
                        counter->done.set_value();
                    }
                }
            });
    });
    while (started->load() < p.members) std::this_thread::sleep_for(std::chrono::milliseconds{1});
    Distributor everyone = Distributor::named("everyone");
    auto done = counter->done.get_future();
    const auto start = Clock::now();
    for (std::uint64_t r = 0; r < p.rounds; ++r) {
        if (everyone.tell_everyone(r).expect("tell_everyone") != p.members) throw std::runtime_error("member missing");
    }
    done.get();
    return {{"per_s", static_cast<double>(p.members * p.rounds) / seconds_since(start)}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "distributor: tell_one vs a direct tell; tell_everyone to many members"};
    Params p{};
    p.messages = static_cast<std::uint64_t>(args.integer("messages", 1000000, "messages per burst (tell_one part)"));
    p.bursts = static_cast<std::uint64_t>(args.integer("bursts", 3, "bursts of each kind per run, alternating"));
    p.members = static_cast<std::uint64_t>(args.integer("members", 1000, "members (tell_everyone part)"));
    p.rounds = static_cast<std::uint64_t>(args.integer("rounds", 1000, "tell_everyone calls"));
    p.workers = static_cast<std::uint64_t>(args.integer("workers", 2, "executor workers"));
    const auto runs = args.integer("runs", 3, "runs (each in a fresh process)");
    args.done();
    std::cout << "tell_one: main thread sends " << p.messages << " numbers to one actor, directly and through a "
              << "distributor whose only member it is; " << p.bursts << " bursts of each, alternating\n"
              << "tell_everyone: " << p.rounds << " calls to a distributor of " << p.members << " members\n\n";
    std::vector<double> direct_ns, routed_ns, direct_rate, routed_rate, everyone;
    for (std::int64_t run = 1; run <= runs; ++run) {
        Figures f = isolated("distributor tell_one", [&] { return run_one(p); });
        direct_ns.push_back(figure(f, "direct_ns"));
        routed_ns.push_back(figure(f, "routed_ns"));
        direct_rate.push_back(figure(f, "direct_per_s") / 1e6);
        routed_rate.push_back(figure(f, "routed_per_s") / 1e6);
        std::cout << "run " << run << " send: direct " << fmt(direct_ns.back()) << " ns, tell_one "
                  << fmt(routed_ns.back()) << " ns; received: direct " << fmt(direct_rate.back()) << ", tell_one "
                  << fmt(routed_rate.back()) << " M msg/s" << noise(f) << "\n";
        f = isolated("distributor tell_everyone", [&] { return run_everyone(p); });
        everyone.push_back(figure(f, "per_s") / 1e6);
        std::cout << "run " << run << " tell_everyone: " << fmt(everyone.back()) << " M deliveries/s" << noise(f)
                  << std::endl;
    }
    std::cout << "\nresults (median of runs):\n";
    compare("send cost per message, tell_one", routed_ns, {{"direct tell", direct_ns}}, "ns");
    verdict("tell_one costs <= 1.3x a direct tell", spread(routed_ns).median <= 1.3 * spread(direct_ns).median);
    compare("received per second, tell_one", routed_rate, {{"direct tell", direct_rate}}, "M msg/s");
    std::cout << "  tell_everyone to " << p.members << " members\n    ours: " << describe(everyone, "M deliveries/s")
              << "\n";
    return 0;
}
