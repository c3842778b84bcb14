#include <bastion/io/tcp_listener.hpp>
#include <bastion/io/tcp_stream.hpp>

#include "io/request.hpp"
#include "io/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace bastion::io {

namespace {

Error error_on(long result, std::string_view operation, const SocketAddr& address) {
    return detail::os_error(result, operation, "tcp " + address.to_string());
}

}  // namespace

Result<Handle<TcpStream>> Handle<TcpStream>::connect(const SocketAddr& address, Timeout timeout) {
    if (!address.is_valid()) return Err(error_on(-EINVAL, "connect", address));
    const int fd = detail::open_socket(address.family(), SOCK_STREAM);
    if (fd < 0) return Err(error_on(fd, "socket", address));
    Handle stream{fd};
    Result<void> connected = stream.connect_to(address, timeout);
    if (connected.is_err()) return Err(std::move(connected).unwrap_err());
    return Ok(std::move(stream));
}

Result<void> Handle<TcpStream>::set_nodelay(bool nodelay) {
    const int on = nodelay ? 1 : 0;
    if (setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) return Err(error(-errno, "set_nodelay"));
    return Ok();
}

Result<Handle<TcpListener>> Handle<TcpListener>::bind(const SocketAddr& address, int backlog) {
    if (!address.is_valid()) return Err(error_on(-EINVAL, "bind", address));
    const int fd = detail::open_socket(address.family(), SOCK_STREAM);
    if (fd < 0) return Err(error_on(fd, "socket", address));
    Handle listener{fd};
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd, address.data(), address.size()) != 0) return Err(error_on(-errno, "bind", address));
    if (::listen(fd, backlog) != 0) return Err(error_on(-errno, "listen", address));
    return Ok(std::move(listener));
}

Result<std::pair<Handle<TcpStream>, SocketAddr>> Handle<TcpListener>::accept(Timeout timeout) {
    SocketAddr peer;
    Result<int> fd = accept_descriptor(peer, timeout);
    if (fd.is_err()) return Err(std::move(fd).unwrap_err());
    return Ok(std::pair{Handle<TcpStream>{fd.unwrap()}, peer});
}

}  // namespace bastion::io
