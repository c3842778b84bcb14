// Calibration probes: what this machine charges for the three things every runtime here is made of.
//
//   context_switch   one Boost.Context fiber switch (resume into a fiber and back = 2 switches)
//   cacheline_rt     a cache line bounced between two threads pinned to two CPUs (one round trip)
//   futex_wake_rt    two threads pinned to two CPUs waking each other through futexes (one round trip = 2 wakes
//                    of a sleeping thread)
//
//   probes [--runs R] [--switches N] [--bounces N] [--wakes N]
//
// Prints `RESULT workload=probe_<name> impl=machine value=V unit=ns` per run; fails if a counter comes out wrong.

#include "../../support/cross_core.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

using bastion::bench::cacheline_round_trip_ns;
using bastion::bench::pin_current_thread;

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "probes: %s\n", why);
    std::exit(1);
}

double since_ns(Clock::time_point t0) {
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

double context_switch(std::uint64_t n) {
    namespace ctx = boost::context;
    std::uint64_t inside = 0;
    ctx::fiber f{[&](ctx::fiber&& back) {
        for (;;) {
            ++inside;
            back = std::move(back).resume();
        }
        return std::move(back);
    }};
    f = std::move(f).resume();  // first entry, untimed
    const auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) f = std::move(f).resume();
    const double ns = since_ns(t0);
    if (inside != n + 1) fail("context switch: wrong count");
    return ns / static_cast<double>(2 * n);
}

long futex(std::atomic<std::uint32_t>* addr, int op, std::uint32_t value) {
    return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(addr), op | FUTEX_PRIVATE_FLAG, value, nullptr, nullptr,
                   0);
}

// Each side sleeps in FUTEX_WAIT until the other bumps its word and wakes it.
double futex_wake_rt(std::uint64_t n) {
    alignas(64) std::atomic<std::uint32_t> a{0};
    alignas(64) std::atomic<std::uint32_t> b{0};
    auto wait_for = [](std::atomic<std::uint32_t>& w, std::uint32_t want) {
        for (std::uint32_t v; (v = w.load(std::memory_order_acquire)) != want;) futex(&w, FUTEX_WAIT, v);
    };
    auto post = [](std::atomic<std::uint32_t>& w, std::uint32_t value) {
        w.store(value, std::memory_order_release);
        futex(&w, FUTEX_WAKE, 1);
    };
    std::thread other{[&] {
        pin_current_thread(1);
        for (std::uint32_t i = 1; i <= n; ++i) {
            wait_for(a, i);
            post(b, i);
        }
    }};
    pin_current_thread(0);
    std::this_thread::sleep_for(std::chrono::milliseconds{10});  // let it fall asleep
    const auto t0 = Clock::now();
    for (std::uint32_t i = 1; i <= n; ++i) {
        post(a, i);
        wait_for(b, i);
    }
    const double ns = since_ns(t0);
    other.join();
    if (b.load() != n) fail("futex: wrong count");
    return ns / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t runs = 5, switches = 10'000'000, bounces = 1'000'000, wakes = 20'000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const std::uint64_t v = std::strtoull(argv[i + 1], nullptr, 10);
        if (k == "--runs")
            runs = v;
        else if (k == "--switches")
            switches = v;
        else if (k == "--bounces")
            bounces = v;
        else if (k == "--wakes")
            wakes = v;
        else
            fail("unknown option (--runs --switches --bounces --wakes)");
    }
    if (bastion::bench::allowed_cpus().size() < 2) fail("needs two CPUs");
    std::printf("probes: runs=%llu switches=%llu bounces=%llu wakes=%llu\n", static_cast<unsigned long long>(runs),
                static_cast<unsigned long long>(switches), static_cast<unsigned long long>(bounces),
                static_cast<unsigned long long>(wakes));
    for (std::uint64_t r = 0; r < runs; ++r) {
        std::printf("RESULT workload=probe_context_switch impl=machine value=%.6g unit=ns\n", context_switch(switches));
        std::printf("RESULT workload=probe_cacheline_rt impl=machine value=%.6g unit=ns\n",
                    cacheline_round_trip_ns(bounces));
        std::printf("RESULT workload=probe_futex_wake_rt impl=machine value=%.6g unit=ns\n", futex_wake_rt(wakes));
        std::fflush(stdout);
    }
    return 0;
}
