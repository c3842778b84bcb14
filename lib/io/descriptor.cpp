#include <bastion/io/detail/descriptor.hpp>
#include <bastion/io/socket_addr.hpp>

#include "io/epoll_backend.hpp"
#include "io/request.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace bastion::io::detail {

Descriptor::Descriptor(int fd, std::string path) noexcept : fd_{fd}, path_{std::move(path)} {}

Descriptor::Descriptor(Descriptor&& other) noexcept
    : fd_{std::exchange(other.fd_, -1)},
      readiness_{std::exchange(other.readiness_, nullptr)},
      path_{std::move(other.path_)} {}

Descriptor& Descriptor::operator=(Descriptor&& other) noexcept {
    if (this != &other) {
        (void)close();
        fd_ = std::exchange(other.fd_, -1);
        readiness_ = std::exchange(other.readiness_, nullptr);
        path_ = std::move(other.path_);
    }
    return *this;
}

Descriptor::~Descriptor() { (void)close(); }

Result<void> Descriptor::close() {
    if (fd_ < 0) return Ok();
    if (readiness_ != nullptr) Readiness::release(std::exchange(readiness_, nullptr), fd_);
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) return Err(os_error(-errno, "close", path_));
    return Ok();
}

std::string Descriptor::describe() const {
    int type = 0;
    socklen_t size = sizeof type;
    if (fd_ < 0 || getsockopt(fd_, SOL_SOCKET, SO_TYPE, &type, &size) != 0) {
        return (path_.empty() ? "descriptor " + std::to_string(fd_) : "file " + path_);
    }
    SocketAddr local, peer;
    getsockname(fd_, local.data(), local.size_slot());
    const bool connected = getpeername(fd_, peer.data(), peer.size_slot()) == 0;
    std::string text = local.family() == AF_UNIX ? "unix" : type == SOCK_DGRAM ? "udp" : "tcp";
    text += ' ' + (local.family() == AF_UNIX && !path_.empty() ? path_ : local.to_string());
    if (connected) text += " -> " + peer.to_string();
    return text;
}

Error Descriptor::error(long result, std::string_view operation) const {
    return os_error(result, operation, describe());
}

Result<std::size_t> Descriptor::outcome(long result, std::string_view operation) const {
    if (result < 0) return Err(error(result, operation));
    return Ok(static_cast<std::size_t>(result));
}

}  // namespace bastion::io::detail
