#include <bastion/io/udp_socket.hpp>

#include "io/request.hpp"
#include "io/socket.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace bastion::io {

Result<Handle<UdpSocket>> Handle<UdpSocket>::bind(const SocketAddr& address) {
    auto failed = [&](long result, std::string_view operation) {
        return detail::os_error(result, operation, "udp " + address.to_string());
    };
    if (!address.is_valid()) return Err(failed(-EINVAL, "bind"));
    const int fd = detail::open_socket(address.family(), SOCK_DGRAM);
    if (fd < 0) return Err(failed(fd, "socket"));
    Handle socket{fd};
    if (::bind(fd, address.data(), address.size()) != 0) return Err(failed(-errno, "bind"));
    return Ok(std::move(socket));
}

}  // namespace bastion::io
