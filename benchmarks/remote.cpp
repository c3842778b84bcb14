// remote: messages between actors on two nodes (two processes) over loopback.
//
// `ping-pong`: an actor tells a number to the other node's ponger and waits in recv for it to be told back; the
// figure is the round trip. `tell`: an actor tells --messages numbers to the other node's sink, then asks it for the
// count once all have arrived; the figure is messages per second. The other node is this program run with
// `--role server`, started by the client. The peer is two Erlang nodes doing the same over Erlang distribution
// (benchmarks/peers/erlang/bastion_peer_remote.erl).

#include "support/bench.hpp"

#include <bastion/distributed.hpp>
#include <bastion/prelude.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace bastion;
using namespace bastion::distributed;
using namespace bastion::bench;

ChildRef actor(Result<ChildrenRef, void> group) { return std::move(group).expect("a group").elems().at(0); }

// The other node: a ponger that tells every number back, and a sink that counts numbers and answers an ask for N once
// it has counted N.
int serve(const std::string& seed) {
    Bastion::init();
    Bastion::start();
    ClusterConfig config;
    config.node_name = "server";
    config.seeds.addresses = {seed};
    auto cluster = Cluster::join(config).expect("join");
    cluster.register_name("pong", actor(Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            for (;;) {
                SignedMessage m = ctx.recv();
                (void)ctx.tell(m.signature(), *m.msg().downcast_ref<std::uint64_t>());
            }
        });
    })));
    cluster.register_name("sink", actor(Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            std::uint64_t count = 0, wanted = 0;
            std::optional<AnswerSender> waiting;
            for (;;) {
                SignedMessage m = ctx.recv();
                if (auto sender = m.msg().take_sender()) {
                    wanted = *m.msg().downcast_ref<std::uint64_t>();
                    waiting = std::move(sender);
                } else {
                    ++count;
                }
                if (waiting && count >= wanted) {
                    (void)std::move(*std::exchange(waiting, std::nullopt)).reply(count);
                    count = 0;
                }
            }
        });
    })));
    std::cout << "ready" << std::endl;
    for (std::string line; std::getline(std::cin, line);) {
    }
    Bastion::kill();
    Bastion::block_until_stopped();
    return 0;
}

struct Server {
    pid_t pid = -1;
    FILE* input = nullptr;  // closing it stops the server
};

Server start_server(const char* self, const std::string& seed) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe");
    Server server;
    server.pid = fork();
    if (server.pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[1]);
        close(from_child[0]);
        execl(self, self, "--role", "server", "--seed", seed.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    server.input = fdopen(to_child[1], "w");
    FILE* output = fdopen(from_child[0], "r");
    char line[512] = {};
    while (std::string{line} != "ready\n") {  // after its banner
        if (fgets(line, sizeof line, output) == nullptr) throw std::runtime_error("the server did not start");
    }
    fclose(output);
    return server;
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "messages between actors on two nodes over loopback"};
    const std::string role = args.text("role", "client", "which side this process is", {"client", "server"});
    const std::string seed = args.text("seed", "", "the client's address (server only)");
    const std::int64_t n = args.integer("n", 20000, "ping-pong round trips per run");
    const std::int64_t messages = args.integer("messages", 1000000, "tells per throughput run");
    const int runs = static_cast<int>(args.integer("runs", 5, "measured runs of each"));
    args.done();
    if (role == "server") return serve(seed);

    Bastion::init();
    Bastion::start();
    ClusterConfig config;
    config.node_name = "client";
    auto cluster = Cluster::join(config).expect("join");
    Server server = start_server(argv[0], cluster.address());
    if (!cluster.wait_for_members(1, std::chrono::seconds{20})) throw std::runtime_error("the server did not link");
    const RefAddr pong = cluster.whereis("server", "pong").expect("pong");
    const RefAddr sink = cluster.whereis("server", "sink").expect("sink");

    std::vector<double> trip_ns, per_second;
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    (void)Bastion::children([&, done](Children c) {
        return c.with_exec([&, done](BastionContext ctx) -> Exec {
            auto ping_pong = [&](std::int64_t count) {
                for (std::int64_t i = 0; i < count; ++i) {
                    (void)ctx.tell(pong, static_cast<std::uint64_t>(i));
                    if (*ctx.recv().msg().downcast_ref<std::uint64_t>() != static_cast<std::uint64_t>(i)) {
                        throw std::runtime_error("wrong echo");
                    }
                }
            };
            auto flood = [&](std::int64_t count) {
                for (std::int64_t i = 0; i < count; ++i) (void)ctx.tell(sink, static_cast<std::uint64_t>(i));
                auto counted = ctx.ask(sink, static_cast<std::uint64_t>(count)).expect("ask").get();
                if (*counted.msg().downcast_ref<std::uint64_t>() != static_cast<std::uint64_t>(count)) {
                    throw std::runtime_error("messages lost");
                }
            };
            ping_pong(std::max<std::int64_t>(n / 10, 10));  // warm up the link, the letters and the buffers
            flood(std::max<std::int64_t>(messages / 10, 10));
            for (int run = 0; run < runs; ++run) {
                auto start = Clock::now();
                ping_pong(n);
                trip_ns.push_back(seconds_since(start) * 1e9 / static_cast<double>(n));
                result("remote_ping_pong", "bastion", trip_ns.back(), "ns");
                start = Clock::now();
                flood(messages);
                per_second.push_back(static_cast<double>(messages) / seconds_since(start));
                result("remote_tell", "bastion", per_second.back(), "per_s");
            }
            done->set_value();
            return Ok();
        });
    });
    finished.wait();
    std::cout << "remote ping-pong round trip: " << describe(trip_ns, "ns") << "\n"
              << "remote tell throughput:      " << describe(per_second, "msg/s") << "\n";
    fclose(server.input);
    int status = 0;
    waitpid(server.pid, &status, 0);
    Bastion::stop();
    Bastion::block_until_stopped();
    return 0;
}
