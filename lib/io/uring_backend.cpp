#include "io/uring_backend.hpp"

#include "io/completion.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace bastion::io::detail {

namespace {

using Clock = std::chrono::steady_clock;

// 256 submission slots: a worker submits what its lightprocs queued since its last poll, at most every 32 picks,
// so a batch rarely fills them (a full queue is submitted early, never refused). Completions get 16 times more room,
// since every open connection may hold a receive in flight.
constexpr unsigned sq_entries = 256;
constexpr unsigned cq_entries = 4096;

// Creates `ring` with the best setup this kernel accepts: completions run only when the owner asks for them
// (DEFER_TASKRUN, one issuer), else at the owner's next system call (COOP_TASKRUN), else the default.
int setup_ring(io_uring& ring, std::string* description) {
    struct Setup {
        unsigned flags;
        const char* name;
    };
    static constexpr Setup setups[] = {
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
         "SINGLE_ISSUER|DEFER_TASKRUN"},
        {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, "COOP_TASKRUN"},
        {0, "default setup"},
    };
    int error = 0;
    for (const Setup& setup : setups) {
        io_uring_params params{};
        params.flags = setup.flags | IORING_SETUP_CQSIZE;
        params.cq_entries = cq_entries;
        const int ret = io_uring_queue_init_params(sq_entries, &ring, &params);
        if (ret == 0) {
            if (description != nullptr) *description = setup.name;
            return 0;
        }
        error = -ret;
        if (error != EINVAL) break;  // refused as such (EPERM, ENOSYS, ENOMEM), not for its flags
    }
    return error;
}

__kernel_timespec to_timespec(std::chrono::nanoseconds d) noexcept {
    if (d < std::chrono::nanoseconds::zero()) d = std::chrono::nanoseconds::zero();
    return {static_cast<long long>(d.count() / 1'000'000'000), static_cast<long long>(d.count() % 1'000'000'000)};
}

}  // namespace

UringProbe probe_uring() {
    UringProbe probe;
    io_uring ring{};
    probe.error = setup_ring(ring, &probe.setup);
    if (probe.error == 0) io_uring_queue_exit(&ring);
    return probe;
}

UringSource::UringSource(Owner owner) : owner_{owner} {
    error_ = setup_ring(ring_, nullptr);
    if (error_ != 0) return;
    if (owner_ == Owner::Worker) {
        wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake_fd_ < 0) {
            error_ = errno;
            io_uring_queue_exit(&ring_);
        }
    }
}

