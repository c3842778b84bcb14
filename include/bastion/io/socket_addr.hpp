#pragma once
/// \file
/// SocketAddr: an IPv4, IPv6 or Unix socket address.

#include <sys/socket.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace bastion::io {

/// An address to bind, connect or send to: `"127.0.0.1:8080"`, `"[::1]:8080"`, `"localhost:8080"` (the loopback
/// address; no other name is resolved), or a Unix socket path made with `SocketAddr::unix_path`. Converts from a
/// string like Rust's `ToSocketAddrs`; text that is no address makes an invalid one (`family() == AF_UNSPEC`), and
/// the operation given it fails with `std::errc::invalid_argument`.
class SocketAddr {
public:
    /// An invalid address (`AF_UNSPEC`).
    SocketAddr() noexcept = default;
    ///@{
    /// Parses "ip:port", "[ipv6]:port" or "localhost:port"; anything else makes an invalid address. Implicit.
    SocketAddr(std::string_view text);  // NOLINT: converts like Rust's ToSocketAddrs
    SocketAddr(const char* text) : SocketAddr{std::string_view{text}} {}  // NOLINT
    SocketAddr(const std::string& text) : SocketAddr{std::string_view{text}} {}  // NOLINT
    ///@}
    /// A copy of the `size` bytes of a kernel address (cut to `sockaddr_storage`).
    SocketAddr(const sockaddr* address, socklen_t size) noexcept;

    /// The address of the Unix socket at `path`.
    static SocketAddr unix_path(std::string_view path);

    /// AF_INET, AF_INET6, AF_UNIX, or AF_UNSPEC for an invalid address.
    int family() const noexcept { return storage_.ss_family; }
    /// False for an invalid address (text that was no address, or a Unix path too long).
    bool is_valid() const noexcept { return family() != AF_UNSPEC; }
    /// The port (0 for a Unix address).
    std::uint16_t port() const noexcept;
    /// "127.0.0.1:8080", "[::1]:8080", or the Unix path ("(unnamed)" for an unbound Unix socket).
    std::string to_string() const;

    ///@{
    /// The address as the kernel takes it, for `bind`, `connect`, `sendto`.
    const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    ///@}
    /// The number of meaningful bytes at `data()`.
    socklen_t size() const noexcept { return size_; }
    /// For calls that fill the address in (accept, recvfrom): the room, then the size they wrote.
    socklen_t* size_slot() noexcept {
        size_ = sizeof storage_;
        return &size_;
    }

    /// The same bytes: same family, address and port (or path).
    friend bool operator==(const SocketAddr& a, const SocketAddr& b) noexcept;
    /// Writes `to_string()`.
    friend std::ostream& operator<<(std::ostream& out, const SocketAddr& address);

private:
    sockaddr_storage storage_{};
    socklen_t size_ = 0;
};

}  // namespace bastion::io
