#pragma once
/// \file
/// Handle<TcpListener>: a listening TCP socket. Rust: `nuclei::Handle<std::net::TcpListener>`.

#include <bastion/io/detail/listener.hpp>
#include <bastion/io/handle.hpp>
#include <bastion/io/socket_addr.hpp>
#include <bastion/io/tcp_stream.hpp>

#include <utility>

namespace bastion::io {

/// A listening TCP socket: `bind`, then `accept` or `incoming`; several lightprocs may accept on it at once.
template <>
class Handle<TcpListener> : public detail::Listener {
public:
    /// Listens on `address` (port 0: any free port; `local_addr()` tells which), with SO_REUSEADDR. Rust:
    /// `Handle::<TcpListener>::bind(addr)`.
    static Result<Handle> bind(const SocketAddr& address, int backlog = 1024);
    /// Waits for the next connection. Rust: `accept`.
    Result<std::pair<Handle<TcpStream>, SocketAddr>> accept(Timeout timeout = no_timeout);
    /// Every connection from now on, as an endless range of `Result<Handle<TcpStream>>`. Rust: `incoming`.
    detail::Incoming<Handle, Handle<TcpStream>> incoming() noexcept { return detail::Incoming<Handle, Handle<TcpStream>>{*this}; }

private:
    explicit Handle(int fd) noexcept : Listener{fd, {}} {}
};

}  // namespace bastion::io
