#include <bastion/io/socket_addr.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstring>
#include <ostream>

namespace bastion::io {

namespace {

bool parse_port(std::string_view text, std::uint16_t& port) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

SocketAddr::SocketAddr(std::string_view text) {
    std::string host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {  // [v6]:port
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return;
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return;
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    std::uint16_t port = 0;
    if (!parse_port(port_text, port)) return;
    if (host == "localhost") host = "127.0.0.1";
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage_);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        size_ = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        size_ = sizeof(sockaddr_in6);
    } else {
        storage_ = {};
    }
}

SocketAddr::SocketAddr(const sockaddr* address, socklen_t size) noexcept {
    size_ = std::min<socklen_t>(size, sizeof storage_);
    std::memcpy(&storage_, address, size_);
}

SocketAddr SocketAddr::unix_path(std::string_view path) {
    SocketAddr address;
    auto* un = reinterpret_cast<sockaddr_un*>(&address.storage_);
    if (path.size() >= sizeof un->sun_path) return address;  // too long: invalid
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    address.size_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return address;
}

std::uint16_t SocketAddr::port() const noexcept {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

std::string SocketAddr::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    switch (family()) {
    case AF_INET:
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
        return std::string{text} + ':' + std::to_string(port());
    case AF_INET6:
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
        return '[' + std::string{text} + "]:" + std::to_string(port());
    case AF_UNIX: {
        const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
        const std::size_t length = size_ > offsetof(sockaddr_un, sun_path) ? size_ - offsetof(sockaddr_un, sun_path) : 0;
        const std::string path{un->sun_path, strnlen(un->sun_path, length)};
        return path.empty() ? "(unnamed)" : path;
    }
    default:
        return "(invalid address)";
    }
}

bool operator==(const SocketAddr& a, const SocketAddr& b) noexcept {
    return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
}

std::ostream& operator<<(std::ostream& out, const SocketAddr& address) { return out << address.to_string(); }

}  // namespace bastion::io
