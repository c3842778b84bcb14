#pragma once
// What TcpStream and UnixStream share: a connected byte stream.

#include <bastion/io/buffer.hpp>
#include <bastion/io/detail/descriptor.hpp>
#include <bastion/io/detail/socket.hpp>
#include <bastion/io/error.hpp>
#include <bastion/io/socket_addr.hpp>
#include <bastion/io/timeout.hpp>

#include <sys/socket.h>

#include <cstddef>
#include <span>
#include <string_view>

namespace bastion::io {

/// Which halves `shutdown` closes. Rust: `std::net::Shutdown`.
enum class Shutdown { Read, Write, Both };

namespace detail {

class StreamSocket : public Socket {
public:
    /// Receives what has arrived, at most `buffer.size()` bytes, waiting for at least one; 0 once the peer has shut
    /// down its side. Rust: `read`.
    Result<std::size_t> read(MutableBuffer buffer, Timeout timeout = no_timeout) { return recv(buffer, timeout); }
    /// Sends what fits in the socket buffer now, at least one byte. A peer gone is an error (no SIGPIPE).
    /// Rust: `write`.
    Result<std::size_t> write(ConstBuffer buffer, Timeout timeout = no_timeout) { return send(buffer, timeout); }
    /// Rust: `TcpStream::recv` (as `read`).
    Result<std::size_t> recv(MutableBuffer buffer, Timeout timeout = no_timeout) {
        return receive(buffer, 0, "recv", timeout);
    }
    /// Rust: `TcpStream::send` (as `write`).
    Result<std::size_t> send(ConstBuffer buffer, Timeout timeout = no_timeout) { return transmit(buffer, timeout); }
    /// Like `recv`, but leaves what it returns in the socket. Rust: `peek`.
    Result<std::size_t> peek(MutableBuffer buffer, Timeout timeout = no_timeout) {
        return receive(buffer, MSG_PEEK, "peek", timeout);
    }
    /// Scatter: fills `buffers` in order. Rust: `read_vectored`.
    Result<std::size_t> read_vectored(std::span<const MutableBuffer> buffers, Timeout timeout = no_timeout);
    /// Gather: sends `buffers` in order. Rust: `write_vectored`.
    Result<std::size_t> write_vectored(std::span<const ConstBuffer> buffers, Timeout timeout = no_timeout);
    /// Closes one or both directions; the peer reads 0 once its read side is shut. Rust: `shutdown`.
    Result<void> shutdown(Shutdown how);

protected:
    using Socket::Socket;
    /// Connects this (new) socket to `address`.
    Result<void> connect_to(const SocketAddr& address, Timeout timeout);
};

}  // namespace detail
}  // namespace bastion::io
