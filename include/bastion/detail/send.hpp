#pragma once
// The send path shared by ChildRef, BastionContext and the rest: build the one letter, hand it to the mailbox, and
// give the payload back if nobody can receive it.

#include <bastion/answer.hpp>
#include <bastion/errors.hpp>
#include <bastion/message.hpp>

#include <memory>
#include <typeinfo>
#include <utility>

namespace bastion::detail {

class ActorCell;

/// Pushes `letter` into the actor's mailbox. Empty on success; the letter back if the actor has stopped for good
/// (or `to` is null: dead letters).
LetterPtr deliver(const std::shared_ptr<ActorCell>& to, LetterPtr letter) noexcept;

template <class M>
void check_payload() {
    static_assert(is_payload<M>, "a message must be a movable value");
}

template <class M>
Result<void, Payload<M>> tell(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    check_payload<M>();
    using T = Payload<M>;
    auto back = deliver(to, std::make_unique<OwnedLetter<T>>(MessageKind::Tell, std::move(sign), std::forward<M>(msg)));
    if (back) return Err(reclaim<T>(std::move(back)));
    return Ok();
}

template <class M>
Result<Answer, Payload<M>> ask(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    check_payload<M>();
    using T = Payload<M>;
    auto letter = std::make_unique<OwnedLetter<T>>(MessageKind::Ask, std::move(sign), std::forward<M>(msg));
    auto state = std::make_shared<AnswerState>(RefAddr{to});
    letter->answer = state;
    if (auto back = deliver(to, std::move(letter))) {
        back->answer.reset();
        return Err(reclaim<T>(std::move(back)));
    }
    return Ok(Answer{std::move(state)});
}

/// The `try_` flavours: the payload comes back inside SendError::Disconnected.
template <class M>
Result<void, SendError> try_tell(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    check_payload<M>();
    using T = Payload<M>;
    auto back = deliver(to, std::make_unique<OwnedLetter<T>>(MessageKind::Tell, std::move(sign), std::forward<M>(msg)));
    if (back) return Err(SendError::Disconnected(Msg{std::move(back)}));
    return Ok();
}

template <class M>
Result<Answer, SendError> try_ask(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    check_payload<M>();
    using T = Payload<M>;
    auto letter = std::make_unique<OwnedLetter<T>>(MessageKind::Ask, std::move(sign), std::forward<M>(msg));
    auto state = std::make_shared<AnswerState>(RefAddr{to});
    letter->answer = state;
    if (auto back = deliver(to, std::move(letter))) {
        back->answer.reset();
        return Err(SendError::Disconnected(Msg{std::move(back)}));
    }
    return Ok(Answer{std::move(state)});
}

/// A broadcast payload, shared by every receiver's letter.
struct SharedPayload {
    std::shared_ptr<const void> value;
    const std::type_info* type;
};

template <class M>
SharedPayload share(M&& msg) {
    check_payload<M>();
    using T = Payload<M>;
    return {std::make_shared<const T>(std::forward<M>(msg)), &typeid(T)};
}

/// Gives the payload back to a broadcaster whose broadcast reached nobody.
template <class T>
T unshare(SharedPayload&& payload) {
    auto owned = std::const_pointer_cast<void>(std::move(payload.value));
    return std::move(*static_cast<T*>(owned.get()));
}

/// One letter per receiver, all pointing at the same payload.
class BroadcastLetter final : public Letter {
public:
    BroadcastLetter(RefAddr sign, const SharedPayload& payload) noexcept
        : Letter{MessageKind::Broadcast, *payload.type, std::move(sign)}, value_{payload.value} {}
    void* payload() noexcept override { return const_cast<void*>(value_.get()); }

private:
    std::shared_ptr<const void> value_;
};

}  // namespace bastion::detail
