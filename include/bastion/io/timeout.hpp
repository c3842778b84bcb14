#pragma once
/// \file
/// Timeout: how long one IO operation may take.

#include <chrono>

namespace bastion::io {

/// How long one IO operation may wait before it fails with `std::errc::timed_out`; every operation takes one as its
/// last parameter. Any `std::chrono` duration converts (`recv(buffer, 500ms)`).
using Timeout = std::chrono::nanoseconds;

/// No time limit: the operation waits until it completes, fails, or its lightproc is cancelled.
inline constexpr Timeout no_timeout = Timeout::max();

}  // namespace bastion::io