UringSource::~UringSource() {
    if (error_ != 0) return;
    io_uring_queue_exit(&ring_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

io_uring_sqe* UringSource::next_sqe(unsigned needed) noexcept {
    if (io_uring_sq_space_left(&ring_) < needed) io_uring_submit(&ring_);  // full: hand this batch over early
    return io_uring_get_sqe(&ring_);
}

void UringSource::start(const Request& request, Completion& completion, __kernel_timespec& timeout) noexcept {
    const bool timed = request.timeout != no_timeout;
    io_uring_sqe* sqe = next_sqe(timed ? 2 : 1);
    request.prep(sqe, request.prep_context);
    io_uring_sqe_set_data(sqe, &completion);
    ++in_flight_;
    if (timed) {
        sqe->flags |= IOSQE_IO_LINK;
        timeout = to_timespec(request.timeout);
        io_uring_sqe* limit = io_uring_get_sqe(&ring_);
        io_uring_prep_link_timeout(limit, &timeout, 0);
        io_uring_sqe_set_data(limit, nullptr);  // what it did shows in the request's own completion (-ECANCELED)
    }
}

void UringSource::cancel(Completion& completion) noexcept {
    if (executor::detail::this_worker_event_source() == this ||
        (owner_ == Owner::Thread && executor::detail::this_worker_event_source() == nullptr)) {
        io_uring_sqe* sqe = next_sqe(1);
        io_uring_prep_cancel(sqe, &completion, 0);
        io_uring_sqe_set_data(sqe, nullptr);
        return;
    }
    {
        std::lock_guard lock{forward_lock_};
        forwarded_.push_back(&completion);
        has_forwarded_.store(true, std::memory_order_release);
    }
    interrupt();
}

void UringSource::retract(Completion& completion) noexcept {
    if (!has_forwarded_.load(std::memory_order_acquire)) return;
    std::lock_guard lock{forward_lock_};
    std::erase(forwarded_, &completion);
}

// Under the lock, so a waiter cannot retract (and free) a completion while its cancel is being prepared; one that
// already completed is skipped, since its address may soon name another request.
void UringSource::take_forwarded() noexcept {
    if (!has_forwarded_.load(std::memory_order_acquire)) return;
    std::lock_guard lock{forward_lock_};
    for (Completion* completion : forwarded_) {
        if (completion->is_done()) continue;
        io_uring_sqe* sqe = next_sqe(1);
        io_uring_prep_cancel(sqe, completion, 0);
        io_uring_sqe_set_data(sqe, nullptr);
    }
    forwarded_.clear();
    has_forwarded_.store(false, std::memory_order_relaxed);
}

unsigned UringSource::reap() noexcept {
    unsigned head = 0, seen = 0, completed = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        void* data = io_uring_cqe_get_data(cqe);
        if (data == nullptr) continue;  // a link timeout or a cancel
        if (data == &wake_count_) {
            wake_armed_ = false;
            continue;
        }
        --in_flight_;
        ++completed;
        static_cast<Completion*>(data)->complete(cqe->res);
    }
    io_uring_cq_advance(&ring_, seen);
    return completed;
}

bool UringSource::pending() const noexcept {
    return in_flight_ != 0 || has_forwarded_.load(std::memory_order_relaxed);
}

// Enters the kernel only when there is something to hand over or to run: queued requests, or completions the kernel
// holds back until asked (it raises IORING_SQ_TASKRUN for those, CQ_OVERFLOW for completions that found the ring
// full). Otherwise completions are already in the ring, or not there yet, and reaping costs no system call.
bool UringSource::poll() noexcept {
    take_forwarded();
    if (io_uring_sq_ready(&ring_) != 0 ||
        (IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0) {
        io_uring_submit_and_get_events(&ring_);  // one system call: the batch goes in, finished work comes out
    }
    return reap() != 0;
}

// One system call: the queued requests go in, and it returns at once if anything completed meanwhile.
void UringSource::wait(Clock::time_point deadline) noexcept {
    take_forwarded();
    if (owner_ == Owner::Worker && !wake_armed_) {
        io_uring_sqe* sqe = next_sqe(1);
        io_uring_prep_read(sqe, wake_fd_, &wake_count_, sizeof wake_count_, 0);
        io_uring_sqe_set_data(sqe, &wake_count_);
        wake_armed_ = true;
    }
    io_uring_cqe* cqe = nullptr;
    if (deadline == Clock::time_point::max()) {
        io_uring_submit_and_wait(&ring_, 1);
    } else {
        __kernel_timespec timeout = to_timespec(deadline - Clock::now());
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &timeout, nullptr);
    }
    reap();
}

void UringSource::interrupt() noexcept {
    if (wake_fd_ >= 0) eventfd_write(wake_fd_, 1);
}

namespace {

std::unique_ptr<executor::detail::EventSource> make_worker_source() {
    auto source = std::make_unique<UringSource>(UringSource::Owner::Worker);
    if (source->error() != 0) return nullptr;
    return source;
}

// A plain thread's own ring. Read through this call only: no thread-local is cached across a suspension.
__attribute__((noinline)) UringSource& thread_ring() {
    thread_local UringSource ring{UringSource::Owner::Thread};
    return ring;
}

long timed_out_as_such(long result, const Request& request) noexcept {
    // A request ended by its linked timeout completes with -ECANCELED.
    return result == -ECANCELED && request.timeout != no_timeout ? -ETIMEDOUT : result;
}

}  // namespace

long perform_uring(const Request& request) {
    Completion completion;
    __kernel_timespec timeout{};
    auto* ring = static_cast<UringSource*>(executor::detail::worker_event_source(&make_worker_source));
    if (ring == nullptr) {
        UringSource& own = thread_ring();
        if (own.error() != 0) return -own.error();
        own.start(request, completion, timeout);
        while (!completion.is_done()) own.wait(Clock::time_point::max());
        return timed_out_as_such(completion.result, request);
    }
    ring->start(request, completion, timeout);
    bool cancelled = false;
    try {
        completion.wait(Completion::Cancellation::Honour);
    } catch (const executor::ProcCancelled&) {
        cancelled = true;  // handled outside: a catch block must not suspend (the exception being handled is a
                           // per-thread record, which other lightprocs, or another worker, would see or clobber)
    }
    if (cancelled) {
        // The kernel may still write into the caller's buffer: cancel, and wait until it has let go.
        ring->cancel(completion);
        completion.wait(Completion::Cancellation::Ignore);
        ring->retract(completion);
        throw executor::ProcCancelled{};
    }
    return timed_out_as_such(completion.result, request);
}

}  // namespace bastion::io::detail
