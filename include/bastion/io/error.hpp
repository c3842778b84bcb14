#pragma once
/// \file
/// Error and Result: what an IO operation fails with.

#include <bastion/executor/result.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <system_error>

namespace bastion::io {

/// Why an IO operation failed: the errno as a `std::error_code`, the operation ("recv") and what it was done on
/// ("tcp 127.0.0.1:40312 -> 127.0.0.1:8080", "file /tmp/data"). Printed: "recv on tcp ...: Connection reset by peer".
class Error {
public:
    /// `operation` must be a string literal (it is kept as a view); `target` may be empty.
    Error(std::error_code code, std::string_view operation, std::string target);

    /// The errno, as a `std::error_code`; compare it with `std::errc` values. Rust: `io::Error::raw_os_error`.
    const std::error_code& code() const noexcept { return code_; }
    /// What was attempted: "recv", "connect", "open", ...
    std::string_view operation() const noexcept { return operation_; }
    /// What it was attempted on: "file /tmp/data", "tcp ... -> ...", or empty.
    const std::string& target() const noexcept { return target_; }
    /// "<operation> on <target>: <what the code says>".
    std::string message() const;

    /// Compares the code: `error == std::errc::timed_out`.
    friend bool operator==(const Error& error, std::errc condition) noexcept { return error.code_ == condition; }
    /// Writes `message()`.
    friend std::ostream& operator<<(std::ostream& out, const Error& error);

private:
    std::error_code code_;
    std::string_view operation_;  // always a string literal
    std::string target_;
};

/// What every IO operation returns, like Rust's `io::Result<T>`: `.unwrap()`, `.expect("...")`, or test with
/// `is_ok()`; an `unwrap` of an error throws `Panic`, which fails the actor doing it.
template <class T>
using Result = bastion::Result<T, Error>;

}  // namespace bastion::io
