#pragma once
/// \file
/// Messages as actors receive them: Msg (the type-erased payload and its kind), SignedMessage (a Msg and who sent it)
/// and AnswerSender (the one-shot reply channel of an ask). Rust: `bastion::message::{Msg, SignedMessage,
/// AnswerSender}`.

#include <bastion/detail/letter.hpp>
#include <bastion/ref_addr.hpp>
#include <bastion/executor/detail/wake_slot.hpp>
#include <bastion/result.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace bastion {

class Answer;

namespace detail {
/// The reply slot of an ask: written once by the AnswerSender, read by the Answer. An ask from another node gets a
/// subclass that sends the reply back over the wire instead.
class AnswerState {
public:
    explicit AnswerState(RefAddr replier) noexcept : replier_{std::move(replier)} {}
    virtual ~AnswerState() = default;

    /// Stores the reply; hands it back if the asker no longer waits.
    virtual LetterPtr fulfil(LetterPtr reply) noexcept;
    /// No reply will come (the sender was dropped unanswered).
    virtual void abandon() noexcept;
    /// The asker stopped waiting.
    void forget() noexcept;

    enum class Outcome { Replied, Abandoned, Pending };
    /// Waits until the reply or the abandonment, or the deadline. From a cancelled lightproc, throws ProcCancelled.
    Outcome wait_until(std::chrono::steady_clock::time_point deadline);
    LetterPtr take_reply() noexcept { return std::move(reply_); }

    /// The replier's address, for the one reply to sign with: moved out, so the replier's core does not write its
    /// count (the asker copied it there, and releases the reply's copy).
    RefAddr take_replier() noexcept { return std::move(replier_); }

private:
    static constexpr unsigned replied = 1, abandoned = 2, forgotten = 4;
    std::atomic<unsigned> status_{0};
    executor::detail::WakeSlot waiter_;
    LetterPtr reply_;
    RefAddr replier_;
};
}  // namespace detail

/// The reply channel of one ask. Move-only; replying consumes it. Dropping it unanswered makes the asker's Answer
/// resolve to an error, so an ask never hangs on a receiver that ignores it. Rust: `AnswerSender`.
class AnswerSender {
public:
    /// Made by the runtime for each ask; user code takes it with `Msg::take_sender` or an `ASK` arm.
    explicit AnswerSender(std::shared_ptr<detail::AnswerState> state) noexcept : state_{std::move(state)} {}
    ///@{
    /// Takes over `other`'s reply channel; one this object still held is dropped, so its asker gets an error.
    AnswerSender(AnswerSender&&) noexcept = default;
    AnswerSender& operator=(AnswerSender&& other) noexcept {
        abandon();
        state_ = std::move(other.state_);
        return *this;
    }
    ///@}
    ~AnswerSender() { abandon(); }

    /// Sends the reply, as a tell signed by the replier. Hands it back if the asker is gone. Rust: `reply`.
    template <class M>
    Result<void, detail::Payload<M>> reply(M&& msg) && {
        auto state = std::move(state_);
        auto letter = detail::make_letter(detail::MessageKind::Tell, state->take_replier(), std::forward<M>(msg));
        if (auto back = state->fulfil(std::move(letter))) {
            return Err(detail::reclaim<detail::Payload<M>>(std::move(back)));
        }
        return Ok();
    }

private:
    void abandon() noexcept {
        if (state_) std::exchange(state_, nullptr)->abandon();
    }
    std::shared_ptr<detail::AnswerState> state_;
};

/// A received message: its kind (broadcast, tell or ask), its payload, and for an ask the reply channel. Move-only.
/// Matching is by exact type. Usually taken apart by `MSG` or `MessageHandler`. Rust: `Msg`.
class Msg {
public:
    /// An empty Msg (`has_value()` is false).
    Msg() noexcept = default;
    /// Wraps a received letter (the runtime's path).
    explicit Msg(detail::LetterPtr letter) noexcept : letter_{std::move(letter)} {}

    /// Sent to a whole group or supervisor with `broadcast`; its payload is shared, so taking it copies.
    bool is_broadcast() const noexcept { return kind() == detail::MessageKind::Broadcast; }
    /// Sent with `tell` (or a reply, which arrives as a tell).
    bool is_tell() const noexcept { return kind() == detail::MessageKind::Tell; }
    /// Sent with `ask`: it carries a reply channel (`take_sender`).
    bool is_ask() const noexcept { return kind() == detail::MessageKind::Ask; }
    /// False for a Msg that has been moved from (or default-constructed).
    bool has_value() const noexcept { return letter_ != nullptr; }

    /// True if the payload is exactly a `M`.
    template <class M>
    bool is() const noexcept {
        return letter_ != nullptr && *letter_->type == typeid(M);
    }
    /// The payload's type.
    const std::type_info& type() const noexcept { return letter_ ? *letter_->type : typeid(void); }

    /// The payload by reference, if it is exactly a `M` (any kind); null otherwise.
    template <class M>
    const M* downcast_ref() const noexcept {
        return is<M>() ? static_cast<const M*>(letter_->payload()) : nullptr;
    }

    /// Moves the payload out of a tell or an ask if it is exactly a `M`; otherwise hands this Msg back. A broadcast's
    /// payload is shared, so it is copied out (`M` must then be copyable). Rust: `downcast`.
    template <class M>
    Result<M, Msg> downcast() && {
        if (!is<M>()) return Err(std::move(*this));
        auto* payload = static_cast<M*>(letter_->payload());
        if (is_broadcast()) {
            if constexpr (std::is_copy_constructible_v<M>) {
                return Ok(M{*payload});
            } else {
                return Err(std::move(*this));
            }
        } else {
            M value = std::move(*payload);
            letter_.reset();
            return Ok(std::move(value));
        }
    }

    /// The payload for in-place use by the dispatch code (a `M*` where `is<M>()`).
    void* payload() noexcept { return letter_ ? letter_->payload() : nullptr; }

    /// Takes the reply channel of an ask (once). Rust: `take_sender`.
    std::optional<AnswerSender> take_sender() noexcept {
        if (!letter_ || !letter_->answer) return std::nullopt;
        return AnswerSender{std::move(letter_->answer)};
    }

    /// Broadcast, tell or ask (tell for an empty Msg).
    detail::MessageKind kind() const noexcept { return letter_ ? letter_->kind : detail::MessageKind::Tell; }

private:
    detail::LetterPtr letter_;
};

/// A message and the address of its sender. Rust: `SignedMessage`.
class SignedMessage {
public:
    /// An empty message with the dead-letters signature.
    SignedMessage() noexcept = default;
    /// Wraps a received letter (the runtime's path).
    explicit SignedMessage(detail::LetterPtr letter) noexcept
        : sign_{std::move(letter->sign)}, msg_{std::move(letter)} {}

    /// The sender's address (dead letters for an anonymous sender). Rust: `signature`.
    const RefAddr& signature() const noexcept { return sign_; }

    /// Splits into the message and the signature. Rust: `extract`.
    std::pair<Msg, RefAddr> extract() && { return {std::move(msg_), std::move(sign_)}; }

    ///@{
    /// The message, without its signature. Rust: `SignedMessage::msg`.
    Msg& msg() noexcept { return msg_; }
    const Msg& msg() const noexcept { return msg_; }
    ///@}

private:
    RefAddr sign_;
    Msg msg_;
};

}  // namespace bastion
