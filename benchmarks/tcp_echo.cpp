// tcp_echo: loopback TCP echo of 1 KiB messages over 1 and 64 connections; round trips per second.
//
// Ours, once per backend (BASTION_IO=uring or epoll, set in the child before any IO, so the process is fixed to it):
// one executor; a lightproc accepts the connections, each echoed by a lightproc of its own (`read` up to 1 KiB,
// `write_all` it back, until the peer closes); one client lightproc per connection, spawned from main, sends 1 KiB
// (`write_all`), reads the 1 KiB echo back (`read_exact`), checks it byte for byte, and again. TCP_NODELAY on both
// ends.
//
// Floor: the same protocol written directly on liburing (io_uring_queue_init(256, 0), one send or recv in flight per
// connection, io_uring_submit_and_wait(1), reap everything), sockets made with plain system calls before the clock
// starts. Two variants: `raw-2t`, the servers' ends on one thread and the clients' on another (each with its own
// ring, pinned to the two CPUs as our workers are), and `raw-1t`, every end on one thread and one ring.
//
// Every client counts the round trips it completes inside the timed window (after `warmup` seconds, for `seconds`
// seconds, read from the clock after each round trip), then closes; the figure is their sum over the window.
// Also printed: the process's CPU time (all threads, user + system) per round trip over the same window, steadier than
// the rate on a shared machine, and for ours the workers' parks and cross-thread wakes per round trip (ExecutorStats).
// The 0.9x-raw target is judged against the faster raw variant.

#include "support/bench.hpp"

#include <bastion/io.hpp>
#include <bastion/prelude.hpp>

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

using namespace bastion::bench;
namespace io = bastion::io;

constexpr std::size_t message = 1024;

struct Params {
    std::size_t conns, workers;
    double warmup, seconds;
};

// The timed window of a run, and the message a client sends for its `seq`-th round trip.
struct Window {
    Clock::time_point begin, end;
    explicit Window(const Params& p)
        : begin{Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(p.warmup))},
          end{begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(p.seconds))} {}
};

// Process CPU time (all threads) over the window, and the growth of `counters` over it, read by a thread of its own
// that sleeps the rest of the time.
class CpuOverWindow {
public:
    using Counter = std::function<double()>;
    explicit CpuOverWindow(const Window& window, std::vector<Counter> counters = {})
        : counters_{std::move(counters)}, deltas_(counters_.size()), thread_{[this, window] {
              std::this_thread::sleep_until(window.begin);
              const double start = process_cpu().seconds;
              for (std::size_t i = 0; i < counters_.size(); ++i) deltas_[i] = -counters_[i]();
              std::this_thread::sleep_until(window.end);
              seconds_ = process_cpu().seconds - start;
              for (std::size_t i = 0; i < counters_.size(); ++i) deltas_[i] += counters_[i]();
          }} {}
    double seconds() {
        if (thread_.joinable()) thread_.join();
        return seconds_;
    }
    double delta(std::size_t i) {
        if (thread_.joinable()) thread_.join();
        return deltas_.at(i);
    }
    ~CpuOverWindow() {
        if (thread_.joinable()) thread_.join();
    }

private:
    std::vector<Counter> counters_;
    std::vector<double> deltas_;
    double seconds_ = 0;
    std::thread thread_;
};

void fill(std::array<char, message>& m, std::uint64_t conn, std::uint64_t seq) {
    const std::uint64_t tag = (conn << 40) ^ seq;
    std::memcpy(m.data(), &tag, sizeof tag);
    for (std::size_t i = sizeof tag; i < message; i += 64) m[i] = static_cast<char>(seq + i);
}

// ---------------------------------------------------------------------------------------------------------------
// Ours

void echo(io::Handle<io::TcpStream> stream) {
    std::array<char, message> buffer{};
    for (;;) {
        const std::size_t n = stream.read(buffer).expect("echo read");
        if (n == 0) return;
        stream.write_all(io::ConstBuffer{buffer.data(), n}).expect("echo write");
    }
}

