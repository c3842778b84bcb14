#pragma once
/// \file
/// ChildRef: a reference to one actor of a children group. Rust: `bastion::child_ref::ChildRef`.

#include <bastion/bastion_id.hpp>
#include <bastion/detail/send.hpp>
#include <bastion/path.hpp>
#include <bastion/ref_addr.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace bastion {

/// Names one actor (an element of a children group). Cheap to copy; valid across the actor's restarts (unlike
/// upstream, #287): sends reach whichever run of the actor is current, and are handed back once it has stopped for
/// good. Equality and hashing use the id. Rust: `ChildRef`.
class ChildRef {
public:
    /// A reference to an actor the runtime made; user code gets ChildRefs from `ChildrenRef::elems` or `ctx.current()`.
    explicit ChildRef(std::shared_ptr<detail::ActorCell> cell) noexcept : addr_{std::move(cell)} {}

    /// The actor's id, kept across restarts. Rust: `ChildRef::id`.
    const BastionId& id() const noexcept;
    /// False for runtime helpers, which never receive routed messages. Every actor you create is public.
    bool is_public() const noexcept;
    /// The name of its children group (`"__Anonymous__"` unless set with `Children::with_name`).
    const std::string& name() const noexcept;
    /// Where the actor sits in the supervision tree. Rust: `ChildRef::path`.
    const BastionPath& path() const noexcept;
    /// The address to `ctx.tell` or `ctx.ask` it at.
    const RefAddr& addr() const noexcept { return addr_; }

    /// Sends `msg` unsigned (signed as dead letters). The message comes back if the actor has stopped.
    /// Rust: `tell_anonymously`.
    template <class M>
    Result<void, detail::Payload<M>> tell_anonymously(M&& msg) const {
        return detail::tell(cell(), RefAddr{}, std::forward<M>(msg));
    }
    /// As `tell_anonymously`, with the message inside SendError::Disconnected. Rust: `try_tell_anonymously`.
    template <class M>
    Result<void, SendError> try_tell_anonymously(M&& msg) const {
        return detail::try_tell(cell(), RefAddr{}, std::forward<M>(msg));
    }
    /// Asks `msg` unsigned; the Answer resolves to the reply, or to an error if the actor drops the question.
    /// Rust: `ask_anonymously`.
    template <class M>
    Result<Answer, detail::Payload<M>> ask_anonymously(M&& msg) const {
        return detail::ask(cell(), RefAddr{}, std::forward<M>(msg));
    }
    /// Rust: `try_ask_anonymously`.
    template <class M>
    Result<Answer, SendError> try_ask_anonymously(M&& msg) const {
        return detail::try_ask(cell(), RefAddr{}, std::forward<M>(msg));
    }

    /// Stops the actor for good: its current wait throws ProcCancelled, `after_stop` runs, it is not restarted, and
    /// later sends come back. Returns at once. Err if it had already stopped. Rust: `stop`.
    Result<void, void> stop() const;
    /// As `stop`, without running callbacks. Rust: `kill`.
    Result<void, void> kill() const;

    /// Same actor (same id).
    friend bool operator==(const ChildRef& a, const ChildRef& b) noexcept { return a.id() == b.id(); }

    /// The runtime's record of the actor. For the runtime.
    const std::shared_ptr<detail::ActorCell>& cell() const noexcept { return addr_.cell(); }

private:
    RefAddr addr_;  // held whole, so addr() and a context's signature() copy nothing
};

}  // namespace bastion

template <>
/// Hashes a ChildRef by its id, so it can key `std::unordered_map`.
struct std::hash<bastion::ChildRef> {
    /// The hash of the actor's id.
    std::size_t operator()(const bastion::ChildRef& ref) const noexcept { return std::hash<bastion::BastionId>{}(ref.id()); }
};
