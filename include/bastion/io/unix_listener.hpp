#pragma once
/// \file
/// Handle<UnixListener>: a listening Unix socket. Rust: `nuclei::Handle<std::os::unix::net::UnixListener>`.

#include <bastion/io/detail/listener.hpp>
#include <bastion/io/handle.hpp>
#include <bastion/io/socket_addr.hpp>
#include <bastion/io/unix_stream.hpp>

#include <string>
#include <utility>

namespace bastion::io {

/// A listening Unix socket: `bind` to a path, then `accept` or `incoming`; several lightprocs may accept on it.
template <>
class Handle<UnixListener> : public detail::Listener {
public:
    /// Listens on a new socket file at `path` (it must not exist). Rust: `Handle::<UnixListener>::bind(path)`.
    static Result<Handle> bind(const std::string& path, int backlog = 1024);
    /// Waits for the next connection. Rust: `accept`.
    Result<std::pair<Handle<UnixStream>, SocketAddr>> accept(Timeout timeout = no_timeout);
    /// Every connection from now on, as an endless range of `Result<Handle<UnixStream>>`. Rust: `incoming`.
    detail::Incoming<Handle, Handle<UnixStream>> incoming() noexcept {
        return detail::Incoming<Handle, Handle<UnixStream>>{*this};
    }

private:
    Handle(int fd, std::string path) noexcept : Listener{fd, std::move(path)} {}
};

}  // namespace bastion::io
