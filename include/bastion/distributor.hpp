#pragma once
/// \file
/// Distributor: a named set of actors to tell or ask one at a time or all at once. Rust:
/// `bastion::distributor::Distributor`.

#include <bastion/answer.hpp>
#include <bastion/child_ref.hpp>
#include <bastion/detail/send.hpp>
#include <bastion/errors.hpp>
#include <bastion/message.hpp>
#include <bastion/result.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace bastion {

namespace detail {
class Route;
/// The members of `route` now (null if no group declared it and nobody subscribed to it).
std::shared_ptr<const std::vector<ChildRef>> route_members(const Route& route) noexcept;
/// Why `letter` could not be routed through `route`: NoDistributor or EmptyRecipient, carrying it.
SendError route_error(const Route& route, LetterPtr letter);
/// Delivers `letter` to one member, round robin, trying the next while members refuse it.
Result<void, SendError> route_tell(Route& route, LetterPtr letter);
/// Asks one member, round robin, as `route_tell`.
Result<Answer, SendError> route_ask(Route& route, LetterPtr letter);
/// Delivers a routed letter to `to` (counted in its backlog). The letter back if `to` has stopped.
LetterPtr deliver_routed(const std::shared_ptr<ActorCell>& to, LetterPtr letter) noexcept;
/// Asks `to` with a routed letter. Empty (and `letter` given back) if `to` has stopped.
std::optional<Answer> ask_routed(const std::shared_ptr<ActorCell>& to, LetterPtr& letter);

template <class M>
inline constexpr bool everyone_misuse = false;
}  // namespace detail

class Distributor;

/// The reply of `Distributor::request`, on its way: `get()` waits for it (a lightproc suspends, a thread blocks).
/// Move-only. Rust: the `oneshot::Receiver<Result<R, SendError>>` that `request` returns.
template <class R>
class Request {
public:
    /// Waits for the reply: the reply if it is a tell of exactly `R`, otherwise SendError::Other (the message back
    /// if it had another type), or the SendError that kept the question from being sent. Once only, on an rvalue:
    /// `d.request<R>(q).get()`, or `std::move(request).get()` for one kept in a variable. Rust:
    /// `request(..).await` (whose outer `Err(Canceled)` cannot happen here: nothing cancels a request).
    Result<R, SendError> get() && {
        if (answer_.is_err()) return Err(std::move(answer_).unwrap_err());
        auto reply = std::move(answer_).unwrap().try_get();
        if (reply.is_err()) return Err(SendError::Other("couldn't receive reply: the recipient did not answer"));
        SignedMessage message = std::move(reply).unwrap();
        Msg& msg = message.msg();
        if (!msg.is_tell() || !msg.is<R>()) {
            return Err(SendError::Other("received a message with the wrong type", std::move(msg)));
        }
        return Ok(std::move(msg).downcast<R>().unwrap());
    }

private:
    friend class Distributor;
    explicit Request(Result<Answer, SendError> answer) noexcept : answer_{std::move(answer)} {}
    Result<Answer, SendError> answer_;
};

/// Names a set of actors: the actors of every group built `with_distributor(Distributor::named(name))`, plus those
/// subscribed to it. Members join when they start, leave when they stop, fail or panic, and join again when
/// restarted, so a message is only ever given to a live member, or comes back inside the SendError. Cheap to copy;
/// belongs to the system current when it was named. Any thread or lightproc may use it; sends never wait. Equality
/// compares names. Rust: `Distributor`.
class Distributor {
public:
    /// The distributor called `name` (the same one every time the name is given). Rust: `Distributor::named`.
    static Distributor named(std::string_view name);

    /// The name it was given to `named`.
    const std::string& name() const noexcept;

    /// Tells one member, in turn (round robin). Errors: NoDistributor (no group declared the name and nobody
    /// subscribed to it), EmptyRecipient (no live member); both carry the message back. Rust: `tell_one`.
    template <class M>
    Result<void, SendError> tell_one(M&& message) const {
        return detail::route_tell(*route_, detail::make_letter(detail::MessageKind::Tell, RefAddr{},
                                                               std::forward<M>(message)));
    }

