#pragma once
// What UdpSocket and UnixDatagram share: a socket of whole messages.

#include <bastion/io/buffer.hpp>
#include <bastion/io/detail/descriptor.hpp>
#include <bastion/io/detail/socket.hpp>
#include <bastion/io/error.hpp>
#include <bastion/io/socket_addr.hpp>
#include <bastion/io/timeout.hpp>

#include <cstddef>
#include <string_view>
#include <utility>

namespace bastion::io::detail {

class DatagramSocket : public Socket {
public:
    /// Sends one message to `to`. Rust: `send_to`.
    Result<std::size_t> send_to(ConstBuffer message, const SocketAddr& to, Timeout timeout = no_timeout);
    /// Receives one message and who sent it; a message longer than `buffer` is cut. Rust: `recv_from`.
    Result<std::pair<std::size_t, SocketAddr>> recv_from(MutableBuffer buffer, Timeout timeout = no_timeout) {
        return receive_from(buffer, 0, "recv_from", timeout);
    }
    /// Like `recv_from`, but leaves the message queued. Rust: `peek_from`.
    Result<std::pair<std::size_t, SocketAddr>> peek_from(MutableBuffer buffer, Timeout timeout = no_timeout) {
        return receive_from(buffer, MSG_PEEK, "peek_from", timeout);
    }
    /// Sets the only peer `send` sends to and `recv` receives from. Rust: `connect`.
    Result<void> connect(const SocketAddr& peer, Timeout timeout = no_timeout);
    /// Sends one message to the connected peer. Rust: `send`.
    Result<std::size_t> send(ConstBuffer message, Timeout timeout = no_timeout) { return transmit(message, timeout); }
    /// Receives one message from the connected peer. Rust: `recv`.
    Result<std::size_t> recv(MutableBuffer buffer, Timeout timeout = no_timeout) {
        return receive(buffer, 0, "recv", timeout);
    }

protected:
    using Socket::Socket;

private:
    Result<std::pair<std::size_t, SocketAddr>> receive_from(MutableBuffer buffer, int flags,
                                                            std::string_view operation, Timeout timeout);
};

}  // namespace bastion::io::detail
