#include "io/epoll_backend.hpp"

#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/proc_state.hpp>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>

namespace bastion::io::detail {

namespace {

using Clock = std::chrono::steady_clock;

// Events taken per epoll_wait: enough that a burst of ready connections is dispatched in one call.
constexpr int batch = 64;

// The set every registration joins. One per process: a descriptor may be used from any worker, and whichever worker
// polls first dispatches its event.
int shared_set() noexcept {
    static const int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd;
}

// Dispatches what the shared set has ready, without waiting. True if it woke a waiter.
bool dispatch_shared() noexcept {
    epoll_event events[batch];
    const int n = epoll_wait(shared_set(), events, batch, 0);
    bool woke = false;
    for (int i = 0; i < n; ++i) {
        static_cast<Readiness*>(events[i].data.ptr)->fire(events[i].events);
        woke = true;
    }
    return woke;
}

std::mutex pool_lock;
Readiness* pool = nullptr;

timespec to_timespec(std::chrono::nanoseconds d) noexcept {
    if (d < std::chrono::nanoseconds::zero()) d = std::chrono::nanoseconds::zero();
    return {static_cast<time_t>(d.count() / 1'000'000'000), static_cast<long>(d.count() % 1'000'000'000)};
}

}  // namespace

std::atomic<std::size_t> Readiness::waiting{0};

Readiness* Readiness::acquire(int fd) noexcept {
    Readiness* readiness = nullptr;
    {
        std::lock_guard lock{pool_lock};
        if (pool != nullptr) readiness = std::exchange(pool, pool->next_free_);
    }
    if (readiness == nullptr) readiness = new (std::nothrow) Readiness;
    if (readiness == nullptr) {
        errno = ENOMEM;
        return nullptr;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = readiness;
    if (epoll_ctl(shared_set(), EPOLL_CTL_ADD, fd, &event) != 0) {
        const int error = errno;
        release(readiness, -1);
        errno = error;
        return nullptr;
    }
    return readiness;
}

void Readiness::release(Readiness* readiness, int fd) noexcept {
    if (fd >= 0) epoll_ctl(shared_set(), EPOLL_CTL_DEL, fd, nullptr);
    std::lock_guard lock{pool_lock};
    readiness->next_free_ = std::exchange(pool, readiness);
}

void Readiness::link(Waiter& waiter) noexcept {
    waiter.next = waiters_;
    if (waiters_ != nullptr) waiters_->prev = &waiter;
    waiters_ = &waiter;
    waiting.fetch_add(1, std::memory_order_relaxed);
}

void Readiness::unlink(Waiter& waiter) noexcept {
    if (waiter.prev != nullptr) {
        waiter.prev->next = waiter.next;
    } else {
        waiters_ = waiter.next;
    }
    if (waiter.next != nullptr) waiter.next->prev = waiter.prev;
    waiting.fetch_sub(1, std::memory_order_relaxed);
}

bool Readiness::wait(Interest interest, std::uint32_t seen, Clock::time_point deadline) {
    executor::detail::ProcCoreBase* core = executor::detail::current_core();
    executor::detail::Parker& parker = executor::detail::parker_of(core);
    Waiter me{&parker, interest};
    {
        std::lock_guard lock{lock_};
        if (tick(interest) != seen) return true;
        link(me);
    }
    // Whoever wakes us has unlinked us under the lock; taking the lock to unlink ourselves waits that out.
    auto leave = [&] {
        std::lock_guard lock{lock_};
        if (!me.woken.load(std::memory_order_relaxed)) unlink(me);
    };
    for (;;) {
        if (me.woken.load(std::memory_order_acquire)) {
            // fire() sets the flag before it unparks us, both under the lock: holding it once waits that out, so our
            // parker (on this lightproc's stack) is no longer touched once we return.
            std::lock_guard lock{lock_};
            return true;
        }
        if (core != nullptr && core->cancel_requested()) {
            leave();
            throw executor::ProcCancelled{};
        }
        if (deadline != Clock::time_point::max() && Clock::now() >= deadline) {
            leave();
            return me.woken.load(std::memory_order_relaxed);
        }
        parker.park_until(deadline);
    }
}

void Readiness::fire(std::uint32_t events) noexcept {
    const bool readable = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    const bool writable = (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
    std::lock_guard lock{lock_};
    if (readable) read_tick_.fetch_add(1, std::memory_order_release);
    if (writable) write_tick_.fetch_add(1, std::memory_order_release);
    for (Waiter* waiter = waiters_; waiter != nullptr;) {
        Waiter* next = waiter->next;
        if (waiter->interest == Interest::Read ? readable : writable) {
            unlink(*waiter);
            executor::detail::Parker* parker = waiter->parker;
            waiter->woken.store(true, std::memory_order_release);
            parker->unpark();
        }
        waiter = next;
    }
}

EpollSource::EpollSource() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0 || shared_set() < 0) {
        error_ = errno;
        return;
    }
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.fd = wake_fd_;
    epoll_event shared{};
    shared.events = EPOLLIN;
    shared.data.fd = shared_set();
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0 ||
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, shared_set(), &shared) != 0) {
        error_ = errno;
    }
}

