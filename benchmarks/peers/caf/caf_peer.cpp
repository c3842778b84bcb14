// The CAF 0.17 peer of bastion-cpp's benchmark suite: event-based actors, `send`, and `request(hdl, timeout, x).then`
// for the ask. One workload per invocation:
//
//   caf_peer WORKLOAD [--runs R] [--threads T] [--n N] ...
//
// Every measured run prints one line `RESULT workload=NAME impl=caf value=V unit=U`; a wrong result (a sum, a count,
// an echo) ends the program with status 1. The scheduler runs --threads threads (scheduler.max-threads).
// Not measured here: yield (an event-based actor has no yield) and the restart storm (CAF 0.17 has no supervisors).

#include <sys/resource.h>

#include <caf/all.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace caf;
using Clock = std::chrono::steady_clock;

namespace {

using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;
using stop_atom = atom_constant<atom("stop")>;
using wake_atom = atom_constant<atom("wake")>;
using go_atom = atom_constant<atom("go")>;

std::string workload;
std::map<std::string, std::int64_t> opts;

std::int64_t opt(const std::string& name, std::int64_t fallback) {
    auto it = opts.find(name);
    return it == opts.end() ? fallback : it->second;
}

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "caf peer %s: %s\n", workload.c_str(), why.c_str());
    std::fflush(stderr);
    std::_Exit(1);
}

void result(const std::string& name, double value, const char* unit) {
    std::printf("RESULT workload=%s impl=caf value=%.6g unit=%s\n", name.c_str(), value, unit);
    std::fflush(stdout);
}

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---- spawn: a spawner actor spawns a batch of actors, each sends its number back and quits; repeated.
struct spawner_state {
    std::uint64_t batch = 0, sum = 0, got = 0, batches_left = 0, warmup_left = 20;
    Clock::time_point start;
};

behavior spawn_child(event_based_actor* self, actor parent, std::uint64_t value) {
    self->send(parent, value);
    return {};
}

behavior spawner(stateful_actor<spawner_state>* self, actor main, std::uint64_t batch, std::uint64_t batches) {
    auto& s = self->state;
    s.batch = batch;
    s.batches_left = batches;
    auto launch = [self] {
        for (std::uint64_t i = 0; i < self->state.batch; ++i) self->spawn(spawn_child, actor_cast<actor>(self), i);
    };
    launch();
    return {[=](std::uint64_t v) {
        auto& st = self->state;
        st.sum += v;
        if (++st.got < st.batch) return;
        if (st.sum != st.batch * (st.batch - 1) / 2) fail("wrong sum");
        st.sum = st.got = 0;
        if (st.warmup_left > 0) {
            if (--st.warmup_left == 0) st.start = Clock::now();
        } else if (--st.batches_left == 0) {
            self->send(main, static_cast<double>(st.batch * batches) / since(st.start));
            self->quit();
            return;
        }
        launch();
    }};
}

// ---- skynet: a 10-ary tree of actors; each node sums what its 10 children send.
struct skynet_state {
    std::uint64_t sum = 0, got = 0;
};

behavior skynet(stateful_actor<skynet_state>* self, actor parent, std::uint64_t num, std::uint64_t size) {
    if (size == 1) {
        self->send(parent, num);
        return {};
    }
    const std::uint64_t sub = size / 10;
    for (std::uint64_t i = 0; i < 10; ++i) self->spawn(skynet, actor_cast<actor>(self), num + i * sub, sub);
    return {[=](std::uint64_t v) {
        self->state.sum += v;
        if (++self->state.got == 10) {
            self->send(parent, self->state.sum);
            self->quit();
        }
    }};
}

// ---- ping_pong: pong returns what it gets (CAF sends a handler's result back to the sender); ping counts.
behavior pong(event_based_actor*) {
    return {[](std::uint64_t x) { return x; }};
}

struct ping_state {
    std::uint64_t i = 0;
    Clock::time_point start;
};

behavior ping(stateful_actor<ping_state>* self, actor main, actor other, std::uint64_t n, std::uint64_t warmup) {
    self->send(other, std::uint64_t{0});
    return {[=](std::uint64_t x) {
        auto& st = self->state;
        if (x != st.i) fail("wrong echo");
        if (++st.i == warmup) st.start = Clock::now();
        if (st.i == warmup + n) {
            self->send(main, since(st.start) * 1e9 / static_cast<double>(n));
            self->send_exit(other, exit_reason::user_shutdown);
            self->quit();
            return;
        }
        self->send(other, st.i);
    }};
}

// ---- ping_pong_burst: throughput; the pinger sends a window of numbers, then waits for their echoes.
struct burst_state {
    std::uint64_t next = 0, received = 0;
    Clock::time_point start;
};

