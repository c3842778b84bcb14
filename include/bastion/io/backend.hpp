#pragma once
/// \file
/// Backend: which kernel interface runs the IO of this process.

#include <string_view>

namespace bastion::io {

/// The kernel interface behind every `Handle`: a proactor on io_uring (one ring per worker, completions reaped between
/// lightprocs), or a reactor on epoll where io_uring cannot be used.
enum class Backend { IoUring, Epoll };

/// The backend of this process, chosen on first use and then fixed: `BASTION_IO=uring|epoll|auto` (default auto:
/// io_uring if a ring can be created, which catches `kernel.io_uring_disabled`, seccomp filters and old kernels).
/// The choice, and why, is reported once on stderr. Asking for uring where it cannot work falls back to epoll and
/// says so.
Backend backend();

/// "io_uring" or "epoll".
std::string_view to_string(Backend backend) noexcept;

}  // namespace bastion::io
