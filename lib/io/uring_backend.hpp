#pragma once
// The io_uring proactor: one ring per worker, submitted to and reaped by that worker only.

#include <bastion/executor/detail/event_source.hpp>

#include "io/request.hpp"

#include <liburing.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace bastion::io::detail {

class Completion;

/// The outcome of creating a ring the way the workers do: 0 or the errno, and the setup the kernel accepted.
struct UringProbe {
    int error = 0;
    std::string setup;
};
UringProbe probe_uring();

/// A ring and what a worker needs around it: the wake-up eventfd, requests in flight, cancels forwarded by other
/// threads. A worker's ring is its EventSource; a thread that is no worker (the main thread, a blocking-pool
/// thread) gets one of its own and waits in it itself.
class UringSource final : public executor::detail::EventSource {
public:
    enum class Owner { Worker, Thread };
    explicit UringSource(Owner owner);
    ~UringSource() override;
    UringSource(const UringSource&) = delete;
    UringSource& operator=(const UringSource&) = delete;

    /// 0, or the errno that kept the ring from being created.
    int error() const noexcept { return error_; }

    bool poll() noexcept override;
    bool pending() const noexcept override;
    void wait(std::chrono::steady_clock::time_point deadline) noexcept override;
    void interrupt() noexcept override;

    /// Queues `request` (linked to a timeout if it has one) with `completion` as its user data; `timeout` must live
    /// until the next submission. The owner's thread only.
    void start(const Request& request, Completion& completion, __kernel_timespec& timeout) noexcept;
    /// Asks the kernel to cancel the request of `completion`, still in flight. Any thread: from another than the
    /// owner's, the ask is forwarded to the owner and the owner woken.
    void cancel(Completion& completion) noexcept;
    /// Forgets a forwarded cancel of `completion`, now done, before its storage goes away. Any thread.
    void retract(Completion& completion) noexcept;

private:
    io_uring_sqe* next_sqe(unsigned needed) noexcept;
    void take_forwarded() noexcept;
    unsigned reap() noexcept;

    io_uring ring_{};
    int error_ = 0;
    Owner owner_;
    int wake_fd_ = -1;
    std::uint64_t wake_count_ = 0;  // the eventfd read's buffer; its address tags the read's completion
    bool wake_armed_ = false;
    std::size_t in_flight_ = 0;  // requests submitted or queued and not completed (the wake read is not counted)

    std::mutex forward_lock_;
    std::vector<Completion*> forwarded_;  // cancels asked from other threads, not yet submitted
    std::atomic<bool> has_forwarded_{false};
};

/// `perform` on io_uring.
long perform_uring(const Request& request);

}  // namespace bastion::io::detail
