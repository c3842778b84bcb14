#pragma once
// What every socket kind shares: its addresses.

#include <bastion/io/detail/descriptor.hpp>
#include <bastion/io/error.hpp>
#include <bastion/io/socket_addr.hpp>
#include <bastion/io/timeout.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace bastion::io::detail {

class Socket : public Descriptor {
public:
    /// The address this socket is bound to. Rust: `local_addr`.
    Result<SocketAddr> local_addr() const;
    /// The address of the connected peer (`std::errc::not_connected` if there is none). Rust: `peer_addr`.
    Result<SocketAddr> peer_addr() const;

protected:
    /// Takes `fd` over; under epoll, registers it at once, so a reader and a writer never race to.
    Socket(int fd, std::string path) noexcept;
    /// recv(2) with `flags`, reported as `operation`.
    Result<std::size_t> receive(MutableBuffer buffer, int flags, std::string_view operation, Timeout timeout);
    /// send(2), never raising SIGPIPE.
    Result<std::size_t> transmit(ConstBuffer buffer, Timeout timeout);
};

}  // namespace bastion::io::detail
