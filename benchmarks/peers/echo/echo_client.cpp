// The one load generator of the TCP echo workload: C connections to 127.0.0.1:PORT, each sending SIZE bytes and
// waiting for all of them to come back before sending the next, for SECONDS (after WARMUP). One thread, epoll.
// Every echoed byte is checked against what was sent (a per-connection, per-round-trip pattern).
//
//   echo_client --port P --conns C [--size 1024] [--seconds 2] [--warmup 0.5] [--impl NAME] [--workload NAME]
//
// Prints `RESULT workload=NAME impl=NAME value=ROUND_TRIPS_PER_S unit=per_s`; fails (status 1) on a wrong byte, a
// closed connection or no progress for 5 s.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "echo_client: %s (%s)\n", why.c_str(), std::strerror(errno));
    std::exit(1);
}

struct Conn {
    int fd = -1;
    std::uint64_t trips = 0;
    std::size_t got = 0;
    std::vector<unsigned char> out, in;
};

unsigned char pattern(std::size_t conn, std::uint64_t trip, std::size_t i) {
    return static_cast<unsigned char>(conn * 31 + trip * 7 + i);
}

void send_request(Conn& c, std::size_t index) {
    for (std::size_t i = 0; i < c.out.size(); ++i) c.out[i] = pattern(index, c.trips, i);
    std::size_t done = 0;
    while (done < c.out.size()) {  // 1 KiB always fits an empty socket buffer; loop for the pathological case
        const ssize_t n = send(c.fd, c.out.data() + done, c.out.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EAGAIN) {
            fail("send");
        }
    }
    c.got = 0;
}

}  // namespace

int main(int argc, char** argv) {
    int port = 0, conns = 1;
    std::size_t size = 1024;
    double seconds = 2, warmup = 0.5;
    std::string impl = "unknown", workload = "echo";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--port")
            port = std::atoi(v.c_str());
        else if (k == "--conns")
            conns = std::atoi(v.c_str());
        else if (k == "--size")
            size = std::strtoull(v.c_str(), nullptr, 10);
        else if (k == "--seconds")
            seconds = std::atof(v.c_str());
        else if (k == "--warmup")
            warmup = std::atof(v.c_str());
        else if (k == "--impl")
            impl = v;
        else if (k == "--workload")
            workload = v;
        else
            fail("unknown option " + k);
    }
    if (port <= 0 || conns <= 0 || size == 0) fail("usage: echo_client --port P --conns C [--size B] ...");
    const int ep = epoll_create1(0);
    std::vector<Conn> cs(static_cast<std::size_t>(conns));
    for (std::size_t i = 0; i < cs.size(); ++i) {
        Conn& c = cs[i];
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
            fail("connect");
        const int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c.out.resize(size);
        c.in.resize(size);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    for (std::size_t i = 0; i < cs.size(); ++i) send_request(cs[i], i);  // may EAGAIN until connected: loops
    std::vector<epoll_event> events(cs.size());
    const auto start = Clock::now();
    auto last_progress = start;
    auto measured_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
    const auto end =
        measured_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::uint64_t counted = 0;
    bool measuring = false;
    for (;;) {
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
        if (n < 0 && errno != EINTR) fail("epoll_wait");
        const auto now = Clock::now();
        if (!measuring && now >= measured_from) {
            measuring = true;
            measured_from = now;
        }
        if (now >= end) break;
        if (now - last_progress > std::chrono::seconds{5}) fail("no echo for 5 s");
        for (int e = 0; e < n; ++e) {
            const std::size_t i = events[e].data.u64;
            Conn& c = cs[i];
            for (;;) {
                const ssize_t r = recv(c.fd, c.in.data() + c.got, c.in.size() - c.got, 0);
                if (r == 0) fail("server closed the connection");
                if (r < 0) {
                    if (errno == EAGAIN) break;
                    fail("recv");
                }
                c.got += static_cast<std::size_t>(r);
                if (c.got < c.in.size()) continue;
                for (std::size_t b = 0; b < size; ++b) {
                    if (c.in[b] != pattern(i, c.trips, b)) fail("wrong byte echoed");
                }
                ++c.trips;
                if (measuring) ++counted;
                last_progress = now;
                send_request(c, i);
            }
        }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - measured_from).count();
    std::printf("RESULT workload=%s impl=%s value=%.6g unit=per_s\n", workload.c_str(), impl.c_str(),
                static_cast<double>(counted) / elapsed);
    for (Conn& c : cs) close(c.fd);
    return 0;
}
