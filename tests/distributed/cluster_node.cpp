// A cluster node the tests drive through its standard input, one command a line; it answers on standard output, one
// line per command, prefixed with the command's name (events from the cluster arrive as `event ...` lines).
//
// Commands: members, wait N MS, whereis NODE NAME, tells NODE N, asks NODE N, unregistered NODE, ask_silent NODE,
// remember NODE, tell_remembered NODE, watch NODE, stop_counter, distribute N, introduce VIA TARGET, subscribe, leave,
// quit.
//
//   cluster_node NAME LISTEN [SEED,SEED...] [HEARTBEAT_MS TIMEOUT_MS] [etcd=URL[,URL...]] [zeroconf=1]
//
// SEEDS may be `-` for none.
//
// Each node runs three actors, registered under their names: `counter` (counts the i64 tells of each sender and checks
// they arrive in order; answers the ask "report"), `echo` (answers a string with the same string, an i64 with twice
// it) and `silent` (takes asks and never answers, until its node dies).

#include <bastion/distributed.hpp>
#include <bastion/dsl.hpp>
#include <bastion/prelude.hpp>

#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace bastion;
using namespace bastion::distributed;

namespace {

struct NotOnTheWire {
    int value = 0;
};

}  // namespace

// An address inside a message: the greeter tells `reply_to` a 1, wherever that actor lives.
struct Introduce {
    bastion::RefAddr reply_to;
};
BASTION_REMOTE_MESSAGE(Introduce, reply_to)

