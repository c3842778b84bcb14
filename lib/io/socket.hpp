#pragma once
// Socket set-up shared by every socket kind.

#include <bastion/io/backend.hpp>

#include <sys/socket.h>

namespace bastion::io::detail {

/// Flags every socket we create or accept gets: close-on-exec, and non-blocking under epoll (whose calls must never
/// block). Under io_uring sockets stay blocking: the ring waits for them itself.
inline int socket_flags() { return SOCK_CLOEXEC | (backend() == Backend::Epoll ? SOCK_NONBLOCK : 0); }

/// A new socket, or -errno.
inline int open_socket(int domain, int type) {
    const int fd = ::socket(domain, type | socket_flags(), 0);
    return fd >= 0 ? fd : -errno;
}

}  // namespace bastion::io::detail
