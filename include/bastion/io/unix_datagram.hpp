#pragma once
/// \file
/// Handle<UnixDatagram>: a Unix datagram socket. Rust: `nuclei::Handle<std::os::unix::net::UnixDatagram>`.

#include <bastion/io/detail/datagram_socket.hpp>
#include <bastion/io/handle.hpp>

#include <string>
#include <utility>

namespace bastion::io {

/// The kind of a `Handle<UnixDatagram>`.
struct UnixDatagram;

/// A Unix datagram socket: `send_to`/`recv_from` with paths (`SocketAddr::unix_path`), or `send`/`recv` once
/// connected.
template <>
class Handle<UnixDatagram> : public detail::DatagramSocket {
public:
    /// Binds to a new socket file at `path`. Rust: `Handle::<UnixDatagram>::bind(path)`.
    static Result<Handle> bind(const std::string& path);
    /// A socket bound to no path (it can send, and receive once connected). Rust: `UnixDatagram::unbound`.
    static Result<Handle> unbound();
    /// Two sockets connected to each other. Rust: `Handle::<UnixDatagram>::pair()`.
    static Result<std::pair<Handle, Handle>> pair();

private:
    Handle(int fd, std::string path) noexcept : DatagramSocket{fd, std::move(path)} {}
};

}  // namespace bastion::io
