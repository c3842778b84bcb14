#include <bastion/io/file.hpp>

#include "io/request.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace bastion::io {

using detail::Interest;
using detail::perform;
using detail::syscall_result;

namespace {

int open_flags(const OpenOptions& options) {
    int flags = O_CLOEXEC;
    const bool writes = options.write || options.append;
    flags |= options.read && writes ? O_RDWR : writes ? O_WRONLY : O_RDONLY;
    if (options.append) flags |= O_APPEND;
    if (options.truncate) flags |= O_TRUNC;
    if (options.create_new) {
        flags |= O_CREAT | O_EXCL;
    } else if (options.create) {
        flags |= O_CREAT;
    }
    return flags;
}

constexpr std::uint64_t at_position = static_cast<std::uint64_t>(-1);  // io_uring: use and advance the file position

}  // namespace

Result<Handle<File>> Handle<File>::open_with(const std::string& path, const OpenOptions& options, Timeout timeout) {
    const int flags = open_flags(options);
    const char* name = path.c_str();
    const long fd = perform(
        -1, Interest::None, timeout, nullptr,
        [&](io_uring_sqe* sqe) { io_uring_prep_openat(sqe, AT_FDCWD, name, flags, options.mode); },
        [&] { return syscall_result(::open(name, flags, options.mode)); });
    if (fd < 0) return Err(detail::os_error(fd, "open", "file " + path));
    return Ok(Handle{static_cast<int>(fd), path});
}

Result<Handle<File>> Handle<File>::open(const std::string& path, Timeout timeout) {
    return open_with(path, OpenOptions{}, timeout);
}

Result<Handle<File>> Handle<File>::create(const std::string& path, Timeout timeout) {
    return open_with(path, OpenOptions{.read = false, .write = true, .truncate = true, .create = true}, timeout);
}

Result<std::size_t> Handle<File>::read(MutableBuffer buffer, Timeout timeout) {
    return read_at_position(buffer, at_position, "read", timeout);
}

Result<std::size_t> Handle<File>::read_at(MutableBuffer buffer, std::uint64_t offset, Timeout timeout) {
    return read_at_position(buffer, offset, "read_at", timeout);
}

Result<std::size_t> Handle<File>::read_at_position(MutableBuffer buffer, std::uint64_t offset,
                                                   std::string_view operation, Timeout timeout) {
    const long n = perform(
        fd_, Interest::None, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd_, buffer.data(), buffer.size(), offset); },
        [&] {
            return syscall_result(offset == at_position
                                      ? ::read(fd_, buffer.data(), buffer.size())
                                      : ::pread(fd_, buffer.data(), buffer.size(), static_cast<off_t>(offset)));
        });
    return outcome(n, operation);
}

Result<std::size_t> Handle<File>::write(ConstBuffer buffer, Timeout timeout) {
    return write_at_position(buffer, at_position, "write", timeout);
}

Result<std::size_t> Handle<File>::write_at(ConstBuffer buffer, std::uint64_t offset, Timeout timeout) {
    return write_at_position(buffer, offset, "write_at", timeout);
}

Result<std::size_t> Handle<File>::write_at_position(ConstBuffer buffer, std::uint64_t offset,
                                                    std::string_view operation, Timeout timeout) {
    const long n = perform(
        fd_, Interest::None, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_write(sqe, fd_, buffer.data(), buffer.size(), offset); },
        [&] {
            return syscall_result(offset == at_position
                                      ? ::write(fd_, buffer.data(), buffer.size())
                                      : ::pwrite(fd_, buffer.data(), buffer.size(), static_cast<off_t>(offset)));
        });
    return outcome(n, operation);
}

Result<std::size_t> Handle<File>::read_vectored(std::span<const MutableBuffer> buffers, Timeout timeout) {
    const auto* iov = reinterpret_cast<const iovec*>(buffers.data());
    const auto count = static_cast<unsigned>(buffers.size());
    const long n = perform(
        fd_, Interest::None, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_readv(sqe, fd_, iov, count, at_position); },
        [&] { return syscall_result(::readv(fd_, iov, static_cast<int>(count))); });
    return outcome(n, "read_vectored");
}

Result<std::size_t> Handle<File>::write_vectored(std::span<const ConstBuffer> buffers, Timeout timeout) {
    const auto* iov = reinterpret_cast<const iovec*>(buffers.data());
    const auto count = static_cast<unsigned>(buffers.size());
    const long n = perform(
        fd_, Interest::None, timeout, &readiness_,
        [&](io_uring_sqe* sqe) { io_uring_prep_writev(sqe, fd_, iov, count, at_position); },
        [&] { return syscall_result(::writev(fd_, iov, static_cast<int>(count))); });
    return outcome(n, "write_vectored");
}

Result<std::uint64_t> Handle<File>::seek(SeekFrom position) {
    const int whence = position.whence == SeekFrom::Whence::Start     ? SEEK_SET
                       : position.whence == SeekFrom::Whence::Current ? SEEK_CUR
                                                                      : SEEK_END;
    const off_t at = ::lseek(fd_, static_cast<off_t>(position.offset), whence);  // never blocks: no request
    if (at < 0) return Err(error(-errno, "seek"));
    return Ok(static_cast<std::uint64_t>(at));
}

Result<void> Handle<File>::sync(unsigned flags, std::string_view operation, Timeout timeout) {
    const long result = perform(
        fd_, Interest::None, timeout, &readiness_, [&](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd_, flags); },
        [&] { return syscall_result(flags != 0 ? ::fdatasync(fd_) : ::fsync(fd_)); });
    if (result < 0) return Err(error(result, operation));
    return Ok();
}

Result<void> Handle<File>::sync_all(Timeout timeout) { return sync(0, "sync_all", timeout); }

Result<void> Handle<File>::sync_data(Timeout timeout) { return sync(IORING_FSYNC_DATASYNC, "sync_data", timeout); }

Result<std::uint64_t> Handle<File>::size() const {
    struct stat status {};
    if (::fstat(fd_, &status) != 0) return Err(error(-errno, "size"));
    return Ok(static_cast<std::uint64_t>(status.st_size));
}

}  // namespace bastion::io
