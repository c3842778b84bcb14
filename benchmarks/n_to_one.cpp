// n_to_one: N sender actors each tell one counter actor M numbers; the counter sums them. Measures messages per
// second through one mailbox with concurrent senders: warm (the third burst, on a heap that already holds a burst's
// letters) and cold (the first). Mailboxes are unbounded, so senders run ahead and the letters of a burst pile up.
//
// Floor: N raw Boost.Fiber fibers pushing into one buffered_channel<uint64_t> popped by one counting fiber, on a
// work_stealing pool of the same number of threads.

#include "support/actors.hpp"

#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/fiber.hpp>

#include <cstdint>

namespace {

using namespace bastion::bench;
using bastion::BastionContext;
using bastion::ChildRef;
using bastion::Exec;
using bastion::Ok;

struct Params {
    std::uint64_t senders, per_sender, workers, channel;
};

std::uint64_t expected_sum(const Params& p) { return p.senders * (p.per_sender * (p.per_sender - 1) / 2); }

// Three bursts through one counter: the first on a cold heap (every letter newly mapped memory), the last warm.
Figures run_ours(const Params& p) {
    SystemForRun system{p.workers};
    const std::uint64_t messages = p.senders * p.per_sender;
    auto total = std::make_shared<std::promise<std::uint64_t>>();
    ChildRef counter = spawn_actor([&, total](BastionContext ctx) -> Exec {
        for (;;) {
            std::uint64_t sum = 0;
            for (std::uint64_t i = 0; i < messages; ++i) sum += *ctx.recv().msg().downcast_ref<std::uint64_t>();
            total->set_value(sum);
        }
    });
    auto burst = [&] {
        *total = std::promise<std::uint64_t>{};
        auto done = total->get_future();
        const auto start = Clock::now();
        (void)bastion::Bastion::children([&](bastion::Children c) {
            return c.with_redundancy(p.senders).with_exec([&p, counter](BastionContext ctx) -> Exec {
                for (std::uint64_t i = 0; i < p.per_sender; ++i) {
                    if (ctx.tell(counter.addr(), i).is_err()) throw std::runtime_error("counter gone");
                }
                return Ok();
            });
        });
        if (done.get() != expected_sum(p)) throw std::runtime_error("wrong sum");
        return static_cast<double>(messages) / seconds_since(start);
    };
    const double cold = burst();
    (void)burst();
    const double warm = burst();
    return {{"cold_per_s", cold}, {"per_s", warm}};
}

Figures run_floor(const Params& p) {
    FloorPool pool{p.workers, FloorIdle::Suspend};
    boost::fibers::buffered_channel<std::uint64_t> channel{p.channel};
    const auto start = Clock::now();
    std::vector<boost::fibers::fiber> senders;
    for (std::uint64_t s = 0; s < p.senders; ++s) {
        senders.emplace_back(boost::fibers::launch::post, [&] {
            for (std::uint64_t i = 0; i < p.per_sender; ++i) channel.push(i);
        });
    }
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < p.senders * p.per_sender; ++i) {
        std::uint64_t v = 0;
        channel.pop(v);
        sum += v;
    }
    const double elapsed = seconds_since(start);
    for (auto& f : senders) f.join();
    if (sum != expected_sum(p)) throw std::runtime_error("wrong sum");
    return {{"per_s", static_cast<double>(p.senders * p.per_sender) / elapsed}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "n_to_one: N senders tell one counter; messages per second"};
    Params p{};
    p.senders = static_cast<std::uint64_t>(args.integer("senders", 2, "sender actors"));
    p.per_sender = static_cast<std::uint64_t>(args.integer("messages", 1000000, "messages per sender"));
    p.workers = static_cast<std::uint64_t>(args.integer("workers", 2, "executor workers = floor pool threads"));
    p.channel = static_cast<std::uint64_t>(args.integer("channel", 1024, "floor channel capacity (power of 2)"));
    const auto runs = args.integer("runs", 3, "runs of each (alternating, each in a fresh process)");
    args.done();
    std::cout << "ours: " << p.senders << " actors ctx.tell a counter actor that ctx.recv()s; unbounded mailbox\n"
              << "floor: " << p.senders << " Boost fibers push into buffered_channel(" << p.channel
              << "), main fiber pops; work_stealing(" << p.workers << ", suspend=true)\n\n";
    std::vector<double> ours, floor;
    for (std::int64_t run = 1; run <= runs; ++run) {
        Figures f = isolated("n_to_one ours", [&] { return run_ours(p); });
        ours.push_back(figure(f, "per_s") / 1e6);
        result("n_to_one", "bastion", figure(f, "per_s"), "per_s");
        std::cout << "run " << run << " ours: " << fmt(ours.back()) << " M msg/s warm (cold "
                  << fmt(figure(f, "cold_per_s") / 1e6) << ")" << noise(f) << "\n";
        f = isolated("n_to_one floor", [&] { return run_floor(p); }, Subject::Floor);
        floor.push_back(figure(f, "per_s") / 1e6);
        result("n_to_one", "boost_fiber", figure(f, "per_s"), "per_s");
        std::cout << "run " << run << " floor: " << fmt(floor.back()) << " M msg/s" << noise(f) << std::endl;
    }
    std::cout << "\nresults (median of runs), messages per second:\n";
    compare(std::to_string(p.senders) + " senders to one", ours, floor, "M msg/s");
    return 0;
}
