#pragma once
// What every Handle is built on: an owned descriptor, its epoll registration, and the whole-buffer operations
// (write_all, read_exact, read_to_end) each kind gets from its own read and write.

#include <bastion/io/buffer.hpp>
#include <bastion/io/error.hpp>
#include <bastion/io/timeout.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bastion::io::detail {

class Readiness;

class Descriptor {
public:
    Descriptor() noexcept = default;
    Descriptor(Descriptor&& other) noexcept;
    Descriptor& operator=(Descriptor&& other) noexcept;
    ~Descriptor();

    /// The descriptor, or -1 once closed. Still owned by the handle.
    int fd() const noexcept { return fd_; }
    bool is_open() const noexcept { return fd_ >= 0; }
    /// Closes now and says whether close(2) reported an error (the destructor closes too, silently).
    Result<void> close();

    /// "<what> <where>" for error messages: "file /tmp/x", "tcp 127.0.0.1:40312 -> 127.0.0.1:8080".
    std::string describe() const;

protected:
    Descriptor(int fd, std::string path) noexcept;
    /// An error of `operation` on this descriptor from a negative backend result.
    Error error(long result, std::string_view operation) const;
    /// Ok(result) or the error it encodes.
    Result<std::size_t> outcome(long result, std::string_view operation) const;

    int fd_ = -1;
    Readiness* readiness_ = nullptr;  // epoll only, made on the first wait
    std::string path_;                // a file's or Unix socket's path, for messages
};

/// What a deadline leaves of a timeout: the whole-buffer operations pass each step what is left of theirs.
class Deadline {
public:
    explicit Deadline(Timeout timeout) noexcept
        : at_{timeout == no_timeout ? std::chrono::steady_clock::time_point::max()
                                    : std::chrono::steady_clock::now() + timeout} {}
    Timeout left() const noexcept {
        if (at_ == std::chrono::steady_clock::time_point::max()) return no_timeout;
        return std::max(Timeout::zero(), std::chrono::duration_cast<Timeout>(at_ - std::chrono::steady_clock::now()));
    }

private:
    std::chrono::steady_clock::time_point at_;
};

/// write_all, read_exact, read_to_end and read_to_string for a kind with `read` and `write`. Rust: the
/// `AsyncReadExt`/`AsyncWriteExt` helpers nuclei's handles get.
template <class Self>
class WholeBuffers {
public:
    /// Writes all of `buffer`, in as many writes as it takes. Rust: `write_all`.
    Result<void> write_all(ConstBuffer buffer, Timeout timeout = no_timeout) {
        const Deadline deadline{timeout};
        while (buffer.size() != 0) {
            Result<std::size_t> written = self().write(buffer, deadline.left());
            if (written.is_err()) return Err(std::move(written).unwrap_err());
            buffer = buffer.advanced(written.unwrap());
        }
        return Ok();
    }

    /// Fills all of `buffer`; the end of the stream first is an error (`std::errc::no_message_available`).
    /// Rust: `read_exact`.
    Result<void> read_exact(MutableBuffer buffer, Timeout timeout = no_timeout) {
        const Deadline deadline{timeout};
        while (buffer.size() != 0) {
            Result<std::size_t> got = self().read(buffer, deadline.left());
            if (got.is_err()) return Err(std::move(got).unwrap_err());
            if (got.unwrap() == 0) {
                return Err(Error{std::make_error_code(std::errc::no_message_available), "read_exact",
                                 self().describe()});
            }
            buffer = buffer.advanced(got.unwrap());
        }
        return Ok();
    }

    /// Appends everything up to the end of the stream to `out`; returns how many bytes. Rust: `read_to_end`.
    template <class Bytes>
    Result<std::size_t> read_to_end(Bytes& out, Timeout timeout = no_timeout) {
        static_assert(sizeof(typename Bytes::value_type) == 1, "read_to_end appends to a container of bytes");
        constexpr std::size_t chunk = 64 * 1024;
        const Deadline deadline{timeout};
        const std::size_t start = out.size();
        for (;;) {
            const std::size_t used = out.size();
            out.resize(used + chunk);
            Result<std::size_t> got = self().read(MutableBuffer{out.data() + used, chunk}, deadline.left());
            out.resize(used + (got.is_ok() ? got.unwrap() : 0));
            if (got.is_err()) return Err(std::move(got).unwrap_err());
            if (got.unwrap() == 0) return Ok(out.size() - start);
        }
    }

    /// `read_to_end` into a string. Rust: `read_to_string`.
    Result<std::size_t> read_to_string(std::string& out, Timeout timeout = no_timeout) {
        return read_to_end(out, timeout);
    }

private:
    Self& self() { return static_cast<Self&>(*this); }
};

}  // namespace bastion::io::detail