behavior burst_ping(stateful_actor<burst_state>* self, actor main, actor other, std::uint64_t n, std::uint64_t warmup,
                    std::uint64_t window) {
    auto send_window = [=] {
        auto& st = self->state;
        const std::uint64_t end = std::min(warmup + n, st.next + window);
        for (; st.next < end; ++st.next) self->send(other, st.next);
    };
    send_window();
    return {[=](std::uint64_t x) {
        auto& st = self->state;
        if (x != st.received) fail("wrong echo");
        if (++st.received == warmup) st.start = Clock::now();
        if (st.received == warmup + n) {
            self->send(main, static_cast<double>(n) / since(st.start));
            self->send_exit(other, exit_reason::user_shutdown);
            self->quit();
            return;
        }
        if (st.received == st.next) send_window();
    }};
}

// ---- ask: request(server, 1 s, x).then(...), one at a time.
void ask_next(stateful_actor<ping_state>* self, actor main, actor server, std::uint64_t n, std::uint64_t warmup) {
    const std::uint64_t sent = self->state.i;
    self->request(server, std::chrono::seconds(1), sent)
        .then(
            [=](std::uint64_t x) {
                auto& st = self->state;
                if (x != sent) fail("wrong answer");
                if (++st.i == warmup) st.start = Clock::now();
                if (st.i == warmup + n) {
                    self->send(main, since(st.start) * 1e9 / static_cast<double>(n));
                    self->send_exit(server, exit_reason::user_shutdown);
                    self->quit();
                    return;
                }
                ask_next(self, main, server, n, warmup);
            },
            [](error& e) { fail("ask failed: " + to_string(e)); });
}

behavior asker(stateful_actor<ping_state>* self, actor main, actor server, std::uint64_t n, std::uint64_t warmup) {
    ask_next(self, main, server, n, warmup);
    return {[](std::uint64_t) {}};
}

// ---- n_to_one: S senders each send M numbers to one counter.
behavior sender(event_based_actor* self, actor counter, std::uint64_t m) {
    for (std::uint64_t i = 0; i < m; ++i) self->send(counter, i);
    return {};
}

behavior counter(stateful_actor<skynet_state>* self, actor main, std::uint64_t total) {
    return {[=](std::uint64_t v) {
        self->state.sum += v;
        if (++self->state.got == total) {
            self->send(main, self->state.sum);
            self->quit();
        }
    }};
}

// ---- big (Savina): A actors, each sends M pings, one at a time, to random others and waits for each pong.
struct big_state {
    std::uint64_t sent = 0, answered = 0;
    std::minstd_rand rng;
};

behavior big_actor(stateful_actor<big_state>* self, actor main, std::shared_ptr<std::vector<actor>> peers,
                   std::size_t me, std::uint64_t m) {
    self->state.rng.seed(static_cast<unsigned>(me + 1));
    auto send_ping = [=] {
        const std::size_t a = peers->size();
        std::size_t t = self->state.rng() % (a - 1);
        if (t >= me) ++t;
        ++self->state.sent;
        self->send((*peers)[t], ping_atom::value);
    };
    return {[=](go_atom) { send_ping(); },
            [=](ping_atom) {
                ++self->state.answered;
                self->send(actor_cast<actor>(self->current_sender()), pong_atom::value);
            },
            [=](pong_atom) {
                if (self->state.sent < m) {
                    send_ping();
                } else {
                    self->send(main, go_atom::value);
                }
            },
            [=](stop_atom) {
                self->send(main, self->state.answered);
                self->quit();
            }};
}

// ---- thread_ring (Savina): R actors in a ring pass a token H times.
struct ring_state {
    actor next;
    std::uint64_t forwarded = 0;
};

behavior ring_node(stateful_actor<ring_state>* self, actor main) {
    return {[=](actor next) { self->state.next = std::move(next); },
            [=](std::uint64_t token) {
                if (token == 0) {
                    self->send(main, go_atom::value);
                    return;
                }
                ++self->state.forwarded;
                self->send(self->state.next, token - 1);
            },
            [=](stop_atom) {
                self->send(main, self->state.forwarded);
                self->quit();
            }};
}

// ---- idle: N actors waiting for one message.
behavior sleeper(event_based_actor* self, actor main) {
    return {[=](wake_atom) {
        self->send(main, wake_atom::value);
        self->quit();
    }};
}

double rss_bytes() {
    std::ifstream in{"/proc/self/status"};
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) * 1024.0;
    }
    fail("no VmRSS");
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

template <class T>
T receive_one(scoped_actor& self) {
    T value{};
    self->receive([&](T v) { value = v; });
    return value;
}

