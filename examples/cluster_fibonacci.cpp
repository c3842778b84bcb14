// Three processes share work as one cluster. Every node runs a "fib" actor that the other nodes can ask by name; the
// node started with `--ask N` spreads fib(1) .. fib(N) over all three, round robin, and prints who computed what. Then
// it leaves the cluster, and the other two stop when they see it go. Run it as (docs/cluster.md):
//
//   cluster_fibonacci --name a --listen 127.0.0.1:7001 --seeds 127.0.0.1:7001 --ask 12
//   cluster_fibonacci --name b --listen 127.0.0.1:7002 --seeds 127.0.0.1:7001
//   cluster_fibonacci --name c --listen 127.0.0.1:7003 --seeds 127.0.0.1:7001
//
// in any order, within a minute. `--listen 127.0.0.1:0` takes a free port; each node prints the address it listens on.
#include <bastion/distributed.hpp>
#include <bastion/prelude.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace bastion;
using namespace bastion::distributed;
using namespace std::chrono_literals;

// Within a process any movable type is a message. To cross to another process a type needs a wire form: the macro
// names the fields to encode, and the type's name identifies it on the wire, so every node must spell it the same.
struct FibRequest {
    std::uint32_t n = 0;
};
struct FibReply {
    std::uint32_t n = 0;
    std::uint64_t value = 0;
    std::string computed_by;  // the name of the node that computed it
};
BASTION_REMOTE_MESSAGE(FibRequest, n)
BASTION_REMOTE_MESSAGE(FibReply, n, value, computed_by)

namespace {

// The asker waits for this many other nodes: the example runs as three processes.
constexpr std::size_t other_nodes = 2;

// One line per call, flushed at once: lines printed by concurrent actors do not mix, and a script reading the output
// through a pipe sees each line as it is printed.
void say(const std::string& line) { std::cout << line + '\n' << std::flush; }

std::uint64_t fib(std::uint32_t n) {
    std::uint64_t current = 0;
    std::uint64_t next = 1;
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint64_t sum = current + next;
        current = next;
        next = sum;
    }
    return current;
}

// The "fib" actor: answers a FibRequest with a FibReply, whichever node the request comes from.
Children fib_server(Children children, std::string node) {
    return children.with_name("fib").with_exec([node](BastionContext ctx) -> Exec {
        for (;;) {
            MSG(ctx.recv(),
                ASK(FibRequest request) {
                    say(node + ": computing fib(" + std::to_string(request.n) + ")");
                    (void)ANSWER(ctx, FibReply{request.n, fib(request.n), node});
                },
                OTHERWISE(_) {});
        }
    });
}

// The "fib" actor of `node`. A node is linked to the others a moment before its main() has registered the name, so a
// NotFound is tried again for a while.
std::optional<RefAddr> find_fib(const Cluster& cluster, const std::string& node) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        auto found = cluster.whereis(node, "fib");
        if (found.is_ok()) return std::move(found).unwrap();
        if (found.unwrap_err() != LookupError::NotFound || std::chrono::steady_clock::now() >= deadline) {
            std::ostringstream why;
            why << found.unwrap_err();
            std::cerr << "no fib actor on " + node + ": " + why.str() + '\n';
            return std::nullopt;
        }
        executor::this_proc::sleep_for(10ms);
    }
}

// Spreads fib(1) .. fib(count) over every node, this one included, and prints the results in order. False if a node
// could not be reached or did not answer.
bool ask_around(const BastionContext& ctx, const Cluster& cluster, std::uint32_t count) {
    // Suspends only this actor's lightproc, not a thread.
    if (!cluster.wait_for_members(other_nodes, 60s)) {
        std::cerr << "the other nodes did not come within a minute\n";
        return false;
    }
    std::vector<std::string> nodes{cluster.name()};
    for (const Member& member : cluster.members()) {
        if (member.state == MemberState::Alive) nodes.push_back(member.name);
    }
    std::vector<RefAddr> servers;
    for (const std::string& node : nodes) {
        auto server = find_fib(cluster, node);
        if (!server) return false;
        servers.push_back(*server);
    }
    std::string list;
    for (const std::string& node : nodes) list += (list.empty() ? "" : ", ") + node;
    say(cluster.name() + ": asking " + list + ", in turn");

    // Every ask goes out before the first answer is awaited, so the nodes work at the same time. A remote ask reads
    // as a local one: the RefAddr stands for an actor of another process.
    std::vector<Answer> answers;
    for (std::uint32_t n = 1; n <= count; ++n) {
        auto sent = ctx.ask(servers[(n - 1) % servers.size()], FibRequest{n});
        if (sent.is_err()) {  // its node is Down: the request came back
            std::cerr << "could not ask " + nodes[(n - 1) % nodes.size()] + " for fib(" + std::to_string(n) + ")\n";
            return false;
        }
        answers.push_back(std::move(sent).unwrap());
    }
    for (Answer& answer : answers) {
        // Err if no reply came in time, or none will: the node stopped or its link broke with the ask in flight.
        auto reply = answer.get_for(10s);
        if (reply.is_err()) {
            std::ostringstream why;
            why << reply.unwrap_err();
            std::cerr << "an ask got no answer: " + why.str() + '\n';
            return false;
        }
        const bool answered = MSG(std::move(reply).unwrap(),
            TELL(FibReply result) {
                say("fib(" + std::to_string(result.n) + ") = " + std::to_string(result.value) + ", computed by " +
                    result.computed_by);
                return true;
            },
            OTHERWISE(_) { return false; });
        if (!answered) return false;
    }
    return true;
}