Figures run_ours(const Params& p, const std::string& backend) {
    setenv("BASTION_IO", backend.c_str(), 1);
    const io::Backend wanted = backend == "uring" ? io::Backend::IoUring : io::Backend::Epoll;
    if (io::backend() != wanted) throw std::runtime_error("backend " + backend + " is not available here");
    bastion::Executor ex{bastion::ExecutorConfig{.workers = p.workers}};
    auto listener = io::Handle<io::TcpListener>::bind("127.0.0.1:0").expect("bind");
    const io::SocketAddr address = listener.local_addr().expect("local_addr");
    auto server = ex.spawn([&] {
        for (std::size_t i = 0; i < p.conns; ++i) {
            auto [stream, peer] = listener.accept().expect("accept");
            stream.set_nodelay(true).expect("nodelay");
            ex.spawn([s = std::move(stream)]() mutable { echo(std::move(s)); });
        }
    });
    const Window window{p};
    CpuOverWindow cpu{window,
                      {[&ex] { return static_cast<double>(ex.stats().parks); },
                       [&ex] { return static_cast<double>(ex.stats().wakes); }}};
    std::vector<bastion::RecoverableHandle<std::uint64_t>> clients;
    for (std::size_t c = 0; c < p.conns; ++c) {
        clients.push_back(ex.spawn([&window, &address, c] {
            auto stream = io::Handle<io::TcpStream>::connect(address).expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            std::array<char, message> out{}, in{};
            std::uint64_t counted = 0;
            for (std::uint64_t seq = 0;; ++seq) {
                fill(out, c, seq);
                stream.write_all(out).expect("write_all");
                stream.read_exact(in).expect("read_exact");
                if (in != out) throw std::runtime_error("wrong echo");
                const auto now = Clock::now();
                if (now >= window.end) break;
                if (now >= window.begin) ++counted;
            }
            return counted;
        }));
    }
    std::uint64_t total = 0;
    for (auto& h : clients) {
        const auto n = h.get();
        if (!n) throw std::runtime_error("a client failed");
        total += *n;
    }
    server.get();
    const double trips = static_cast<double>(std::max<std::uint64_t>(total, 1));
    return {{"rt_per_s", static_cast<double>(total) / p.seconds},
            {"cpu_us_per_rt", cpu.seconds() * 1e6 / trips},
            {"parks_per_rt", cpu.delta(0) / trips},
            {"wakes_per_rt", cpu.delta(1) / trips}};
}

// ---------------------------------------------------------------------------------------------------------------
// Floor: raw liburing

int check(int ret, const char* what) {
    if (ret < 0) throw std::runtime_error(std::string{what} + ": " + std::strerror(errno));
    return ret;
}

void nodelay(int fd) {
    const int one = 1;
    check(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), "TCP_NODELAY");
}

// One end of a connection and its one request in flight.
struct End {
    int fd = -1;
    bool client = false;
    bool sending = false;
    bool done = false;
    std::size_t off = 0, len = 0;  // bytes of `buf` done / to do in the current send or recv
    std::uint64_t conn = 0, seq = 0, counted = 0;
    std::array<char, message> buf{}, sent{};
};

void submit_send(io_uring& ring, End& e) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_send(sqe, e.fd, e.buf.data() + e.off, e.len - e.off, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, &e);
}

void submit_recv(io_uring& ring, End& e) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_recv(sqe, e.fd, e.buf.data() + e.off, e.len - e.off, 0);
    io_uring_sqe_set_data(sqe, &e);
}

void client_send(io_uring& ring, End& e) {
    fill(e.sent, e.conn, e.seq);
    e.buf = e.sent;
    e.sending = true;
    e.off = 0;
    e.len = message;
    submit_send(ring, e);
}

