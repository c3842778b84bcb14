#pragma once
/// \file
/// DeadLetters: the process-wide trace of letters no actor will read (Akka's `deadLetters`). Upstream bastion has
/// none: a refused send only comes back to its sender, and letters left in a stopped actor's mailbox vanish.

#include <bastion/path.hpp>
#include <bastion/ref_addr.hpp>

#include <cstdint>
#include <functional>
#include <typeinfo>

namespace bastion {

namespace detail {
class Letter;
}

/// Why a letter is a dead letter.
enum class DeadLetterReason : std::uint8_t {
    Returned,  ///< refused at send time: its receiver had stopped for good, or it was sent to dead letters (a tell
               ///< or ask comes back to its sender; a broadcast's payload does if no receiver took it)
    Dropped,   ///< dropped unread: it was in a mailbox (or on its way to one) when its actor stopped for good; an
               ///< ask among them resolves to an error
};

/// One letter that could not be delivered, as the dead-letter hook sees it. Valid for the hook's call only.
class DeadLetter {
public:
    /// Made by the runtime for the hook (`recipient` null: sent to no actor).
    DeadLetter(const detail::Letter& letter, const BastionPath* recipient, DeadLetterReason reason) noexcept
        : letter_{&letter}, recipient_{recipient}, reason_{reason} {}

    /// Refused at send time, or dropped unread.
    DeadLetterReason reason() const noexcept { return reason_; }
    /// The path of the actor it was for; the dead-letters path if it was sent to no actor.
    const BastionPath& recipient() const noexcept;
    /// Its signature: the sender's address (dead letters for an anonymous send).
    const RefAddr& sender() const noexcept;
    /// The payload's exact type.
    const std::type_info& type() const noexcept;
    /// Whether it was an ask (its asker is told no answer will come).
    bool is_ask() const noexcept;
    /// Whether it was a broadcast (its payload is shared by every receiver).
    bool is_broadcast() const noexcept;
    /// The payload if it is a `T`, else null. Rust-like: `downcast_ref::<T>()`.
    template <class T>
    const T* downcast_ref() const noexcept {
        return type() == typeid(T) ? static_cast<const T*>(payload()) : nullptr;
    }

private:
    const void* payload() const noexcept;

    const detail::Letter* letter_;
    const BastionPath* recipient_;
    DeadLetterReason reason_;
};

/// The process-wide count of dead letters, and an optional hook that sees each one. Any thread may call these.
class DeadLetters {
public:
    /// Letters that could not be delivered since the process started, of every system it ran.
    static std::uint64_t count() noexcept;
    /// Calls `hook` for every dead letter from now on, on the thread that found it (a sender, a supervisor, a timer),
    /// before the letter is handed back or dropped; replaces the hook set before; an empty function removes it. The
    /// hook must be quick and must not block: it runs inside sends and supervisors. A throw from it is swallowed.
    static void set_hook(std::function<void(const DeadLetter&)> hook);
};

}  // namespace bastion
