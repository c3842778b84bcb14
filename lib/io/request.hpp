#pragma once
// One IO request as both backends need it: how to ask io_uring for it, and the non-blocking system call that does
// it when the descriptor is ready (epoll).

#include <bastion/io/error.hpp>
#include <bastion/io/timeout.hpp>

#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

struct io_uring_sqe;

namespace bastion::io::detail {

class Readiness;

/// Which readiness the epoll backend waits for before it retries the call. None: the call never blocks for long
/// (regular files, which epoll cannot watch), so it is made as it is.
enum class Interest : unsigned char { None, Read, Write };

struct Request {
    int fd;
    Interest interest;
    Timeout timeout;
    Readiness** readiness;  // the descriptor's epoll registration, made on its first wait
    void (*prep)(io_uring_sqe* sqe, const void* context);
    const void* prep_context;
    long (*call)(const void* context);  // returns the result or -errno; never blocks on a non-blocking descriptor
    const void* call_context;
};

/// Runs `request` on the calling thread's backend: suspends the calling lightproc (a plain thread blocks) until it
/// completes, fails or times out (-ETIMEDOUT). Returns the result or -errno. A lightproc cancelled meanwhile has the
/// request cancelled, waits until the kernel let go of its buffers, then ProcCancelled is thrown.
long perform(const Request& request);

/// `perform` for two lambdas: `prep(io_uring_sqe*)` and `call() -> long`.
template <class Prep, class Call>
long perform(int fd, Interest interest, Timeout timeout, Readiness** readiness, const Prep& prep, const Call& call) {
    return perform(Request{
        fd, interest, timeout, readiness,
        [](io_uring_sqe* sqe, const void* context) { (*static_cast<const Prep*>(context))(sqe); }, &prep,
        [](const void* context) -> long { return (*static_cast<const Call*>(context))(); }, &call});
}

/// A system call's return as the backends report it: the result, or -errno.
inline long syscall_result(long ret) noexcept { return ret < 0 ? -errno : ret; }

/// The Error a negative backend result (-errno) stands for.
inline Error os_error(long result, std::string_view operation, std::string target) {
    return Error{std::error_code{static_cast<int>(-result), std::system_category()}, operation, std::move(target)};
}

}  // namespace bastion::io::detail
