// Port of bastion/examples/round_robin_dispatcher.rs, line for line. One second between messages upstream, a tenth of
// one here, so it runs in half a second; tracing's WARN lines go to stdout, without their timestamps.
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

using namespace bastion;
using namespace std::chrono_literals;

// tracing::warn! (the subscriber below prints WARN and above)
static void warn(const std::string& line) { std::cout << "WARN round_robin_dispatcher: " << line << std::endl; }

Supervisor caller_supervisor(Supervisor supervisor);
Supervisor receiver_supervisor(Supervisor supervisor);
Children caller_group(Children children);
Children receiver_group(Children children);

/*

Prologue:
This example demonstrate a idiomatic way to implement the round robin
algorithm with bastion. We will use two groups of children, one will be
supervised by a dispatcher, named `Receiver`, the other one will call it.
Both groups will be supervised by the supervisor.

        Bastion
           |
       Supervisor
      /          \
   Caller      Receiver
     |            |
  Children     Children

1. We want a group of children which will broadcast a message to a defined
target with a defined data.
2. We want a group of children for receive and print the message.
3. We want to use a dispatcher on the second group because we don't want to
target a particular child in the first to process the message.

The output looks like:
```
WARN round_robin_dispatcher: sending message
WARN round_robin_dispatcher: Received data_1
WARN round_robin_dispatcher: sending message
WARN round_robin_dispatcher: Received data_2
...
WARN round_robin_dispatcher: sending message
WARN round_robin_dispatcher: Received data_5
```
*/
int main() {
    // Initialize tracing logger
    // so we get nice output on the console.
    // (Here warn() above writes to stdout.)

    // We need bastion to run our program
    Bastion::init();
    // We create the supervisor and we add both groups on it
    // (Rust chains the two with `.and_then`: here one `expect` each.)
    Bastion::supervisor(caller_supervisor).expect("Couldn't create supervisor chain.");
    Bastion::supervisor(receiver_supervisor).expect("Couldn't create supervisor chain.");
    // We are starting the Bastion program now
    Bastion::start();
    // We are waiting until the Bastion has stopped or got killed
    Bastion::block_until_stopped();
}

Supervisor caller_supervisor(Supervisor supervisor) {
    // We create a new children, it wrap the Bastion::Children method to add it on the supervisor
    return supervisor.children(caller_group);
}

Supervisor receiver_supervisor(Supervisor supervisor) {
    // We are doing the same as above
    return supervisor.children(receiver_group);
}

Children caller_group(Children children) {
    // We create the first group of children
    return children
        // We create the function to exec
        .with_exec([](BastionContext ctx) -> Exec {
            std::vector<const char*> data_to_send = {"data_1", "data_2", "data_3", "data_4", "data_5"};
            // We define the target which will receive the broadcasted message
            auto target = BroadcastTarget::Group("Receiver");
            // We iterate on each data
            for (const char* data : data_to_send) {
                this_proc::sleep_for(100ms);
                warn("sending message");
                // We broadcast the message containing the data to the defined target
                // (it comes back inside the error if no receiver could take it: upstream dropped it)
                ctx.broadcast_message(target, data).expect("no receiver");
            }
            // We stop bastion here, because we don't have more data to send
            Bastion::stop();
            return Ok();
        });
}

Children receiver_group(Children children) {
    // We create the second group of children
    return children
        // We want to have a disptacher named `Receiver`
        .with_dispatcher(Dispatcher::with_type(DispatcherType::Named("Receiver")))
        // We create the function to exec when each children is called
        .with_exec([](BastionContext ctx) -> Exec {
            // We create a loop which run as long as the disptacher is alive
            for (;;) {
                MSG(
                    // We are waiting a msg
                    ctx.recv(),
                    // We define the behavior when we receive a new msg
                    TELL(std::shared_ptr<SignedMessage> raw_message) {
                        // We open the message
                        SignedMessage message = std::move(*raw_message);
                        MSG(std::move(message),
                            // Because it's a broadcasted message we can use directly the ref
                            BROADCAST(const char* const& data) {
                                // And we print it
                                warn(std::string{"Received "} + data);
                            },
                            OTHERWISE(_) {});
                    },
                    OTHERWISE(_) {});
            }
        });
}