// Runs the ends given until every one is done: clients stop after the window and close, servers end when their
// peer closed.
void raw_loop(std::vector<End*> ends, const Window& window) {
    io_uring ring{};
    if (const int ret = io_uring_queue_init(256, &ring, 0); ret != 0) {
        throw std::runtime_error(std::string{"io_uring_queue_init: "} + std::strerror(-ret));
    }
    std::size_t active = ends.size();
    for (End* e : ends) {
        if (e->client) {
            client_send(ring, *e);
        } else {
            e->sending = false;
            e->off = 0;
            e->len = message;
            submit_recv(ring, *e);
        }
    }
    while (active != 0) {
        if (const int ret = io_uring_submit_and_wait(&ring, 1); ret < 0 && ret != -EINTR) {
            throw std::runtime_error(std::string{"io_uring_submit_and_wait: "} + std::strerror(-ret));
        }
        unsigned head = 0, seen = 0;
        io_uring_cqe* cqe = nullptr;
        io_uring_for_each_cqe(&ring, head, cqe) {
            ++seen;
            End& e = *static_cast<End*>(io_uring_cqe_get_data(cqe));
            const int res = cqe->res;
            if (res < 0) throw std::runtime_error(std::string{"raw echo: "} + std::strerror(-res));
            if (e.sending) {
                e.off += static_cast<std::size_t>(res);
                if (e.off < e.len) {
                    submit_send(ring, e);
                } else if (e.client) {
                    e.sending = false;
                    e.off = 0;
                    e.len = message;
                    submit_recv(ring, e);
                } else {
                    e.sending = false;
                    e.off = 0;
                    e.len = message;
                    submit_recv(ring, e);
                }
                continue;
            }
            if (res == 0) {
                if (e.client) throw std::runtime_error("raw echo: the server closed");
                close(e.fd);
                e.done = true;
                --active;
                continue;
            }
            e.off += static_cast<std::size_t>(res);
            if (!e.client) {  // echo what came
                e.sending = true;
                e.len = e.off;
                e.off = 0;
                submit_send(ring, e);
                continue;
            }
            if (e.off < e.len) {
                submit_recv(ring, e);
                continue;
            }
            if (e.buf != e.sent) throw std::runtime_error("wrong echo");
            const auto now = Clock::now();
            if (now >= window.end) {
                close(e.fd);
                e.done = true;
                --active;
                continue;
            }
            if (now >= window.begin) ++e.counted;
            ++e.seq;
            client_send(ring, e);
        }
        io_uring_cq_advance(&ring, seen);
    }
    io_uring_queue_exit(&ring);
}

Figures run_raw(const Params& p, int threads) {
    const int listener = check(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), "bind");
    socklen_t len = sizeof addr;
    check(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), "getsockname");
    check(listen(listener, 1024), "listen");
    std::vector<End> ends(2 * p.conns);
    std::vector<End*> clients, servers;
    for (std::size_t c = 0; c < p.conns; ++c) {
        End& client = ends[2 * c];
        End& server = ends[2 * c + 1];
        client.fd = check(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
        check(connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), "connect");
        server.fd = check(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC), "accept");
        nodelay(client.fd);
        nodelay(server.fd);
        client.client = true;
        client.conn = c;
        clients.push_back(&client);
        servers.push_back(&server);
    }
    close(listener);
    const Window window{p};
    CpuOverWindow cpu{window};
    if (threads == 1) {
        std::vector<End*> all = clients;
        all.insert(all.end(), servers.begin(), servers.end());
        pin_current_thread(0);
        raw_loop(all, window);
    } else {
        std::exception_ptr failed;
        std::thread server_thread{[&] {
            pin_current_thread(1);
            try {
                raw_loop(servers, window);
            } catch (...) {
                failed = std::current_exception();
            }
        }};
        pin_current_thread(0);
        raw_loop(clients, window);
        server_thread.join();
        if (failed) std::rethrow_exception(failed);
    }
    std::uint64_t total = 0;
    for (End* c : clients) total += c->counted;
    return {{"rt_per_s", static_cast<double>(total) / p.seconds},
            {"cpu_us_per_rt", cpu.seconds() * 1e6 / static_cast<double>(std::max<std::uint64_t>(total, 1))}};
}

}  // namespace

