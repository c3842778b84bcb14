#include <bastion/io/detail/listener.hpp>

#include "io/request.hpp"
#include "io/socket.hpp"

#include <liburing.h>
#include <sys/socket.h>

namespace bastion::io::detail {

Result<int> Listener::accept_descriptor(SocketAddr& peer, Timeout timeout) {
    socklen_t* size = peer.size_slot();
    const int flags = socket_flags();
    const long fd = perform(
        fd_, Interest::Read, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_accept(sqe, fd_, peer.data(), size, flags); },
        [&] { return syscall_result(::accept4(fd_, peer.data(), size, flags)); });
    if (fd < 0) return Err(error(fd, "accept"));
    return Ok(static_cast<int>(fd));
}

}  // namespace bastion::io::detail
