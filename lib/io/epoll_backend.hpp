#pragma once
// The epoll reactor, for where io_uring cannot be used: non-blocking system calls, retried when epoll says the
// descriptor is ready.

#include <bastion/executor/detail/event_source.hpp>
#include <bastion/executor/detail/parker.hpp>

#include "executor/spinlock.hpp"
#include "io/request.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bastion::io::detail {

/// One descriptor's registration with the process's epoll set (edge-triggered, read and write at once), and the
/// lightprocs waiting for it to become ready. Pooled and never freed: an event fetched just before the descriptor
/// was closed may still name it, and then only wakes its next user spuriously, which every waiter tolerates.
class Readiness {
public:
    /// Registers `fd`; nullptr with errno set if epoll refuses it.
    static Readiness* acquire(int fd) noexcept;
    /// Deregisters `fd` (before it is closed) and returns the registration to the pool.
    static void release(Readiness* readiness, int fd) noexcept;

    /// Bumped on every event of that direction; a waiter reads it before its attempt, so an event that lands between
    /// the attempt and the wait is not missed.
    std::uint32_t tick(Interest interest) const noexcept {
        return (interest == Interest::Read ? read_tick_ : write_tick_).load(std::memory_order_acquire);
    }
    /// Suspends the caller until the `interest` tick moves past `seen`, or `deadline` (false). Throws ProcCancelled.
    bool wait(Interest interest, std::uint32_t seen, std::chrono::steady_clock::time_point deadline);
    /// Wakes the waiters `events` (epoll's bits) concern. The reactor's side.
    void fire(std::uint32_t events) noexcept;

    /// Lightprocs waiting on any registration: whether the workers need to poll at all.
    static std::atomic<std::size_t> waiting;

private:
    struct Waiter {
        executor::detail::Parker* parker;
        Interest interest;
        std::atomic<bool> woken{false};
        Waiter* prev = nullptr;
        Waiter* next = nullptr;
    };
    void link(Waiter& waiter) noexcept;
    void unlink(Waiter& waiter) noexcept;

    executor::detail::Spinlock lock_;
    Waiter* waiters_ = nullptr;
    std::atomic<std::uint32_t> read_tick_{0};
    std::atomic<std::uint32_t> write_tick_{0};
    Readiness* next_free_ = nullptr;
};

/// A worker's side of the reactor: its own epoll instance watching its wake-up eventfd and the shared set, so an
/// idle worker sleeps in epoll_wait and any worker may dispatch the shared set's events.
class EpollSource final : public executor::detail::EventSource {
public:
    EpollSource();
    ~EpollSource() override;
    EpollSource(const EpollSource&) = delete;
    EpollSource& operator=(const EpollSource&) = delete;

    int error() const noexcept { return error_; }

    bool poll() noexcept override;
    bool pending() const noexcept override { return Readiness::waiting.load(std::memory_order_relaxed) != 0; }
    void wait(std::chrono::steady_clock::time_point deadline) noexcept override;
    void interrupt() noexcept override;

private:
    int error_ = 0;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;
};

/// `perform` on epoll.
long perform_epoll(const Request& request);

}  // namespace bastion::io::detail