int main(int argc, char** argv) {
    Args args{argc, argv, "tcp_echo: loopback TCP echo of 1 KiB messages; round trips per second"};
    Params p{};
    const std::string conns = args.text("conns", "both", "connections", {"1", "64", "both"});
    p.workers = static_cast<std::size_t>(args.integer("workers", 2, "executor workers"));
    p.warmup = args.real("warmup", 0.3, "seconds of echo before the timed window");
    p.seconds = args.real("seconds", 1.5, "seconds in the timed window");
    const auto runs = args.integer("runs", 3, "runs of each (all four alternate, each in a fresh process)");
    args.done();
    std::cout << "ours: a lightproc per connection end (client: write_all 1 KiB + read_exact; server: read + "
                 "write_all), BASTION_IO=uring or epoll\n"
              << "raw-2t: raw liburing, servers' ends on one thread and clients' on another (one ring each); "
                 "raw-1t: all on one thread and ring\n\n";
    std::vector<std::size_t> sizes;
    if (conns != "64") sizes.push_back(1);
    if (conns != "1") sizes.push_back(64);
    const std::vector<std::string> subjects = {"uring", "epoll", "raw-2t", "raw-1t"};
    std::map<std::pair<std::size_t, std::string>, std::vector<double>> krt;  // thousands of round trips per second
    std::map<std::pair<std::size_t, std::string>, std::vector<double>> cpu;  // CPU microseconds per round trip
    for (std::int64_t run = 1; run <= runs; ++run) {
        for (std::size_t n : sizes) {
            Params q = p;
            q.conns = n;
            for (const std::string& s : subjects) {
                const Figures f =
                    s == "uring" || s == "epoll"
                        ? isolated("tcp_echo ours " + s, [&] { return run_ours(q, s); })
                        : isolated("tcp_echo " + s, [&] { return run_raw(q, s == "raw-1t" ? 1 : 2); }, Subject::Floor);
                krt[{n, s}].push_back(figure(f, "rt_per_s") / 1e3);
                cpu[{n, s}].push_back(figure(f, "cpu_us_per_rt"));
                std::cout << "run " << run << " conns " << n << " " << (s.rfind("raw", 0) == 0 ? "" : "ours ") << s
                          << ": " << fmt(figure(f, "rt_per_s") / 1e3) << " k round trips/s, "
                          << fmt(figure(f, "cpu_us_per_rt")) << " us CPU per round trip";
                if (s == "uring" || s == "epoll") {
                    std::cout << ", worker parks " << fmt(figure(f, "parks_per_rt")) << " and wakes "
                              << fmt(figure(f, "wakes_per_rt")) << " per round trip";
                }
                std::cout << noise(f) << std::endl;
            }
        }
    }
    std::cout << "\nresults (median of runs), thousands of round trips per second (higher is better):\n";
    for (std::size_t n : sizes) {
        const auto& uring = krt[{n, "uring"}];
        compare(std::to_string(n) + " connection(s), ours = io_uring backend", uring,
                {{"epoll", krt[{n, "epoll"}]}, {"raw-2t", krt[{n, "raw-2t"}]}, {"raw-1t", krt[{n, "raw-1t"}]}},
                "k/s");
        compare(std::to_string(n) + " connection(s), CPU us per round trip, all threads (lower is better)",
                cpu[{n, "uring"}],
                {{"epoll", cpu[{n, "epoll"}]}, {"raw-2t", cpu[{n, "raw-2t"}]}, {"raw-1t", cpu[{n, "raw-1t"}]}}, "us");
        if (n == 64) {
            const double u = spread(uring).median;
            // Against the faster raw variant: a raw program would be written the faster way.
            const double one = spread(krt[{n, "raw-1t"}]).median, two = spread(krt[{n, "raw-2t"}]).median;
            const std::string best = one >= two ? "raw-1t" : "raw-2t";
            verdict(">= 0.9x raw liburing (the faster variant, " + best + "; ratio " + fmt(u / std::max(one, two)) +
                        ")",
                    u >= 0.9 * std::max(one, two));
            verdict(">= 1.2x ours(epoll) (ratio " + fmt(u / spread(krt[{n, "epoll"}]).median) + ")",
                    u >= 1.2 * spread(krt[{n, "epoll"}]).median);
        } else {
            std::cout << "    (one connection: every round trip may wait on a cross-CPU wake-up, ~40-50 us here)\n";
        }
    }
    return 0;
}