EpollSource::~EpollSource() {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool EpollSource::poll() noexcept { return dispatch_shared(); }

// The shared set is watched level-triggered from every worker's own instance (epoll refuses EPOLLEXCLUSIVE on an
// epoll descriptor), so all idle workers wake for an event; the first to dispatch takes it.
void EpollSource::wait(Clock::time_point deadline) noexcept {
    if (pending() && poll()) return;
    epoll_event events[2];
    timespec timeout{};
    if (deadline != Clock::time_point::max()) timeout = to_timespec(deadline - Clock::now());
    const int n = epoll_pwait2(epoll_fd_, events, 2, deadline == Clock::time_point::max() ? nullptr : &timeout,
                               nullptr);
    for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake_fd_) {
            eventfd_t count = 0;
            eventfd_read(wake_fd_, &count);
        } else {
            dispatch_shared();
        }
    }
}

void EpollSource::interrupt() noexcept { eventfd_write(wake_fd_, 1); }

namespace {

std::unique_ptr<executor::detail::EventSource> make_worker_source() {
    auto source = std::make_unique<EpollSource>();
    if (source->error() != 0) return nullptr;
    return source;
}

// A thread that is no worker has no reactor: it waits for its one descriptor with poll(2).
bool wait_alone(int fd, Interest interest, Clock::time_point deadline) noexcept {
    pollfd entry{fd, static_cast<short>(interest == Interest::Read ? POLLIN : POLLOUT), 0};
    for (;;) {
        timespec timeout{};
        if (deadline != Clock::time_point::max()) timeout = to_timespec(deadline - Clock::now());
        const int n = ppoll(&entry, 1, deadline == Clock::time_point::max() ? nullptr : &timeout, nullptr);
        if (n > 0) return true;
        if (n == 0) return false;
        if (errno != EINTR) return true;  // let the call itself report what is wrong
    }
}

}  // namespace

long perform_epoll(const Request& request) {
    if (request.interest == Interest::None) return request.call(request.call_context);
    const Clock::time_point deadline =
        request.timeout == no_timeout ? Clock::time_point::max() : Clock::now() + request.timeout;
    for (;;) {
        Readiness* readiness = *request.readiness;
        const std::uint32_t seen = readiness != nullptr ? readiness->tick(request.interest) : 0;
        const long result = request.call(request.call_context);
        if (result != -EAGAIN && result != -EWOULDBLOCK) return result;
        if (executor::detail::worker_event_source(&make_worker_source) == nullptr) {
            if (!wait_alone(request.fd, request.interest, deadline)) return -ETIMEDOUT;
            continue;
        }
        if (readiness == nullptr) {
            readiness = Readiness::acquire(request.fd);
            if (readiness == nullptr) return -errno;
            *request.readiness = readiness;  // registering reports the current state: no event is missed
        }
        if (!readiness->wait(request.interest, seen, deadline)) return -ETIMEDOUT;
    }
}

}  // namespace bastion::io::detail
