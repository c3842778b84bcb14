#pragma once
/// \file
/// Handle<UnixStream>: a connected Unix stream socket. Rust: `nuclei::Handle<std::os::unix::net::UnixStream>`.

#include <bastion/io/detail/descriptor.hpp>
#include <bastion/io/detail/stream_socket.hpp>
#include <bastion/io/handle.hpp>

#include <string>
#include <utility>

namespace bastion::io {

/// The kind of a `Handle<UnixStream>`.
struct UnixStream;
struct UnixListener;

/// A connected Unix stream socket, with the same operations as a TCP stream.
template <>
class Handle<UnixStream> : public detail::StreamSocket, public detail::WholeBuffers<Handle<UnixStream>> {
public:
    /// Connects to the socket at `path`. Rust: `Handle::<UnixStream>::connect(path)`.
    static Result<Handle> connect(const std::string& path, Timeout timeout = no_timeout);
    /// Two streams connected to each other. Rust: `Handle::<UnixStream>::pair()`.
    static Result<std::pair<Handle, Handle>> pair();

    using StreamSocket::read;
    using StreamSocket::write;

private:
    friend class Handle<UnixListener>;
    Handle(int fd, std::string path) noexcept : StreamSocket{fd, std::move(path)} {}
};

}  // namespace bastion::io
