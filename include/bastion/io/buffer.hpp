#pragma once
/// \file
/// MutableBuffer and ConstBuffer: byte ranges handed to the kernel.

#include <sys/uio.h>

#include <concepts>
#include <cstddef>
#include <ranges>
#include <type_traits>

namespace bastion::io {

namespace detail {
template <class R>
concept ByteRange = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                    sizeof(std::ranges::range_value_t<R>) == 1 &&
                    std::is_trivially_copyable_v<std::ranges::range_value_t<R>>;
template <class R>
concept MutableByteRange =
    ByteRange<R> && !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<R>>>;
}  // namespace detail

/// Bytes the kernel may write into: a pointer and a size, laid out as an `iovec`, so a span of them is a scatter
/// list. Made from any contiguous range of bytes (`std::string`, `std::vector<char>`, `std::array<std::byte, N>`,
/// a span), which must outlive the operation. Rust: `&mut [u8]`.
class MutableBuffer {
public:
    /// The `size` bytes at `data`.
    MutableBuffer(void* data, std::size_t size) noexcept : iov_{data, size} {}
    /// The bytes of a writable contiguous range; implicit, like a Rust slice.
    template <detail::MutableByteRange R>
    MutableBuffer(R&& range) noexcept  // NOLINT: converts like a Rust slice
        : iov_{std::ranges::data(range), std::ranges::size(range)} {}

    /// The first byte.
    void* data() const noexcept { return iov_.iov_base; }
    /// The number of bytes.
    std::size_t size() const noexcept { return iov_.iov_len; }
    /// The bytes after the first `n`.
    MutableBuffer advanced(std::size_t n) const noexcept { return {static_cast<std::byte*>(data()) + n, size() - n}; }

private:
    iovec iov_;
};

/// Bytes the kernel reads from, laid out as an `iovec` (a span of them is a gather list). Made from any contiguous
/// range of bytes (`std::string_view`, a string literal's view, `std::vector<std::byte>`). Rust: `&[u8]`.
class ConstBuffer {
public:
    /// The `size` bytes at `data`.
    ConstBuffer(const void* data, std::size_t size) noexcept : iov_{const_cast<void*>(data), size} {}
    /// The bytes of a contiguous range; implicit, like a Rust slice.
    template <detail::ByteRange R>
    ConstBuffer(const R& range) noexcept  // NOLINT: converts like a Rust slice
        : iov_{const_cast<void*>(static_cast<const void*>(std::ranges::data(range))), std::ranges::size(range)} {}
    /// The same bytes, read-only; implicit, as `&mut [u8]` coerces to `&[u8]`.
    ConstBuffer(MutableBuffer buffer) noexcept : iov_{buffer.data(), buffer.size()} {}  // NOLINT

    /// The first byte.
    const void* data() const noexcept { return iov_.iov_base; }
    /// The number of bytes.
    std::size_t size() const noexcept { return iov_.iov_len; }
    /// The bytes after the first `n`.
    ConstBuffer advanced(std::size_t n) const noexcept {
        return {static_cast<const std::byte*>(data()) + n, size() - n};
    }

private:
    iovec iov_;  // the kernel reads through a non-const iov_base; nothing here writes through it
};

static_assert(sizeof(MutableBuffer) == sizeof(iovec) && sizeof(ConstBuffer) == sizeof(iovec));

}  // namespace bastion::io
