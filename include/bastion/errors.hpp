#pragma once
/// \file
/// Why a send or a receive failed. Rust: `bastion::errors::{SendError, ReceiveError}`.

#include <bastion/message.hpp>

#include <chrono>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

namespace bastion {

/// Why `try_recv_timeout` (or `Answer::get_for`) returned nothing. Rust: `ReceiveError`.
class ReceiveError {
public:
    enum class Kind { Timeout, Other };

    /// Nothing arrived within `waited`. Rust: `ReceiveError::Timeout(d)`.
    static ReceiveError Timeout(std::chrono::nanoseconds waited) noexcept { return {Kind::Timeout, waited}; }
    /// Nothing will arrive (the peer is gone). Rust: `ReceiveError::Other`.
    static ReceiveError Other() noexcept { return {Kind::Other, {}}; }

    Kind kind() const noexcept { return kind_; }
    bool is_timeout() const noexcept { return kind_ == Kind::Timeout; }
    std::chrono::nanoseconds waited() const noexcept { return waited_; }

    friend bool operator==(const ReceiveError&, const ReceiveError&) noexcept = default;
    friend std::ostream& operator<<(std::ostream& out, const ReceiveError& error);

private:
    ReceiveError(Kind kind, std::chrono::nanoseconds waited) noexcept : kind_{kind}, waited_{waited} {}
    Kind kind_;
    std::chrono::nanoseconds waited_;
};

/// Why a `try_` send failed. A message that could not be delivered comes back inside the error. Rust: `SendError`.
class SendError {
public:
    enum class Kind { Disconnected, Full, Other, NoDistributor, EmptyRecipient };

    /// The receiver has stopped; here is the message back.
    static SendError Disconnected(Msg msg) { return SendError{Kind::Disconnected, std::move(msg), {}}; }
    static SendError Other(std::string why) { return SendError{Kind::Other, {}, std::move(why)}; }
    static SendError NoDistributor(std::string name) { return SendError{Kind::NoDistributor, {}, std::move(name)}; }
    static SendError EmptyRecipient() { return SendError{Kind::EmptyRecipient, {}, {}}; }

    Kind kind() const noexcept { return kind_; }
    /// The undelivered message (Disconnected only; empty otherwise or once taken).
    Msg take_msg() noexcept { return std::move(msg_); }
    /// The reason (Other) or the distributor's name (NoDistributor).
    const std::string& detail() const noexcept { return detail_; }

    friend std::ostream& operator<<(std::ostream& out, const SendError& error);

private:
    SendError(Kind kind, Msg msg, std::string detail) : kind_{kind}, msg_{std::move(msg)}, detail_{std::move(detail)} {}
    Kind kind_;
    Msg msg_;
    std::string detail_;
};

}  // namespace bastion
