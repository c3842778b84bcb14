#pragma once
/// \file
/// Handle<TcpStream>: a TCP connection. Rust: `nuclei::Handle<std::net::TcpStream>`.

#include <bastion/io/detail/descriptor.hpp>
#include <bastion/io/detail/stream_socket.hpp>
#include <bastion/io/handle.hpp>
#include <bastion/io/socket_addr.hpp>

namespace bastion::io {

/// The kind of a `Handle<TcpStream>`.
struct TcpStream;
struct TcpListener;

/// A connected TCP stream: `read`/`recv`, `write`/`send`, `peek`, vectored IO, `write_all`, `read_exact`,
/// `read_to_end`, `shutdown`, addresses.
template <>
class Handle<TcpStream> : public detail::StreamSocket, public detail::WholeBuffers<Handle<TcpStream>> {
public:
    /// Connects to `address`; a refused connection is `std::errc::connection_refused`. Rust:
    /// `Handle::<TcpStream>::connect(addr)`.
    static Result<Handle> connect(const SocketAddr& address, Timeout timeout = no_timeout);
    /// Turns Nagle's algorithm off (true) or on. Rust: `set_nodelay`.
    Result<void> set_nodelay(bool nodelay);

    using StreamSocket::read;
    using StreamSocket::write;

private:
    friend class Handle<TcpListener>;
    explicit Handle(int fd) noexcept : StreamSocket{fd, {}} {}
};

}  // namespace bastion::io
