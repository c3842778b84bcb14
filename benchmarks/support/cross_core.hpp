#pragma once
/// \file
/// Placing threads on CPUs, and what a cache line costs to cross between two of them: shared by the benchmarks and
/// the peers' calibration probes (`benchmarks/peers/probes/probes.cpp`, built on its own with g++ alone).

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace bastion::bench {

/// The CPUs this process may run on, read at the first call (before any of its threads is pinned: a pinned thread's
/// own mask, which new threads inherit, names one CPU).
inline const std::vector<int>& allowed_cpus() {
    static const std::vector<int> cpus = [] {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        std::vector<int> found;
        if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return found;
        for (int c = 0; c < CPU_SETSIZE; ++c) {
            if (CPU_ISSET(c, &allowed)) found.push_back(c);
        }
        return found;
    }();
    return cpus;
}

/// Binds the calling thread to the `index`-th CPU this process may run on (wrapping around), as the executor pins
/// its workers, so floor and ours place their threads alike.
inline void pin_current_thread(std::size_t index) {
    const std::vector<int>& cpus = allowed_cpus();
    if (cpus.empty()) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[index % cpus.size()], &one);
    pthread_setaffinity_np(pthread_self(), sizeof one, &one);
}

/// Nanoseconds for one round trip of a cache line between two threads pinned to the first two CPUs: the floor under
/// any message between cores. In a VM it depends on where the host put the vCPUs (65 to 470 ns seen on this kind of
/// machine, changing from one minute to the next), so a cross-core figure is quoted with this one, taken beside it.
inline double cacheline_round_trip_ns(std::uint64_t n = 200000) {
    alignas(64) std::atomic<std::uint64_t> line{0};
    double ns = 0;
    std::thread other{[&] {
        pin_current_thread(1);
        for (std::uint64_t i = 0; i < n; ++i) {
            while (line.load(std::memory_order_acquire) != 2 * i + 1) {
            }
            line.store(2 * i + 2, std::memory_order_release);
        }
    }};
    std::thread self{[&] {
        pin_current_thread(0);
        const auto start = std::chrono::steady_clock::now();
        for (std::uint64_t i = 0; i < n; ++i) {
            line.store(2 * i + 1, std::memory_order_release);
            while (line.load(std::memory_order_acquire) != 2 * i + 2) {
            }
        }
        ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
             static_cast<double>(n);
    }};
    self.join();
    other.join();
    return ns;
}

}  // namespace bastion::bench
