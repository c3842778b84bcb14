#include <bastion/answer.hpp>
#include <bastion/errors.hpp>

namespace bastion {

namespace detail {

Letter::~Letter() {
    if (answer) answer->abandon();
}

LetterPtr AnswerState::fulfil(LetterPtr reply) noexcept {
    if ((status_.load(std::memory_order_acquire) & forgotten) != 0) return reply;
    reply_ = std::move(reply);
    status_.fetch_or(replied, std::memory_order_seq_cst);  // seq_cst: pairs with WakeSlot::arm (see WakeSlot)
    waiter_.wake();
    return nullptr;
}

void AnswerState::abandon() noexcept {
    status_.fetch_or(abandoned, std::memory_order_seq_cst);
    waiter_.wake();
}

void AnswerState::forget() noexcept { status_.fetch_or(forgotten, std::memory_order_acq_rel); }

AnswerState::Outcome AnswerState::wait_until(std::chrono::steady_clock::time_point deadline) {
    unsigned status = 0;
    if (!waiter_.wait_until(deadline, [&] {
            status = status_.load(std::memory_order_acquire);
            return (status & (replied | abandoned)) != 0;
        })) {
        return Outcome::Pending;
    }
    return (status & replied) != 0 ? Outcome::Replied : Outcome::Abandoned;
}

}  // namespace detail

Result<SignedMessage, ReceiveError> Answer::wait_until(std::chrono::steady_clock::time_point deadline) {
    if (!state_) return Err(ReceiveError::Other());
    switch (state_->wait_until(deadline)) {
        case detail::AnswerState::Outcome::Replied: {
            auto state = std::move(state_);
            return Ok(SignedMessage{state->take_reply()});
        }
        case detail::AnswerState::Outcome::Abandoned: return Err(ReceiveError::Other());
        case detail::AnswerState::Outcome::Pending: break;
    }
    return Err(ReceiveError::Timeout({}));
}

std::ostream& operator<<(std::ostream& out, const ReceiveError& error) {
    if (error.is_timeout()) return out << "Timeout(" << error.waited().count() << "ns)";
    return out << "Other";
}

std::ostream& operator<<(std::ostream& out, const SendError& error) {
    switch (error.kind()) {
        case SendError::Kind::Disconnected: return out << "Disconnected (the receiver has stopped)";
        case SendError::Kind::Full: return out << "Full";
        case SendError::Kind::Other: return out << "Other(" << error.detail() << ")";
        case SendError::Kind::NoDistributor: return out << "NoDistributor(" << error.detail() << ")";
        case SendError::Kind::EmptyRecipient: return out << "EmptyRecipient";
    }
    return out;
}

}  // namespace bastion
