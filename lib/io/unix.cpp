#include <bastion/io/unix_datagram.hpp>
#include <bastion/io/unix_listener.hpp>
#include <bastion/io/unix_stream.hpp>

#include "io/request.hpp"
#include "io/socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace bastion::io {

namespace {

Error error_on(long result, std::string_view operation, const std::string& path) {
    return detail::os_error(result, operation, "unix " + (path.empty() ? std::string{"(unnamed)"} : path));
}

// A new Unix socket of `type`, bound to `path` unless it is empty; -errno on failure, reported as `operation`.
Result<int> bound_socket(int type, const std::string& path) {
    const int fd = detail::open_socket(AF_UNIX, type);
    if (fd < 0) return Err(error_on(fd, "socket", path));
    if (path.empty()) return Ok(fd);
    const SocketAddr address = SocketAddr::unix_path(path);
    if (!address.is_valid() || ::bind(fd, address.data(), address.size()) != 0) {
        const int error = address.is_valid() ? errno : ENAMETOOLONG;
        ::close(fd);
        return Err(error_on(-error, "bind", path));
    }
    return Ok(fd);
}

Result<std::pair<int, int>> socket_pair(int type) {
    int fds[2];
    if (::socketpair(AF_UNIX, type | detail::socket_flags(), 0, fds) != 0) {
        return Err(error_on(-errno, "socketpair", {}));
    }
    return Ok(std::pair{fds[0], fds[1]});
}

}  // namespace

Result<Handle<UnixStream>> Handle<UnixStream>::connect(const std::string& path, Timeout timeout) {
    Result<int> fd = bound_socket(SOCK_STREAM, {});
    if (fd.is_err()) return Err(std::move(fd).unwrap_err());
    Handle stream{fd.unwrap(), path};
    Result<void> connected = stream.connect_to(SocketAddr::unix_path(path), timeout);
    if (connected.is_err()) return Err(std::move(connected).unwrap_err());
    return Ok(std::move(stream));
}

Result<std::pair<Handle<UnixStream>, Handle<UnixStream>>> Handle<UnixStream>::pair() {
    Result<std::pair<int, int>> fds = socket_pair(SOCK_STREAM);
    if (fds.is_err()) return Err(std::move(fds).unwrap_err());
    return Ok(std::pair{Handle{fds.unwrap().first, {}}, Handle{fds.unwrap().second, {}}});
}

Result<Handle<UnixListener>> Handle<UnixListener>::bind(const std::string& path, int backlog) {
    Result<int> fd = bound_socket(SOCK_STREAM, path);
    if (fd.is_err()) return Err(std::move(fd).unwrap_err());
    Handle listener{fd.unwrap(), path};
    if (::listen(listener.fd(), backlog) != 0) return Err(error_on(-errno, "listen", path));
    return Ok(std::move(listener));
}

Result<std::pair<Handle<UnixStream>, SocketAddr>> Handle<UnixListener>::accept(Timeout timeout) {
    SocketAddr peer;
    Result<int> fd = accept_descriptor(peer, timeout);
    if (fd.is_err()) return Err(std::move(fd).unwrap_err());
    return Ok(std::pair{Handle<UnixStream>{fd.unwrap(), path_}, peer});
}

Result<Handle<UnixDatagram>> Handle<UnixDatagram>::bind(const std::string& path) {
    Result<int> fd = bound_socket(SOCK_DGRAM, path);
    if (fd.is_err()) return Err(std::move(fd).unwrap_err());
    return Ok(Handle{fd.unwrap(), path});
}

Result<Handle<UnixDatagram>> Handle<UnixDatagram>::unbound() {
    Result<int> fd = bound_socket(SOCK_DGRAM, {});
    if (fd.is_err()) return Err(std::move(fd).unwrap_err());
    return Ok(Handle{fd.unwrap(), {}});
}

Result<std::pair<Handle<UnixDatagram>, Handle<UnixDatagram>>> Handle<UnixDatagram>::pair() {
    Result<std::pair<int, int>> fds = socket_pair(SOCK_DGRAM);
    if (fds.is_err()) return Err(std::move(fds).unwrap_err());
    return Ok(std::pair{Handle{fds.unwrap().first, {}}, Handle{fds.unwrap().second, {}}});
}

}  // namespace bastion::io
