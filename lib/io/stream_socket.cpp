#include <bastion/io/detail/stream_socket.hpp>

#include "io/request.hpp"

#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace bastion::io::detail {

Result<std::size_t> StreamSocket::read_vectored(std::span<const MutableBuffer> buffers, Timeout timeout) {
    msghdr message{};
    message.msg_iov = const_cast<iovec*>(reinterpret_cast<const iovec*>(buffers.data()));
    message.msg_iovlen = buffers.size();
    const long n = perform(
        fd_, Interest::Read, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_recvmsg(sqe, fd_, &message, 0); },
        [&] { return syscall_result(::recvmsg(fd_, &message, 0)); });
    return outcome(n, "read_vectored");
}

Result<std::size_t> StreamSocket::write_vectored(std::span<const ConstBuffer> buffers, Timeout timeout) {
    msghdr message{};
    message.msg_iov = const_cast<iovec*>(reinterpret_cast<const iovec*>(buffers.data()));
    message.msg_iovlen = buffers.size();
    const long n = perform(
        fd_, Interest::Write, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_sendmsg(sqe, fd_, &message, MSG_NOSIGNAL); },
        [&] { return syscall_result(::sendmsg(fd_, &message, MSG_NOSIGNAL)); });
    return outcome(n, "write_vectored");
}

Result<void> StreamSocket::shutdown(Shutdown how) {
    const int mode = how == Shutdown::Read ? SHUT_RD : how == Shutdown::Write ? SHUT_WR : SHUT_RDWR;
    if (::shutdown(fd_, mode) != 0) return Err(error(-errno, "shutdown"));  // never blocks: no request
    return Ok();
}

Result<void> StreamSocket::connect_to(const SocketAddr& address, Timeout timeout) {
    if (!address.is_valid()) return Err(error(-EINVAL, "connect"));
    bool started = false;
    const long result = perform(
        fd_, Interest::Write, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_connect(sqe, fd_, address.data(), address.size()); },
        [&]() -> long {
            // epoll: start the connection, then, each time the socket turns writable, ask how it went.
            if (!std::exchange(started, true)) {
                if (::connect(fd_, address.data(), address.size()) == 0) return 0;
                return errno == EINPROGRESS ? -EAGAIN : -errno;
            }
            int failure = 0;
            socklen_t size = sizeof failure;
            if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &failure, &size) != 0) return -errno;
            if (failure != 0) return -failure;
            SocketAddr peer;  // no error yet: connected, or still in progress (woken early)
            return getpeername(fd_, peer.data(), peer.size_slot()) == 0 ? 0 : -EAGAIN;
        });
    if (result < 0) {
        Error failed = error(result, "connect");
        return Err(Error{failed.code(), "connect", failed.target() + " to " + address.to_string()});
    }
    return Ok();
}

}  // namespace bastion::io::detail
