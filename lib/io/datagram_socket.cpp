#include <bastion/io/detail/datagram_socket.hpp>

#include "io/request.hpp"

#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>

namespace bastion::io::detail {

Result<std::size_t> DatagramSocket::send_to(ConstBuffer message, const SocketAddr& to, Timeout timeout) {
    if (!to.is_valid()) return Err(error(-EINVAL, "send_to"));
    iovec part{const_cast<void*>(message.data()), message.size()};
    msghdr header{};
    header.msg_name = const_cast<sockaddr*>(to.data());
    header.msg_namelen = to.size();
    header.msg_iov = &part;
    header.msg_iovlen = 1;
    const long n = perform(
        fd_, Interest::Write, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_sendmsg(sqe, fd_, &header, MSG_NOSIGNAL); },
        [&] { return syscall_result(::sendmsg(fd_, &header, MSG_NOSIGNAL)); });
    return outcome(n, "send_to");
}

Result<std::pair<std::size_t, SocketAddr>> DatagramSocket::receive_from(MutableBuffer buffer, int flags,
                                                                        std::string_view operation,
                                                                        Timeout timeout) {
    SocketAddr from;
    iovec part{buffer.data(), buffer.size()};
    msghdr header{};
    header.msg_name = from.data();
    header.msg_namelen = *from.size_slot();
    header.msg_iov = &part;
    header.msg_iovlen = 1;
    const long n = perform(
        fd_, Interest::Read, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_recvmsg(sqe, fd_, &header, static_cast<unsigned>(flags)); },
        [&] { return syscall_result(::recvmsg(fd_, &header, flags)); });
    if (n < 0) return Err(error(n, operation));
    return Ok(std::pair{static_cast<std::size_t>(n), SocketAddr{from.data(), header.msg_namelen}});
}

Result<void> DatagramSocket::connect(const SocketAddr& peer, Timeout timeout) {
    if (!peer.is_valid()) return Err(error(-EINVAL, "connect"));
    // A datagram socket connects at once: nothing to wait for.
    const long result = perform(
        fd_, Interest::None, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_connect(sqe, fd_, peer.data(), peer.size()); },
        [&] { return syscall_result(::connect(fd_, peer.data(), peer.size())); });
    if (result < 0) return Err(error(result, "connect"));
    return Ok();
}

}  // namespace bastion::io::detail
