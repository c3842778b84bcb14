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
    /// Which failure it is. Rust: the variants of `ReceiveError`.
    enum class Kind { Timeout, Other };

    /// Nothing arrived within `waited`. Rust: `ReceiveError::Timeout(d)`.
    static ReceiveError Timeout(std::chrono::nanoseconds waited) noexcept { return {Kind::Timeout, waited}; }
    /// Nothing will arrive (the peer is gone). Rust: `ReceiveError::Other`.
    static ReceiveError Other() noexcept { return {Kind::Other, {}}; }

    /// Which failure it is.
    Kind kind() const noexcept { return kind_; }
    /// Whether it is a Timeout.
    bool is_timeout() const noexcept { return kind_ == Kind::Timeout; }
    /// How long a Timeout waited (zero for Other). Rust: the `d` of `ReceiveError::Timeout(d)`.
    std::chrono::nanoseconds waited() const noexcept { return waited_; }

    /// Same kind and same wait.
    friend bool operator==(const ReceiveError&, const ReceiveError&) noexcept = default;
    /// Prints `Timeout(<n>ns)` or `Other`. Rust: `Debug`.
    friend std::ostream& operator<<(std::ostream& out, const ReceiveError& error);

private:
    ReceiveError(Kind kind, std::chrono::nanoseconds waited) noexcept : kind_{kind}, waited_{waited} {}
    Kind kind_;
    std::chrono::nanoseconds waited_;
};

/// Why a `try_` send failed. A message that could not be delivered comes back inside the error. Rust: `SendError`.
class SendError {
public:
    /// Which failure it is. `Full` is upstream's; nothing here produces it. Rust: the variants of `SendError`.
    enum class Kind { Disconnected, Full, Other, NoDistributor, EmptyRecipient };

    /// The receiver has stopped; here is the message back.
    static SendError Disconnected(Msg msg) { return SendError{Kind::Disconnected, std::move(msg), {}}; }
    /// Anything else (`why` says what), with the message back if it was not delivered.
    static SendError Other(std::string why, Msg msg = {}) { return SendError{Kind::Other, std::move(msg), std::move(why)}; }
    /// No distributor or dispatcher of that name exists (no group declared it, nobody subscribed to it); here is the
    /// message back.
    static SendError NoDistributor(std::string name, Msg msg = {}) {
        return SendError{Kind::NoDistributor, std::move(msg), std::move(name)};
    }
    /// The distributor or dispatcher exists but no live member could take the message; here it is back.
    static SendError EmptyRecipient(Msg msg = {}) { return SendError{Kind::EmptyRecipient, std::move(msg), {}}; }

    /// Which failure it is.
    Kind kind() const noexcept { return kind_; }
    /// The undelivered message (empty if there was none, or once taken). Every routing error carries it (upstream's
    /// NoDistributor and EmptyRecipient dropped it).
    Msg take_msg() noexcept { return std::move(msg_); }
    /// Whether an undelivered message is inside.
    bool has_msg() const noexcept { return msg_.has_value(); }
    /// The reason (Other) or the distributor's name (NoDistributor).
    const std::string& detail() const noexcept { return detail_; }

    /// Prints the kind, with the reason (Other) or the name (NoDistributor). Rust: `Display`.
    friend std::ostream& operator<<(std::ostream& out, const SendError& error);

private:
    SendError(Kind kind, Msg msg, std::string detail) : kind_{kind}, msg_{std::move(msg)}, detail_{std::move(detail)} {}
    Kind kind_;
    Msg msg_;
    std::string detail_;
};

}  // namespace bastion
