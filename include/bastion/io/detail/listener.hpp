#pragma once
// What TcpListener and UnixListener share: accepting connections, one at a time or as an endless range.

#include <bastion/io/detail/descriptor.hpp>
#include <bastion/io/detail/socket.hpp>
#include <bastion/io/error.hpp>
#include <bastion/io/socket_addr.hpp>
#include <bastion/io/timeout.hpp>

#include <cstddef>
#include <iterator>
#include <optional>
#include <utility>

namespace bastion::io::detail {

class Listener : public Socket {
protected:
    using Socket::Socket;
    /// Waits for a connection; its descriptor, with `peer` filled in.
    Result<int> accept_descriptor(SocketAddr& peer, Timeout timeout);
};

/// An endless input range of accepted connections: each step accepts one, as `Result<Stream>`. Rust: `incoming()`.
template <class ListenerHandle, class Stream>
class Incoming {
public:
    explicit Incoming(ListenerHandle& listener) noexcept : listener_{&listener} {}

    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Result<Stream>;
        using difference_type = std::ptrdiff_t;

        iterator() noexcept = default;
        explicit iterator(ListenerHandle* listener) : listener_{listener} { ++*this; }
        /// Hands the connection over (once per step): `for (auto stream : listener.incoming())`.
        value_type operator*() { return std::move(*current_); }
        iterator& operator++() {
            auto accepted = listener_->accept();
            if (accepted.is_ok()) {
                current_.emplace(Ok(std::move(accepted.unwrap().first)));
            } else {
                current_.emplace(Err(std::move(accepted).unwrap_err()));
            }
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator&, std::default_sentinel_t) noexcept { return false; }

    private:
        ListenerHandle* listener_ = nullptr;
        std::optional<value_type> current_;
    };

    iterator begin() { return iterator{listener_}; }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    ListenerHandle* listener_;
};

}  // namespace bastion::io::detail