void run(actor_system& sys) {
    scoped_actor self{sys};
    actor main = actor_cast<actor>(self);
    if (workload == "spawn") {
        sys.spawn(spawner, main, opt("batch", 1000), opt("batches", 300));
        result(workload, receive_one<double>(self), "per_s");
    } else if (workload == "skynet") {
        const std::uint64_t n = opt("n", 1000000);
        const auto t0 = Clock::now();
        sys.spawn(skynet, main, std::uint64_t{0}, n);
        const auto sum = receive_one<std::uint64_t>(self);
        const double ms = since(t0) * 1e3;
        if (sum != n * (n - 1) / 2) fail("wrong sum " + std::to_string(sum));
        result(workload, ms, "ms");
    } else if (workload == "ping_pong") {
        const std::uint64_t n = opt("n", 1000000);
        sys.spawn(ping, main, sys.spawn(pong), n, n / 10);
        result(workload, receive_one<double>(self), "ns");
    } else if (workload == "ping_pong_burst") {
        const std::uint64_t n = opt("n", 1000000);
        sys.spawn(burst_ping, main, sys.spawn(pong), n, n / 10, static_cast<std::uint64_t>(opt("window", 100)));
        result(workload, receive_one<double>(self), "per_s");
    } else if (workload == "ask") {
        const std::uint64_t n = opt("n", 1000000);
        sys.spawn(asker, main, sys.spawn(pong), n, n / 10);
        result(workload, receive_one<double>(self), "ns");
    } else if (workload == "n_to_one") {
        const std::uint64_t s = opt("senders", 2), m = opt("messages", 1000000);
        const auto t0 = Clock::now();
        actor c = sys.spawn(counter, main, s * m);
        for (std::uint64_t k = 0; k < s; ++k) sys.spawn(sender, c, m);
        const auto sum = receive_one<std::uint64_t>(self);
        const double seconds = since(t0);
        if (sum != s * (m * (m - 1) / 2)) fail("wrong sum " + std::to_string(sum));
        result(workload, static_cast<double>(s * m) / seconds, "per_s");
    } else if (workload == "big") {
        const std::uint64_t a = opt("actors", 100), m = opt("messages", 1000000);
        auto peers = std::make_shared<std::vector<actor>>();
        for (std::size_t i = 0; i < a; ++i) peers->push_back(sys.spawn(big_actor, main, peers, i, m));
        const auto t0 = Clock::now();
        for (auto& p : *peers) self->send(p, go_atom::value);
        for (std::size_t i = 0; i < a; ++i) self->receive([](go_atom) {});
        const double seconds = since(t0);
        for (auto& p : *peers) self->send(p, stop_atom::value);
        std::uint64_t answered = 0;
        for (std::size_t i = 0; i < a; ++i) answered += receive_one<std::uint64_t>(self);
        if (answered != a * m) fail("pings answered " + std::to_string(answered));
        result(workload, static_cast<double>(2 * a * m) / seconds, "per_s");
    } else if (workload == "thread_ring") {
        const std::uint64_t r = opt("actors", 100), h = opt("hops", 1000000);
        std::vector<actor> ring;
        for (std::size_t i = 0; i < r; ++i) ring.push_back(sys.spawn(ring_node, main));
        for (std::size_t i = 0; i < r; ++i) self->send(ring[i], ring[(i + 1) % r]);
        const auto t0 = Clock::now();
        self->send(ring[0], h);
        self->receive([](go_atom) {});
        const double seconds = since(t0);
        for (auto& n : ring) self->send(n, stop_atom::value);
        std::uint64_t forwarded = 0;
        for (std::size_t i = 0; i < r; ++i) forwarded += receive_one<std::uint64_t>(self);
        if (forwarded != h) fail("token forwarded " + std::to_string(forwarded) + " times");
        result(workload, seconds * 1e9 / static_cast<double>(h), "ns");
    } else if (workload == "idle") {
        const std::uint64_t n = opt("n", 100000);
        const double before = rss_bytes();
        std::vector<actor> sleepers;
        sleepers.reserve(n);
        const double with_vector = rss_bytes();
        for (std::uint64_t i = 0; i < n; ++i) sleepers.push_back(sys.spawn(sleeper, main));
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        const double per_actor = (rss_bytes() - with_vector) / static_cast<double>(n);
        (void)before;
        const double cpu0 = cpu_seconds();
        const auto t0 = Clock::now();
        std::this_thread::sleep_for(std::chrono::milliseconds{opt("idle-ms", 2000)});
        const double pct = 100 * (cpu_seconds() - cpu0) / since(t0);
        for (auto& s : sleepers) self->send(s, wake_atom::value);
        for (std::uint64_t i = 0; i < n; ++i) self->receive([](wake_atom) {});
        result("idle_memory", per_actor, "B");
        result("idle_cpu", pct, "%");
    } else {
        std::fprintf(stderr, "caf peer: unknown workload %s\n", workload.c_str());
        std::exit(2);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(
            stderr,
            "usage: caf_peer spawn|skynet|ping_pong|ping_pong_burst|ask|n_to_one|big|thread_ring|idle [--k v]...\n");
        return 2;
    }
    workload = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (std::strncmp(argv[i], "--", 2) != 0) fail(std::string{"expected --name value, got "} + argv[i]);
        opts[argv[i] + 2] = std::strtoll(argv[i + 1], nullptr, 10);
    }
    const std::int64_t runs = opt("runs", 5), threads = opt("threads", 2);
    std::printf("caf peer: %s, CAF %d.%d.%d, %lld scheduler threads, runs=%lld\n", workload.c_str(),
                CAF_VERSION / 10000, CAF_VERSION / 100 % 100, CAF_VERSION % 100, static_cast<long long>(threads),
                static_cast<long long>(runs));
    for (std::int64_t r = 0; r < runs; ++r) {
        actor_system_config cfg;
        cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
        actor_system sys{cfg};
        run(sys);
    }
    return 0;
}