    /// Tells every member a copy; the number of members reached (Rust's `Vec<()>`, whose length was the only
    /// information in it). Errors as `tell_one`. Rust: `tell_everyone`.
    template <class M>
    Result<std::size_t, SendError> tell_everyone(M&& message) const {
        using T = detail::Payload<M>;
        if constexpr (!std::is_copy_constructible_v<T>) {
            static_assert(detail::everyone_misuse<M>, "tell_everyone copies the message to every member: it must be "
                                                      "copyable (tell_one takes move-only messages)");
            return Err(SendError::EmptyRecipient());
        } else {
            T value(std::forward<M>(message));
            std::size_t sent = 0;
            if (auto members = detail::route_members(*route_)) {
                for (const ChildRef& member : *members) {
                    sent += detail::deliver_routed(
                                member.cell(), detail::make_letter(detail::MessageKind::Tell, RefAddr{}, value)) == nullptr;
                }
            }
            if (sent == 0) {
                return Err(detail::route_error(
                    *route_, detail::make_letter(detail::MessageKind::Tell, RefAddr{}, std::move(value))));
            }
            return Ok(sent);
        }
    }

    /// Asks one member, in turn (round robin). Errors as `tell_one`. Rust: `ask_one`.
    template <class M>
    Result<Answer, SendError> ask_one(M&& question) const {
        return detail::route_ask(*route_, detail::make_letter(detail::MessageKind::Ask, RefAddr{},
                                                              std::forward<M>(question)));
    }

    /// Asks every member a copy: one Answer per member reached, in membership order. Errors as `tell_one`. Rust:
    /// `ask_everyone`.
    template <class M>
    Result<std::vector<Answer>, SendError> ask_everyone(M&& question) const {
        using T = detail::Payload<M>;
        if constexpr (!std::is_copy_constructible_v<T>) {
            static_assert(detail::everyone_misuse<M>, "ask_everyone copies the question to every member: it must be "
                                                      "copyable (ask_one takes move-only messages)");
            return Err(SendError::EmptyRecipient());
        } else {
            T value(std::forward<M>(question));
            std::vector<Answer> answers;
            if (auto members = detail::route_members(*route_)) {
                answers.reserve(members->size());
                for (const ChildRef& member : *members) {
                    detail::LetterPtr letter = detail::make_letter(detail::MessageKind::Ask, RefAddr{}, value);
                    if (auto answer = detail::ask_routed(member.cell(), letter)) answers.push_back(std::move(*answer));
                }
            }
            if (answers.empty()) {
                return Err(detail::route_error(
                    *route_, detail::make_letter(detail::MessageKind::Ask, RefAddr{}, std::move(value))));
            }
            return Ok(std::move(answers));
        }
    }

    /// Asks one member and returns at once; the Request's `get()` gives the reply as an `R` (a reply of another
    /// type is SendError::Other). Rust: `request::<R>`.
    template <class R, class M>
    Request<R> request(M&& question) const {
        return Request<R>{ask_one(std::forward<M>(question))};
    }

    /// As `request`, waiting here for the reply (a lightproc suspends, a thread blocks). Rust: `request_sync::<R>`
    /// followed by `.recv()`.
    template <class R, class M>
    Result<R, SendError> request_sync(M&& question) const {
        return request<R>(std::forward<M>(question)).get();
    }

    /// Adds `member` to the distributor (creating it if no group declared it). The actor stays a member across its
    /// restarts and leaves for good when it stops for good. Rust: `subscribe`.
    Result<void, SendError> subscribe(const ChildRef& member) const;
    /// Removes `member` (Ok if it was not one). Rust: `unsubscribe`.
    Result<void, SendError> unsubscribe(const ChildRef& member) const;

    /// Same name, hence the same distributor. Rust: `PartialEq`.
    friend bool operator==(const Distributor& a, const Distributor& b) noexcept { return a.name() == b.name(); }

    /// The runtime's record of the distributor. For the runtime.
    const std::shared_ptr<detail::Route>& route() const noexcept { return route_; }

private:
    explicit Distributor(std::shared_ptr<detail::Route> route) noexcept : route_{std::move(route)} {}
    std::shared_ptr<detail::Route> route_;
};

}  // namespace bastion
