#pragma once
/// \file
/// Dispatchers: named sets of actors that `BastionContext::broadcast_message` reaches, each with a handler that picks
/// which members get a message. Rust: `bastion::dispatcher::{Dispatcher, DispatcherType, DispatcherHandler,
/// NotificationType, DefaultDispatcherHandler}`.

#include <bastion/child_ref.hpp>
#include <bastion/detail/send.hpp>
#include <bastion/ref_addr.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bastion {

/// Which dispatcher: the anonymous one, or one with a name. A string converts into it, `"__Anonymous__"` to
/// `Anonymous()`. Rust: `DispatcherType`.
class DispatcherType {
public:
    /// Rust: `DispatcherType::Anonymous` (the default).
    static DispatcherType Anonymous() { return DispatcherType{}; }
    /// Rust: `DispatcherType::Named(name)`.
    static DispatcherType Named(std::string name) { return DispatcherType{std::move(name)}; }

    /// The anonymous dispatcher, as `Anonymous()`.
    DispatcherType() : name_{anonymous_name} {}
    /// Rust: `impl From<String> for DispatcherType`.
    DispatcherType(std::string name) : name_{std::move(name)} {}  // NOLINT(google-explicit-constructor): as Rust's From
    /// As from a `std::string`, so that a literal converts too.
    DispatcherType(const char* name) : name_{name} {}             // NOLINT(google-explicit-constructor)

    /// Whether this is the anonymous dispatcher (named `"__Anonymous__"`).
    bool is_anonymous() const noexcept { return name_ == anonymous_name; }
    /// The name (`"__Anonymous__"` for the anonymous one). Rust: `impl Into<String>`.
    const std::string& name() const noexcept { return name_; }

    /// Same name. Rust: `PartialEq`.
    friend bool operator==(const DispatcherType&, const DispatcherType&) = default;

private:
    static constexpr const char* anonymous_name = "__Anonymous__";
    std::string name_;
};

/// Whether an actor joined or left a dispatcher. Rust: `NotificationType`.
enum class NotificationType { Register, Remove };

/// The members of one dispatcher, in the order they joined. Rust: `DispatcherMap` (a table of `ChildRef`s).
using DispatcherMap = std::vector<ChildRef>;

/// A message on its way through a dispatcher. The handler delivers it to as many members as it likes, each
/// receiving its own copy of the envelope around the one shared payload.
///
/// What a member receives (as upstream, so its receive code ports line for line): a *tell* of
/// `std::shared_ptr<SignedMessage>`; inside it, a *broadcast* of the payload signed by the sender. Unwrap it with
/// `MSG(std::move(*raw_message), BROADCAST(const T& data) { ... }, OTHERWISE(_) {})` (Rust: `Arc::try_unwrap`, then
/// `msg!` with a `ref` arm).
class DispatchedMessage {
public:
    /// `payload` signed by `sign`, as `BastionContext::broadcast_message` hands it to each dispatcher's handler.
    DispatchedMessage(RefAddr sign, detail::SharedPayload payload) noexcept
        : sign_{std::move(sign)}, payload_{std::move(payload)} {}
    DispatchedMessage(const DispatchedMessage&) = delete;
    DispatchedMessage& operator=(const DispatchedMessage&) = delete;

    /// Delivers the message to `member`. False if it could not take it (it has stopped for good meanwhile): try
    /// another. Any thread; never waits.
    bool deliver_to(const ChildRef& member) const;

    /// Who sent it. Rust: `SignedMessage::signature`.
    const RefAddr& signature() const noexcept { return sign_; }
    /// The payload's type.
    const std::type_info& type() const noexcept { return *payload_.type; }

    /// The one payload that every member's envelope shares. For the runtime.
    const detail::SharedPayload& payload() const noexcept { return payload_; }

private:
    RefAddr sign_;
    detail::SharedPayload payload_;
};

/// Decides who receives what a dispatcher is given. Implement it to route differently; the runtime calls it from
/// whichever thread or lightproc is sending or joining, possibly from several at once, so it must be thread-safe, and
/// it must not wait. Rust: `DispatcherHandler`.
class DispatcherHandler {
public:
    virtual ~DispatcherHandler() = default;
    /// `from` has just joined (`Register`) or left (`Remove`) the dispatcher; `entries` are its members now. Called
    /// on the lightproc of the actor that joined or left (or of whoever called `notify` or stopped it), with the
    /// dispatcher's membership serialised, so calls come in the order of the changes: it must not make an actor join
    /// or leave a dispatcher itself.
    virtual void notify(const ChildRef& from, const DispatcherMap& entries, NotificationType type) = 0;
    /// Delivers `message` to members of `entries` (`message.deliver_to(member)`), and returns how many took it. Zero
    /// hands the message back to its sender (SendError::EmptyRecipient): never drop it silently. (Rust's returns
    /// nothing: a message to a dispatcher with no live member was lost there.)
    virtual std::size_t broadcast_message(const DispatcherMap& entries, const DispatchedMessage& message) = 0;
};

/// The default handler: each message goes to *one* member, in turn (round robin), skipping members that have just
/// stopped. The name "broadcast" notwithstanding, this is what upstream's default does. Rust:
/// `DefaultDispatcherHandler` (`RoundRobinHandler`).
class RoundRobinHandler final : public DispatcherHandler {
public:
    void notify(const ChildRef& from, const DispatcherMap& entries, NotificationType type) override;
    std::size_t broadcast_message(const DispatcherMap& entries, const DispatchedMessage& message) override;

private:
    std::atomic<std::size_t> next_{0};
};
/// Rust: `DefaultDispatcherHandler`.
using DefaultDispatcherHandler = RoundRobinHandler;

/// A true broadcast: each message goes to every member (each receives the same envelope shape as with round robin).
/// Not in upstream, which has only round robin.
class BroadcastAllHandler final : public DispatcherHandler {
public:
    void notify(const ChildRef& from, const DispatcherMap& entries, NotificationType type) override;
    std::size_t broadcast_message(const DispatcherMap& entries, const DispatchedMessage& message) override;
};

/// Declares that a children group's actors belong to a dispatcher: give it to `Children::with_dispatcher`. Each
/// actor joins when it starts, leaves when it stops, fails or panics, and joins again when restarted. Groups that
/// name the same dispatcher share it (its members are all of theirs); the first group to declare it sets its
/// handler, as upstream. Rust: `Dispatcher`.
class Dispatcher {
public:
    /// An anonymous dispatcher with the round robin handler. Rust: `Dispatcher::default`.
    Dispatcher() : handler_{std::make_shared<DefaultDispatcherHandler>()} {}
    /// Rust: `Dispatcher::with_type`.
    static Dispatcher with_type(DispatcherType type) { return Dispatcher{}.with_dispatcher_type(std::move(type)); }

    /// Rust: `with_dispatcher_type`.
    Dispatcher with_dispatcher_type(DispatcherType type) const {
        Dispatcher copy = *this;
        copy.type_ = std::move(type);
        return copy;
    }
    /// Replaces the round robin handler. Rust: `with_handler(Box<dyn DispatcherHandler>)`.
    Dispatcher with_handler(std::shared_ptr<DispatcherHandler> handler) const {
        Dispatcher copy = *this;
        copy.handler_ = std::move(handler);
        return copy;
    }

    /// Rust: `dispatcher_type`.
    const DispatcherType& dispatcher_type() const noexcept { return type_; }
    /// Rust: `handler`.
    const std::shared_ptr<DispatcherHandler>& handler() const noexcept { return handler_; }

private:
    DispatcherType type_;
    std::shared_ptr<DispatcherHandler> handler_;
};

}  // namespace bastion
