#pragma once
/// \file
/// Handle<File>: a file read and written through the proactor. Rust: `nuclei::Handle<std::fs::File>`.

#include <bastion/io/buffer.hpp>
#include <bastion/io/detail/descriptor.hpp>
#include <bastion/io/error.hpp>
#include <bastion/io/handle.hpp>
#include <bastion/io/timeout.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace bastion::io {

/// The kind of a `Handle<File>`.
struct File;

/// How to open a file: Rust's `OpenOptions` as a plain struct (`{.write = true, .create = true}`).
struct OpenOptions {
    /// Open for reading. Rust: `OpenOptions::read`.
    bool read = true;
    /// Open for writing. Rust: `OpenOptions::write`.
    bool write = false;
    /// Every write goes to the end (implies writing). Rust: `OpenOptions::append`.
    bool append = false;
    /// Empty the file on open. Rust: `OpenOptions::truncate`.
    bool truncate = false;
    /// Create the file if it does not exist. Rust: `OpenOptions::create`.
    bool create = false;
    bool create_new = false;  ///< fail if it exists
    mode_t mode = 0644;       ///< permissions of a created file, before the umask
};

/// Where `seek` counts from. Rust: `SeekFrom`.
struct SeekFrom {
    /// The origin of `offset`.
    enum class Whence { Start, Current, End };
    /// Where the offset counts from.
    Whence whence;
    /// Bytes from `whence`; negative goes back.
    std::int64_t offset;
    /// `offset` bytes from the start. Rust: `SeekFrom::Start`.
    static SeekFrom start(std::uint64_t offset) noexcept { return {Whence::Start, static_cast<std::int64_t>(offset)}; }
    /// `offset` bytes from the file position. Rust: `SeekFrom::Current`.
    static SeekFrom current(std::int64_t offset) noexcept { return {Whence::Current, offset}; }
    /// `offset` bytes from the end. Rust: `SeekFrom::End`.
    static SeekFrom end(std::int64_t offset) noexcept { return {Whence::End, offset}; }
};

/// An open file, read and written through the proactor: each operation suspends only the calling lightproc. Closed
/// by its destructor. Reads and writes at the file position, or at an offset (`read_at`, `write_at`), vectored IO,
/// `write_all`, `read_exact`, `read_to_end`, `seek`, `sync_all`.
template <>
class Handle<File> : public detail::Descriptor, public detail::WholeBuffers<Handle<File>> {
public:
    /// Opens `path` for reading. Rust: `Handle::<File>::open(path)`.
    static Result<Handle> open(const std::string& path, Timeout timeout = no_timeout);
    /// Creates `path` (truncating it if it exists) for writing. Rust: `Handle::<File>::create(path)`.
    static Result<Handle> create(const std::string& path, Timeout timeout = no_timeout);
    /// Opens `path` as `options` say. Rust: `OpenOptions::open` then `Handle::new`.
    static Result<Handle> open_with(const std::string& path, const OpenOptions& options, Timeout timeout = no_timeout);

    /// Reads at the file position, advancing it; 0 at the end of the file. Rust: `read`.
    Result<std::size_t> read(MutableBuffer buffer, Timeout timeout = no_timeout);
    /// Writes at the file position (the end, if opened to append), advancing it; may write less than asked.
    /// Rust: `write`.
    Result<std::size_t> write(ConstBuffer buffer, Timeout timeout = no_timeout);
    /// Reads at `offset`, leaving the file position alone. Rust: `FileExt::read_at`.
    Result<std::size_t> read_at(MutableBuffer buffer, std::uint64_t offset, Timeout timeout = no_timeout);
    /// Writes at `offset`, leaving the file position alone. Rust: `FileExt::write_at`.
    Result<std::size_t> write_at(ConstBuffer buffer, std::uint64_t offset, Timeout timeout = no_timeout);
    /// Scatter: fills `buffers` in order from the file position. Rust: `read_vectored`.
    Result<std::size_t> read_vectored(std::span<const MutableBuffer> buffers, Timeout timeout = no_timeout);
    /// Gather: writes `buffers` in order at the file position. Rust: `write_vectored`.
    Result<std::size_t> write_vectored(std::span<const ConstBuffer> buffers, Timeout timeout = no_timeout);
    /// Moves the file position; returns the new one. Rust: `seek`.
    Result<std::uint64_t> seek(SeekFrom position);
    /// Flushes data and metadata to the device. Rust: `sync_all`.
    Result<void> sync_all(Timeout timeout = no_timeout);
    /// Flushes data (and the metadata needed to read it back). Rust: `sync_data`.
    Result<void> sync_data(Timeout timeout = no_timeout);
    /// The file's size in bytes. Rust: `metadata().len()`.
    Result<std::uint64_t> size() const;

private:
    Handle(int fd, std::string path) noexcept : Descriptor{fd, std::move(path)} {}
    Result<std::size_t> read_at_position(MutableBuffer buffer, std::uint64_t offset, std::string_view operation,
                                         Timeout timeout);
    Result<std::size_t> write_at_position(ConstBuffer buffer, std::uint64_t offset, std::string_view operation,
                                          Timeout timeout);
    Result<void> sync(unsigned flags, std::string_view operation, Timeout timeout);
};

}  // namespace bastion::io
