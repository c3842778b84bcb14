#include <bastion/io/detail/socket.hpp>

#include <bastion/io/backend.hpp>

#include "io/epoll_backend.hpp"
#include "io/request.hpp"

#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace bastion::io::detail {

Socket::Socket(int fd, std::string path) noexcept : Descriptor{fd, std::move(path)} {
    if (backend() == Backend::Epoll) readiness_ = Readiness::acquire(fd);  // failing here, the first wait retries
}

Result<SocketAddr> Socket::local_addr() const {
    SocketAddr address;
    if (getsockname(fd_, address.data(), address.size_slot()) != 0) return Err(error(-errno, "local_addr"));
    return Ok(address);
}

Result<SocketAddr> Socket::peer_addr() const {
    SocketAddr address;
    if (getpeername(fd_, address.data(), address.size_slot()) != 0) return Err(error(-errno, "peer_addr"));
    return Ok(address);
}

Result<std::size_t> Socket::receive(MutableBuffer buffer, int flags, std::string_view operation,
                                          Timeout timeout) {
    const long n = perform(
        fd_, Interest::Read, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_recv(sqe, fd_, buffer.data(), buffer.size(), flags); },
        [&] { return syscall_result(::recv(fd_, buffer.data(), buffer.size(), flags)); });
    return outcome(n, operation);
}

Result<std::size_t> Socket::transmit(ConstBuffer buffer, Timeout timeout) {
    const long n = perform(
        fd_, Interest::Write, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_send(sqe, fd_, buffer.data(), buffer.size(), MSG_NOSIGNAL); },
        [&] { return syscall_result(::send(fd_, buffer.data(), buffer.size(), MSG_NOSIGNAL)); });
    return outcome(n, "send");
}

}  // namespace bastion::io::detail