struct Options {
    ClusterConfig config;
    std::uint32_t ask = 0;  // 0: serve only
};

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    if (argc % 2 == 0) return std::nullopt;
    for (int i = 1; i < argc; i += 2) {
        const std::string flag = argv[i];
        std::stringstream value{argv[i + 1]};
        if (flag == "--name") {
            value >> options.config.node_name;
        } else if (flag == "--listen") {
            value >> options.config.listen;
        } else if (flag == "--seeds") {
            for (std::string seed; std::getline(value, seed, ',');) options.config.seeds.addresses.push_back(seed);
        } else if (flag == "--ask") {
            if (!(value >> options.ask) || options.ask > 93) return std::nullopt;  // fib(94) needs 65 bits
        } else {
            return std::nullopt;
        }
    }
    return options;
}

}  // namespace

int main(int argc, char** argv) {
    auto options = parse(argc, argv);
    if (!options) {
        std::cerr << "usage: cluster_fibonacci --name NAME --listen HOST:PORT [--seeds HOST:PORT,...] [--ask N<=93]\n";
        return 2;
    }

    Bastion::init();
    Bastion::start();
    auto joined = Cluster::join(options->config);
    if (joined.is_err()) {
        std::cerr << "cannot join: " << joined.unwrap_err() << '\n';
        Bastion::stop();
        Bastion::block_until_stopped();
        return 1;
    }
    const Cluster cluster = std::move(joined).unwrap();
    say(cluster.name() + ": listening on " + cluster.address());

    if (options->ask == 0) {
        // A serving node stops when a member leaves: only the asker does, once it is done (and then the others, as
        // they stop). A member that is merely silent may come back, so MemberDown without `left` is no reason.
        ChildrenRef watcher = Bastion::children([node = cluster.name()](Children children) {
            return children.with_name("watcher").with_exec([node](BastionContext ctx) -> Exec {
                for (;;) {
                    const bool left = MSG(ctx.recv(),
                        TELL(MemberUp up) {
                            say(node + ": " + up.member.name + " is up");
                            return false;
                        },
                        TELL(MemberDown down) {
                            if (down.left) say(node + ": " + down.member.name + " left, stopping");
                            return down.left;
                        },
                        OTHERWISE(_) { return false; });
                    if (left) break;  // the stop takes a moment to reach this actor: read no more events
                }
                Bastion::stop();
                return Ok();
            });
        }).expect("a children group");
        // Before "fib" is registered: the asker cannot be done, and leave, before this node watches it.
        cluster.subscribe(watcher.elems().at(0));
    }

    // Under the system's root supervisor: if it fails it is restarted, and the registered name still reaches it
    // (a ChildRef names the actor, not one run of it).
    ChildrenRef fib_group = Bastion::children([node = cluster.name()](Children children) {
                                return fib_server(children, node);
                            }).expect("a children group");
    cluster.register_name("fib", fib_group.elems().at(0));

    std::atomic<bool> ok{true};
    if (options->ask > 0) {
        // Asked from an actor, as real code would: its waits suspend only its lightproc, not a thread.
        (void)Bastion::children([cluster, &ok, count = options->ask](Children children) {
            return children.with_name("asker").with_exec([cluster, &ok, count](BastionContext ctx) -> Exec {
                ok = ask_around(ctx, cluster, count);
                // Goodbye first, so the other nodes see this one leave at once (stopping the system says it too, but
                // only as its last step).
                cluster.leave();
                Bastion::stop();
                return Ok();
            });
        }).expect("a children group");
    }

    Bastion::block_until_stopped();
    return ok ? 0 : 1;
}
