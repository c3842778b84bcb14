#pragma once
// Helpers for the white-box stress tests of the lock-free core: bounded runs, jitter, and a ledger of letters' fates.

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <bastion/executor/executor.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace bastion::test {

using Clock = std::chrono::steady_clock;

/// An executor of two workers, the machine's count here, whatever BASTION_WORKERS says.
inline executor::ExecutorConfig two_workers() {
    executor::ExecutorConfig config;
    config.workers = 2;
    return config;
}

/// Who waits (receives, parks) in a stress test: each kind parks differently.
enum class Waiter { PlainThread, UnboundProc, BoundProc };

inline const char* waiter_name(Waiter waiter) {
    switch (waiter) {
        case Waiter::PlainThread: return "a plain thread";
        case Waiter::UnboundProc: return "an unbound lightproc";
        case Waiter::BoundProc: return "a lightproc bound to worker 0";
    }
    return "?";
}

/// Runs `body` as `waiter` on `ex` (worker 0 for a bound one) and waits for it, at most a minute.
inline void run_as(Waiter waiter, executor::Executor& ex, std::function<void()> body) {
    using namespace std::chrono_literals;
    switch (waiter) {
        case Waiter::PlainThread: {
            std::thread thread{body};
            thread.join();
            return;
        }
        case Waiter::UnboundProc: REQUIRE(ex.spawn(body).wait_for(60s)); return;
        case Waiter::BoundProc: REQUIRE(ex.spawn_on(0, body).wait_for(60s)); return;
    }
}

/// A small, fast, per-caller pseudo-random source (xorshift), so jitter costs no lock and no syscall.
class Jitter {
public:
    explicit Jitter(std::uint64_t seed) noexcept : state_{seed * 0x9E3779B97F4A7C15ull + 1} {}
    std::uint64_t next() noexcept {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        return state_;
    }
    /// A number in [0, bound).
    std::uint32_t below(std::uint32_t bound) noexcept { return static_cast<std::uint32_t>(next() % bound); }
    /// Spins for up to `max_spins` iterations, so that the two sides of a race meet at varied points.
    void spin(std::uint32_t max_spins) noexcept {
        const std::uint32_t n = below(max_spins + 1);
        for (std::uint32_t i = 0; i < n; ++i) {
            std::atomic_signal_fence(std::memory_order_seq_cst);  // keeps the loop from being optimized away
        }
    }

private:
    std::uint64_t state_;
};

/// A stress run's budget: at most `rounds` rounds, and no round started after `time` has passed. The count of rounds
/// run is what the test reports and asserts on, so a slow (sanitized, loaded) machine runs fewer, never times out.
class Budget {
public:
    Budget(int rounds, std::chrono::milliseconds time) noexcept : rounds_{rounds}, end_{Clock::now() + time} {}
    /// True while another round may start; counts it.
    bool next() noexcept {
        if (done_ >= rounds_ || Clock::now() >= end_) return false;
        ++done_;
        return true;
    }
    int done() const noexcept { return done_; }

private:
    int rounds_;
    Clock::time_point end_;
    int done_ = 0;
};

/// Stretches random moments of the given threads: every few tens of microseconds it signals one of them, whose
/// handler sleeps for `stall` before returning. A race whose window is a few instructions wide (between a push's
/// compare-exchange and its next load, say) then stays open long enough for the other side to land in it, as a
/// preemption would on a loaded machine. The handler only calls nanosleep (async-signal-safe).
class Stretcher {
public:
    Stretcher(std::vector<pthread_t> targets, std::chrono::microseconds stall) : targets_{std::move(targets)} {
        stall_ns_.store(std::chrono::nanoseconds{stall}.count(), std::memory_order_relaxed);
        struct sigaction action {};
        action.sa_handler = &Stretcher::on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        sigaction(SIGUSR2, &action, &previous_);
        thread_ = std::thread{[this] {
            Jitter jitter{12345};
            while (!stop_.load(std::memory_order_relaxed)) {
                pthread_kill(targets_[jitter.below(static_cast<std::uint32_t>(targets_.size()))], SIGUSR2);
                const auto until = Clock::now() + std::chrono::microseconds{20 + jitter.below(60)};
                while (Clock::now() < until && !stop_.load(std::memory_order_relaxed)) {
                }
            }
        }};
    }
    Stretcher(const Stretcher&) = delete;
    Stretcher& operator=(const Stretcher&) = delete;
    /// Stops signalling; call before the targets exit.
    void stop() {
        if (!thread_.joinable()) return;
        stop_.store(true, std::memory_order_relaxed);
        thread_.join();
    }
    ~Stretcher() {
        stop();
        sigaction(SIGUSR2, &previous_, nullptr);
    }

private:
    static void on_signal(int) {
        // Sleeps rather than spins: on a machine with few cores the stretched thread must leave its core to the
        // threads that are to land in its window.
        const long long stall = stall_ns_.load(std::memory_order_relaxed);
        timespec span{static_cast<time_t>(stall / 1'000'000'000LL), static_cast<long>(stall % 1'000'000'000LL)};
        while (nanosleep(&span, &span) != 0) {
        }
    }

    static inline std::atomic<long long> stall_ns_{0};
    std::vector<pthread_t> targets_;
    struct sigaction previous_ {};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace bastion::test
