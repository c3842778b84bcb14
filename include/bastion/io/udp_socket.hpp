#pragma once
/// \file
/// Handle<UdpSocket>: a UDP socket. Rust: `nuclei::Handle<std::net::UdpSocket>`.

#include <bastion/io/detail/datagram_socket.hpp>
#include <bastion/io/handle.hpp>
#include <bastion/io/socket_addr.hpp>

namespace bastion::io {

/// The kind of a `Handle<UdpSocket>`.
struct UdpSocket;

/// A UDP socket: `send_to`, `recv_from`, `peek_from`, and once connected `send` and `recv`.
template <>
class Handle<UdpSocket> : public detail::DatagramSocket {
public:
    /// Binds to `address` (port 0: any free port). Rust: `Handle::<UdpSocket>::bind(addr)`.
    static Result<Handle> bind(const SocketAddr& address);

private:
    explicit Handle(int fd) noexcept : DatagramSocket{fd, {}} {}
};

}  // namespace bastion::io