namespace {

std::mutex out_lock;

void say(const std::string& line) {
    std::lock_guard guard{out_lock};
    std::cout << line << std::endl;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::stringstream stream{text};
    for (std::string part; std::getline(stream, part, separator);) {
        if (!part.empty()) parts.push_back(part);
    }
    return parts;
}

// A job for the driver actor: commands that send run inside an actor, as user code does.
using Job = std::function<void(BastionContext&)>;

ChildRef single(Result<ChildrenRef, void> group) { return std::move(group).expect("a children group").elems().at(0); }

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: cluster_node NAME LISTEN [SEEDS] [HEARTBEAT_MS TIMEOUT_MS]\n";
        return 2;
    }
    ClusterConfig config;
    config.node_name = argv[1];
    config.listen = argv[2];
    if (argc > 3 && std::string{argv[3]} != "-") config.seeds.addresses = split(argv[3], ',');
    if (argc > 5) {
        config.heartbeat_interval = std::chrono::milliseconds{std::stoi(argv[4])};
        config.heartbeat_timeout = std::chrono::milliseconds{std::stoi(argv[5])};
    }
    for (int i = 6; i < argc; ++i) {
        const std::string option = argv[i];
        if (option.starts_with("etcd=")) {
            Etcd etcd;
            etcd.endpoints = split(option.substr(5), ',');
            etcd.ttl = std::chrono::seconds{2};
            config.etcd = etcd;
        } else if (option == "zeroconf=1") {
            config.zeroconf = Zeroconf{};  // _bastion._tcp in the daemon's default domain
        }
    }

    Bastion::init();
    Bastion::start();
    auto cluster = Cluster::join(config).expect("join the cluster");

    auto counter = single(Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            std::map<BastionId, std::int64_t> last;  // per sender
            std::int64_t count = 0;
            bool ordered = true;
            for (;;) {
                auto message = ctx.recv();
                const BastionId sender = message.signature().path().id();
                MSG(std::move(message),
                    TELL(std::int64_t value) {
                        ordered = ordered && value == last[sender] + 1;
                        last[sender] = value;
                        ++count;
                    },
                    ASK(std::string question) {
                        (void)ANSWER(ctx, "count=" + std::to_string(count) + " ordered=" + (ordered ? "yes" : "no"));
                        if (question == "peek") return;
                        count = 0;
                        ordered = true;
                        last.clear();
                    },
                    OTHERWISE(_) {});
            }
        });
    }));
    auto echo = single(Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            for (;;) {
                MSG(ctx.recv(),
                    ASK(std::string text) { (void)ANSWER(ctx, std::move(text)); },
                    ASK(std::int64_t value) { (void)ANSWER(ctx, value * 2); },
                    OTHERWISE(_) {});
            }
        });
    }));
    auto silent = single(Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            std::vector<AnswerSender> held;
            for (;;) {
                auto message = ctx.recv();
                if (auto sender = message.msg().take_sender()) held.push_back(std::move(*sender));
            }
        });
    }));
    // Two workers per node behind the distributor "workers", which spans the cluster: each answers with its node.
    const std::string node_name = config.node_name;
    (void)Bastion::children([node_name](Children c) {
        return c.with_redundancy(2)
            .with_distributor(Distributor::named("workers"))
            .with_exec([node_name](BastionContext ctx) -> Exec {
                for (;;) {
                    MSG(ctx.recv(),
                        ASK(std::string question) { (void)ANSWER(ctx, node_name + ":" + question); },
                        OTHERWISE(_) {});
                }
            });
    });
    auto greeter = single(Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            for (;;) {
                MSG(ctx.recv(),
                    ASK(Introduce introduction) {
                        const bool sent = ctx.tell(introduction.reply_to, std::int64_t{1}).is_ok();
                        (void)ANSWER(ctx, std::string{sent ? "sent" : "refused"});
                    },
                    OTHERWISE(_) {});
            }
        });
    }));
    auto driver = single(Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            for (;;) {
                MSG(ctx.recv(),
                    TELL(Job job) { job(ctx); },
                    TELL(Terminated notice) {
                        std::ostringstream reason;
                        reason << notice.reason;
                        say("event terminated " + notice.actor.id().to_string() + " " + reason.str());
                    },
                    OTHERWISE(_) {});
            }
        });
    }));
    auto events = single(Bastion::children([](Children c) {
        return c.with_exec([](BastionContext ctx) -> Exec {
            for (;;) {
                MSG(ctx.recv(),
                    TELL(MemberUp up) { say("event up " + up.member.name + " " + std::to_string(up.member.incarnation)); },
                    TELL(MemberDown down) {
                        say("event down " + down.member.name + " " + (down.left ? "left" : "timeout"));
                    },
                    OTHERWISE(_) {});
            }
        });
    }));
    cluster.register_name("counter", counter);
    cluster.register_name("echo", echo);
    cluster.register_name("silent", silent);
    cluster.register_name("greeter", greeter);
    say("ready " + cluster.name() + " " + cluster.address() + " " + std::to_string(cluster.incarnation()));

    auto run = [&](Job job) { (void)driver.tell_anonymously(std::move(job)); };
    auto lookup = [&](const std::string& node, const std::string& name) -> std::optional<RefAddr> {
        auto found = cluster.whereis(node, name);
        if (found.is_err()) {
            std::ostringstream error;
            error << found.unwrap_err();
            say("error whereis " + node + " " + name + ": " + error.str());
            return std::nullopt;
        }
        return std::move(found).unwrap();
    };

    std::map<std::string, RefAddr> remembered;
    for (std::string line; std::getline(std::cin, line);) {
        auto words = split(line, ' ');
        if (words.empty()) continue;
        const std::string& command = words[0];
        if (command == "members") {
            std::string text = "members";
            for (const Member& member : cluster.members()) {
                std::ostringstream state;
                state << member.state;
                text += " " + member.name + ":" + state.str();
            }
            say(text);
        } else if (command == "wait") {
            const bool ok = cluster.wait_for_members(std::stoul(words[1]), std::chrono::milliseconds{std::stoi(words[2])});
            say(std::string{"wait "} + (ok ? "ok" : "timeout"));
        } else if (command == "whereis") {
            if (auto found = lookup(words[1], words[2])) say("whereis " + found->path().to_string());
        } else if (command == "tells") {
            // N tells of 1..N from the driver to the counter of NODE, then the counter's report.
            auto to = lookup(words[1], "counter");
            if (!to) continue;
            const std::int64_t n = std::stoll(words[2]);
            run([to = *to, n](BastionContext& ctx) {
                std::int64_t refused = 0;
                for (std::int64_t i = 1; i <= n; ++i) refused += ctx.tell(to, i).is_err();
                auto report = ctx.ask(to, std::string{"report"}).expect("ask").get_for(std::chrono::seconds{20});
                std::string text = "no report";
                if (report.is_ok()) {
                    MSG(std::move(report).unwrap(),
                        TELL(std::string r) { text = std::move(r); },
                        OTHERWISE(_) {});
                }
                say("tells " + text + " refused=" + std::to_string(refused));
            });
        } else if (command == "asks") {
            // N asks to the echo of NODE, strings and numbers mixed; every answer is checked, and signed by the echo.
            auto to = lookup(words[1], "echo");
            if (!to) continue;
            const int n = std::stoi(words[2]);
            run([to = *to, n](BastionContext& ctx) {
                std::mt19937_64 random{42};
                int right = 0;
                int signed_by_echo = 0;
                for (int i = 0; i < n; ++i) {
                    const std::int64_t number = static_cast<std::int64_t>(random() >> 2);
                    const std::string text(random() % 200, static_cast<char>('a' + i % 26));
                    const bool as_text = i % 2 == 0;
                    Answer answer = as_text ? ctx.ask(to, text).expect("ask") : ctx.ask(to, number).expect("ask");
                    auto reply = answer.get_for(std::chrono::seconds{10});
                    if (reply.is_err()) continue;
                    auto message = std::move(reply).unwrap();
                    signed_by_echo += message.signature() == to;
                    MSG(std::move(message),
                        TELL(std::string back) { right += as_text && back == text; },
                        TELL(std::int64_t back) { right += !as_text && back == number * 2; },
                        OTHERWISE(_) {});
                }
                say("asks right=" + std::to_string(right) + " signed=" + std::to_string(signed_by_echo));
            });
        } else if (command == "unregistered") {
            auto to = lookup(words[1], "echo");
            if (!to) continue;
            run([to = *to](BastionContext& ctx) {
                auto back = ctx.tell(to, NotOnTheWire{7});
                auto literal = ctx.tell(to, "a literal");
                say(std::string{"unregistered "} + (back.is_err() && back.unwrap_err().value == 7 ? "returned" : "lost") +
                    " " + (literal.is_err() ? "returned" : "lost"));
            });
        } else if (command == "ask_silent") {
            // An ask nobody answers: it must resolve to an error once the node holding it is gone.
            auto to = lookup(words[1], "silent");
            if (!to) continue;
            run([to = *to](BastionContext& ctx) {
                auto answer = ctx.ask(to, std::string{"anyone?"}).expect("ask");
                say("ask_silent sent");
                const auto start = std::chrono::steady_clock::now();
                auto reply = answer.get_for(std::chrono::seconds{30});
                const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start);
                std::ostringstream text;
                if (reply.is_ok()) {
                    text << "ask_silent answered";
                } else {
                    text << "ask_silent error " << reply.unwrap_err() << " after_ms=" << waited.count();
                }
                say(text.str());
            });
        } else if (command == "remember") {
            // Keeps a ref to NODE's counter, to send to it later (after that node went down, or restarted).
            if (auto to = lookup(words[1], "counter")) {
                remembered.insert_or_assign(words[1], *to);
                say("remember ok");
            }
        } else if (command == "tell_remembered") {
            auto found = remembered.find(words[1]);
            if (found == remembered.end()) continue;
            run([to = found->second](BastionContext& ctx) {
                say(std::string{"tell_remembered "} + (ctx.tell(to, std::int64_t{1}).is_err() ? "returned" : "sent"));
            });
        } else if (command == "watch") {
            // The driver watches NODE's counter; its death (or its node's) arrives as an `event terminated` line.
            auto to = lookup(words[1], "counter");
            if (!to) continue;
            run([to = *to](BastionContext& ctx) {
                ctx.monitor(to);
                say("watch " + to.path().id().to_string());
            });
        } else if (command == "stop_counter") {
            say(std::string{"stop_counter "} + (counter.stop().is_ok() ? "ok" : "already stopped"));
        } else if (command == "distribute") {
            // N asks through the distributor "workers", one member in turn: which nodes answered, and how many.
            const int n = std::stoi(words[1]);
            run([n](BastionContext&) {
                std::map<std::string, int> by_node;
                int errors = 0;
                for (int i = 0; i < n; ++i) {
                    auto answer = Distributor::named("workers").ask_one(std::string{"who"});
                    if (answer.is_err()) {
                        ++errors;
                        continue;
                    }
                    auto reply = std::move(answer).unwrap().get_for(std::chrono::seconds{10});
                    if (reply.is_err()) {
                        ++errors;
                        continue;
                    }
                    SignedMessage message = std::move(reply).unwrap();
                    const auto* text = message.msg().downcast_ref<std::string>();
                    if (text == nullptr) continue;
                    ++by_node[text->substr(0, text->find(':'))];
                }
                std::string line = "distribute errors=" + std::to_string(errors);
                for (const auto& [node, count] : by_node) line += " " + node + "=" + std::to_string(count);
                say(line);
            });
        } else if (command == "introduce") {
            // Asks VIA's greeter to tell TARGET's counter a 1, naming that counter by an address inside the message;
            // then waits (peeking) until the counter has it.
            auto via = lookup(words[1], "greeter");
            auto target = lookup(words[2], "counter");
            if (!via || !target) continue;
            run([via = *via, target = *target](BastionContext& ctx) {
                auto answer = ctx.ask(via, Introduce{target}).expect("ask").get_for(std::chrono::seconds{10});
                std::string greeter = "no answer";
                if (answer.is_ok()) {
                    SignedMessage message = std::move(answer).unwrap();
                    if (const auto* text = message.msg().downcast_ref<std::string>()) greeter = *text;
                }
                std::string counted = "nothing";
                for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
                     std::chrono::steady_clock::now() < deadline;) {
                    auto peek = ctx.ask(target, std::string{"peek"}).expect("ask").get_for(std::chrono::seconds{5});
                    if (peek.is_ok()) {
                        SignedMessage message = std::move(peek).unwrap();
                        const auto* text = message.msg().downcast_ref<std::string>();
                        if (text != nullptr && text->starts_with("count=1 ")) {
                            counted = *text;
                            break;
                        }
                    }
                    executor::this_proc::sleep_for(std::chrono::milliseconds{10});
                }
                say("introduce greeter=" + greeter + " target " + counted);
            });
        } else if (command == "subscribe") {
            cluster.subscribe(events);
            say("subscribe ok");
        } else if (command == "leave") {
            cluster.leave();
            say("leave ok");
        } else if (command == "quit") {
            break;
        } else {
            say("error unknown command " + command);
        }
    }
    Bastion::stop();
    Bastion::block_until_stopped();
    say("stopped");
    return 0;
}
