// thread_ring (Savina): R actors in a ring pass one token H times; each actor that gets the token forwards it to the
// next with one less, and the one that gets 0 reports. Measures ns per hop (one tell and one recv, actor to actor).
// Checked: the hops every actor counted add up to H, and the token ends at actor H mod R.
//
// Floor: R raw Boost.Fiber fibers on a work_stealing pool of the same size, each popping its own
// buffered_channel<uint64_t>(2) and pushing into the next one's.

#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/fiber.hpp>
#include <cstdint>

#include "support/actors.hpp"

namespace {

using namespace bastion::bench;
using bastion::BastionContext;
using bastion::ChildRef;
using bastion::Exec;

struct Params {
    std::uint64_t actors, hops, workers;
};

// `ring` is filled before the token is sent; an actor reads it only after its first message, which orders the read
// after the last push_back (an actor runs as soon as it is spawned, before the ring is complete).
Figures run_ours(const Params& p) {
    SystemForRun system{p.workers};
    auto ring = std::make_shared<std::vector<ChildRef>>();
    ring->reserve(p.actors);
    auto forwarded = std::make_shared<std::vector<std::atomic<std::uint64_t>>>(p.actors);
    auto finished = std::make_shared<std::promise<std::uint64_t>>();
    for (std::uint64_t i = 0; i < p.actors; ++i) {
        ring->push_back(spawn_actor([ring, forwarded, finished, i, n = p.actors](BastionContext ctx) -> Exec {
            std::optional<ChildRef> next;  // looked up on the first message: the ring is complete by then
            for (;;) {
                const std::uint64_t token = *ctx.recv().msg().downcast_ref<std::uint64_t>();
                if (!next) next = ring->at((i + 1) % n);
                if (token == 0) {
                    finished->set_value(i);
                    continue;
                }
                (*forwarded)[i].fetch_add(1, std::memory_order_relaxed);
                if (ctx.tell(next->addr(), std::uint64_t{token - 1}).is_err()) throw std::runtime_error("ring broken");
            }
        }));
    }
    auto last = finished->get_future();
    const auto start = Clock::now();
    if (ring->front().tell_anonymously(std::uint64_t{p.hops}).is_err()) throw std::runtime_error("ring not started");
    const std::uint64_t ended_at = last.get();
    const double ns = seconds_since(start) * 1e9 / static_cast<double>(p.hops);
    std::uint64_t total = 0;
    for (auto& f : *forwarded) total += f.load(std::memory_order_relaxed);
    if (total != p.hops || ended_at != p.hops % p.actors) {
        throw std::runtime_error("token forwarded " + std::to_string(total) + " times, ended at actor " +
                                 std::to_string(ended_at));
    }
    return {{"ns_per_hop", ns}};
}

Figures run_floor(const Params& p) {
    FloorPool pool{p.workers, FloorIdle::Suspend};
    using Channel = boost::fibers::buffered_channel<std::uint64_t>;
    std::vector<std::unique_ptr<Channel>> links;
    for (std::uint64_t i = 0; i < p.actors; ++i) links.push_back(std::make_unique<Channel>(2));
    std::vector<std::uint64_t> forwarded(p.actors, 0);
    boost::fibers::buffered_channel<std::uint64_t> finished{2};
    std::vector<boost::fibers::fiber> fibers;
    for (std::uint64_t i = 0; i < p.actors; ++i) {
        fibers.emplace_back(boost::fibers::launch::post, [&, i] {
            Channel& next = *links[(i + 1) % p.actors];
            std::uint64_t token = 0;
            while (links[i]->pop(token) == boost::fibers::channel_op_status::success) {
                if (token == 0) {
                    finished.push(i);
                    continue;
                }
                ++forwarded[i];
                next.push(token - 1);
            }
        });
    }
    const auto start = Clock::now();
    links[0]->push(p.hops);
    const std::uint64_t ended_at = finished.value_pop();
    const double ns = seconds_since(start) * 1e9 / static_cast<double>(p.hops);
    for (auto& l : links) l->close();
    for (auto& f : fibers) f.join();
    std::uint64_t total = 0;
    for (std::uint64_t f : forwarded) total += f;
    if (total != p.hops || ended_at != p.hops % p.actors) throw std::runtime_error("floor: token lost");
    return {{"ns_per_hop", ns}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "thread_ring (Savina): a token passed around a ring of actors; ns per hop"};
    Params p{};
    p.actors = static_cast<std::uint64_t>(args.integer("actors", 100, "actors in the ring"));
    p.hops = static_cast<std::uint64_t>(args.integer("hops", 1000000, "hops of the token"));
    p.workers = static_cast<std::uint64_t>(args.integer("workers", 2, "executor workers = floor pool threads"));
    const auto runs = args.integer("runs", 3, "runs of each (alternating, each in a fresh process)");
    args.done();
    if (p.actors < 2 || p.hops < 1) args.fail("--actors must be at least 2 and --hops at least 1");
    std::cout << "ours: " << p.actors << " actors, each ctx.recv() then ctx.tell(next, token - 1)\n"
              << "floor: " << p.actors << " Boost fibers, buffered_channel(2) each, work_stealing(" << p.workers
              << ", suspend=true)\n\n";
    std::vector<double> ours, floor;
    for (std::int64_t run = 1; run <= runs; ++run) {
        Figures f = isolated("thread_ring ours", [&] { return run_ours(p); });
        ours.push_back(figure(f, "ns_per_hop"));
        std::cout << "run " << run << " ours: " << fmt(ours.back()) << " ns per hop" << noise(f) << "\n";
        result("thread_ring", "bastion", ours.back(), "ns");
        f = isolated(
            "thread_ring floor", [&] { return run_floor(p); }, Subject::Floor);
        floor.push_back(figure(f, "ns_per_hop"));
        std::cout << "run " << run << " floor: " << fmt(floor.back()) << " ns per hop" << noise(f) << std::endl;
        result("thread_ring", "boost_fiber", floor.back(), "ns");
    }
    std::cout << "\nresults (median of runs), ns per hop:\n";
    compare("token around a ring of " + std::to_string(p.actors), ours, floor, "ns");
    return 0;
}
