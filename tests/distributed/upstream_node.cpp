// Upstream's cluster surface, as a port would use it: Bastion::distributed with a DistributedContext.
//
//   upstream_node NAME LISTEN SEED GREET
//
// Every node answers each "hello" it receives with "welcome, <sender>". A node started with GREET=1 waits for two
// members, greets them, prints each welcome as `welcomed by <member>: <text>`, then `done`, and stops.

#include <bastion/distributed.hpp>
#include <bastion/dsl.hpp>
#include <bastion/prelude.hpp>

#include <iostream>
#include <set>
#include <string>

using namespace bastion;
using namespace bastion::distributed;

int main(int argc, char** argv) {
    if (argc != 5) return 2;
    const std::string name = argv[1];
    const bool greet = std::string{argv[4]} == "1";
    ClusterConfig config;
    config.node_name = name;
    config.listen = argv[2];
    config.seeds.addresses = {argv[3]};

    Bastion::init();
    Bastion::start();

    Bastion::distributed(config, [greet](DistributedContext ctx) -> Exec {
        if (greet) {
            if (!ctx.cluster().wait_for_members(2, std::chrono::seconds{20})) return Err();
            for (const Member& member : ctx.members()) {
                (void)ctx.tell(member.name, std::string{"hello"}).expect("the member is up");
            }
        }
        std::set<std::string> welcomed;
        for (;;) {
            ClusterMessage message = ctx.recv();
            const std::string member = message.member();
            auto text = std::move(message).extract().downcast<std::string>();
            if (text.is_err()) continue;
            if (text.unwrap() == "hello") {
                (void)ctx.tell(member, "welcome, " + member);
            } else {
                std::cout << "welcomed by " << member << ": " << text.unwrap() << std::endl;
                welcomed.insert(member);
                if (welcomed.size() == 2) {
                    std::cout << "done" << std::endl;
                    Bastion::stop();
                    return Ok();
                }
            }
        }
    }).expect("join the cluster");

    Bastion::block_until_stopped();
    return 0;
}
