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

/// Every send funnels into these two; the flavours below differ only in how a refused letter comes back.
template <class M>
LetterPtr post_tell(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    return deliver(to, make_letter(MessageKind::Tell, std::move(sign), std::forward<M>(msg)));
}

struct PostedAsk {
    LetterPtr refused;  // the letter back if the receiver has stopped
    std::shared_ptr<AnswerState> answer;
};

template <class M>
PostedAsk post_ask(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    LetterPtr letter = make_letter(MessageKind::Ask, std::move(sign), std::forward<M>(msg));
    auto answer = std::make_shared<AnswerState>(RefAddr{to});
    letter->answer = answer;
    LetterPtr refused = deliver(to, std::move(letter));
    if (refused) refused->answer.reset();  // nobody waits on it yet: nothing to abandon
    return {std::move(refused), std::move(answer)};
}

/// Sends, and hands the payload itself back if refused (Rust's `Result<(), M>`).
template <class M>
Result<void, Payload<M>> tell(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    if (LetterPtr refused = post_tell(to, std::move(sign), std::forward<M>(msg))) {
        return Err(reclaim<Payload<M>>(std::move(refused)));
    }
    return Ok();
}

template <class M>
Result<Answer, Payload<M>> ask(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    PostedAsk posted = post_ask(to, std::move(sign), std::forward<M>(msg));
    if (posted.refused) return Err(reclaim<Payload<M>>(std::move(posted.refused)));
    return Ok(Answer{std::move(posted.answer)});
}

/// The `try_` flavours: the message comes back inside SendError::Disconnected.
template <class M>
Result<void, SendError> try_tell(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    if (LetterPtr refused = post_tell(to, std::move(sign), std::forward<M>(msg))) {
        return Err(SendError::Disconnected(Msg{std::move(refused)}));
    }
    return Ok();
}

template <class M>
Result<Answer, SendError> try_ask(const std::shared_ptr<ActorCell>& to, RefAddr sign, M&& msg) {
    PostedAsk posted = post_ask(to, std::move(sign), std::forward<M>(msg));
    if (posted.refused) return Err(SendError::Disconnected(Msg{std::move(posted.refused)}));
    return Ok(Answer{std::move(posted.answer)});
}

/// A broadcast payload, shared by every receiver's letter.
struct SharedPayload {
    std::shared_ptr<const void> value;
    const std::type_info* type;
};

template <class M>
SharedPayload share(M&& msg) {
    static_assert(is_payload<M>, "a message must be a movable value");
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

/// Broadcasts to everything `target` reaches (`broadcast_to(target, payload)`, found by argument-dependent lookup),
/// handing the payload back if it reached nobody.
template <class Target, class M>
Result<void, Payload<M>> broadcast(const Target& target, M&& msg) {
    SharedPayload payload = share(std::forward<M>(msg));
    if (broadcast_to(target, payload)) return Ok();
    return Err(unshare<Payload<M>>(std::move(payload)));
}

}  // namespace bastion::detail
