#pragma once
/// \file
/// Answer: the reply to an ask, awaited from a lightproc or a plain thread. Rust: `bastion::message::Answer`.

#include <bastion/errors.hpp>
#include <bastion/message.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <utility>

namespace bastion {

/// Thrown by `Answer::get` when no reply will come: the receiver stopped, failed, or matched the ask in an arm that
/// does not answer. Inside an actor, letting it escape faults the actor, as Rust's `answer.await?` does.
class AnswerError : public std::runtime_error {
public:
    AnswerError() : std::runtime_error{"bastion: the ask was not answered (the receiver dropped its AnswerSender)"} {}
};

/// The pending reply of an ask. Move-only. Waiting suspends only the calling lightproc (or blocks a plain thread),
/// and resolves to an error instead of hanging when the receiver drops the ask. Rust: `Answer` (a future).
class Answer {
public:
    /// Made by `ask` (the runtime's path); user code receives Answers, it does not build them.
    explicit Answer(std::shared_ptr<detail::AnswerState> state) noexcept : state_{std::move(state)} {}
    ///@{
    /// Takes over `other`'s pending reply; `other` is left empty and its `get` fails as if unanswered.
    Answer(Answer&&) noexcept = default;
    Answer& operator=(Answer&& other) noexcept {
        forget();
        state_ = std::move(other.state_);
        return *this;
    }
    ///@}
    ~Answer() { forget(); }

    /// Waits for the reply. Throws AnswerError if none will come (Rust: `answer.await?`), ProcCancelled if the
    /// waiting lightproc is stopped.
    SignedMessage get() {
        auto reply = wait_until(std::chrono::steady_clock::time_point::max());
        if (reply.is_err()) throw AnswerError{};
        return std::move(reply).unwrap();
    }

    /// Waits for the reply: Other if none will come. Rust: `answer.await`.
    Result<SignedMessage, ReceiveError> try_get() { return wait_until(std::chrono::steady_clock::time_point::max()); }

    /// Waits at most `timeout`: Timeout if it passes first, Other if no reply will come.
    template <class Rep, class Period>
    Result<SignedMessage, ReceiveError> get_for(std::chrono::duration<Rep, Period> timeout) {
        const auto waited = std::chrono::ceil<std::chrono::nanoseconds>(timeout);
        auto reply = wait_until(std::chrono::steady_clock::now() + waited);
        if (reply.is_err() && reply.unwrap_err().is_timeout()) return Err(ReceiveError::Timeout(waited));
        return reply;
    }

    /// Waits until `deadline`: Timeout (with no duration) if it passes first, Other if no reply will come.
    Result<SignedMessage, ReceiveError> wait_until(std::chrono::steady_clock::time_point deadline);

private:
    void forget() noexcept {
        if (state_) std::exchange(state_, nullptr)->forget();
    }
    std::shared_ptr<detail::AnswerState> state_;
};

}  // namespace bastion
