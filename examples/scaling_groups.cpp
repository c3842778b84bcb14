// Port of bastion/examples/scaling_groups.rs: a group resized at run time by its mailbox backlog.
//
// Smaller numbers than upstream so it ends in about two seconds: the input sends 50 messages (upstream 1000) with
// 10 ms per unit of delay (75), the workers take 20 ms per unit (500) and finish after 10 messages (25), and the
// heartbeat that paces the resizer ticks every 50 ms (5 s). Upstream never stops; here the input stops the system once
// every message has been processed. The per-worker lines (their ids vary) go to stderr; stdout gets a summary.
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <sstream>
#include <string>

using namespace bastion;
using namespace std::chrono_literals;

static constexpr int messages_to_send = 50;
// What the workers did in all, for the summary.
static std::atomic<int> messages_processed{0};
static std::atomic<int> workers_running{0};
static std::atomic<int> most_workers{0};

Supervisor input_supervisor(Supervisor supervisor);
Supervisor auto_resize_group_supervisor(Supervisor supervisor);
Children input_group(Children children);
Children auto_resize_group(Children children);

///
/// An example with the usage of the rescaling actor groups in runtime.
/// (Upstream needs the `scaling` feature; here the resizer is always there.)
///
/// Prologue:
/// This example demonstrates how developers can use Resizer instances for
/// auto scaling up and down actor groups based on the specified thresholds
/// for the actor mailboxes.
///
int main() {
    Bastion::init();

    // (Rust chains the two with `.and_then`: here one `expect` each.)
    Bastion::supervisor(input_supervisor).expect("Couldn't create supervisor chain.");
    Bastion::supervisor(auto_resize_group_supervisor).expect("Couldn't create supervisor chain.");

    Bastion::start();
    Bastion::block_until_stopped();

    std::cout << "[Processing] " << messages_processed.load() << " message(s) processed in all\n";
    std::cout << "[Processing] the group grew: " << std::boolalpha << (most_workers.load() > 1) << '\n';
    std::cout << "[Processing] never more than 10 workers at once: " << (most_workers.load() <= 10) << '\n';
}

// Supervisor that tracks only the single actor with input data
Supervisor input_supervisor(Supervisor supervisor) { return supervisor.children(input_group); }

// Supervisor that tracks the actor group with rescaling in runtime.
Supervisor auto_resize_group_supervisor(Supervisor supervisor) { return supervisor.children(auto_resize_group); }

Children input_group(Children children) {
    return children
        .with_redundancy(1)
        // Don't start new actors after finishing execution
        .with_resizer(OptimalSizeExploringResizer{}.with_lower_bound(0))
        .with_exec([](BastionContext ctx) -> Exec {
            std::cout << "[Input] Worker started!" << std::endl;

            int messages_sent = 0;
            static constexpr std::uint64_t INPUT[5] = {5, 1, 2, 4, 3};
            std::string group_name = "Processing";
            auto target = BroadcastTarget::Group(group_name);

            while (messages_sent != messages_to_send) {
                // Emulate the workload. The number means how
                // long it must wait before processing.
                for (const std::uint64_t& value : INPUT) {
                    // A message no worker can take (between the last one finishing and its replacement) comes back:
                    // send it again (upstream's was lost).
                    while (ctx.broadcast_message(target, value).is_err()) this_proc::sleep_for(1ms);
                    this_proc::sleep_for(10ms * value);
                }

                messages_sent += std::size(INPUT);
            }
            std::cout << "[Input] sent " << messages_sent << " messages" << std::endl;

            // Upstream never stops: here the input waits for the workers to process everything, then stops the system.
            while (messages_processed.load() != messages_to_send) this_proc::sleep_for(10ms);
            Bastion::stop();
            return Ok();
        });
}

static std::string id_of(const BastionContext& ctx) {
    std::ostringstream out;
    out << ctx.current().id();
    return out.str();
}

Children auto_resize_group(Children children) {
    return children
        .with_redundancy(3)  // Start with 3 actors (the resizer makes it its lower bound, as upstream)
        .with_heartbeat_tick(50ms)  // Do heartbeat each 50 milliseconds
        .with_resizer(OptimalSizeExploringResizer{}
                          .with_lower_bound(1)  // A minimal acceptable size of group
                          .with_upper_bound(UpperBound::Limit(10))  // Max 10 actors in runtime
                          .with_upscale_strategy(UpscaleStrategy::MailboxSizeThreshold(3))  // Scale up when a half of actors have more than 3 messages
                          .with_upscale_rate(0.1)  // Increase the size of group on 10%, if necessary to scale up
                          .with_downscale_rate(0.2))  // Decrease the size of group on 20%, if too many free actors
        .with_dispatcher(Dispatcher::with_type(DispatcherType::Named("Processing")))
        .with_exec([](BastionContext ctx) -> Exec {
            std::clog << "[Processing] Worker started!\n";
            // Counts the workers running at once, for the summary (a worker the resizer removes is cancelled: the
            // count drops as it unwinds).
            struct Running {
                Running() {
                    const int running = workers_running.fetch_add(1) + 1;
                    int most = most_workers.load();
                    while (running > most && !most_workers.compare_exchange_weak(most, running)) {
                    }
                }
                ~Running() { workers_running.fetch_sub(1); }
            } running;

            int messages_received = 0;
            const int messages_limit = 10;

            while (messages_received != messages_limit) {
                MSG(ctx.recv(),
                    // We received the message from other actor wrapped in std::shared_ptr<SignedMessage>
                    // Let's unwrap it and do regular matching.
                    TELL(std::shared_ptr<SignedMessage> raw_message) {
                        SignedMessage message = std::move(*raw_message);

                        MSG(std::move(message),
                            BROADCAST(const std::uint64_t& number) {
                                // Emulate some processing. The received number is a delay.
                                std::clog << "[Processing] Worker #" + id_of(ctx) + " received `" +
                                                 std::to_string(number) + "`\n";
                                this_proc::sleep_for(20ms * number);
                            },
                            OTHERWISE(_) {});
                    },
                    OTHERWISE(_) {});

                messages_received += 1;
                std::clog << "[Processing] Worker #" + id_of(ctx) + " processed " + std::to_string(messages_received) +
                                 " message(s)\n";
                messages_processed.fetch_add(1);
            }

            std::clog << "[Processing] Worker finished!\n";
            return Ok();
        });
}
