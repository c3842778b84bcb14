#pragma once
// Copies of an actor's own address, made a batch at a time, for signing its messages.

#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/ref_addr.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <utility>

namespace bastion::detail {

/// Each letter holds its sender's address, so a copy made per send would write the address's shared count on the
/// sender's core and its release on the receiver's core, pulling that line across on every message (a third of a
/// tell's round trip across workers here). The stash copies the address a batch at a time instead: the receivers'
/// releases then find the line where they left it, and the sender writes it once a batch.
///
/// Only the lightproc that made the stash draws on it: a context's methods are const, and another thread may hold a
/// reference to the context. The check is whether the caller runs on that lightproc's stack, which costs no atomic and
/// no thread-local; anyone else, or any caller when it was made on a plain thread, gets a plain copy. A copied stash
/// starts empty, owned by the lightproc that copied it. The copies live on the heap, made at the first send: a context
/// is passed by value a few times on the way to the exec, and an actor that never sends pays only for the pointers.
class SignatureStash {
public:
    SignatureStash() noexcept;
    SignatureStash(const SignatureStash&) noexcept : SignatureStash{} {}
    /// Empties the stash (the context it belongs to now names another actor) and gives it to the calling lightproc.
    SignatureStash& operator=(const SignatureStash&) noexcept;

    /// A copy of `self` (the address of the actor whose context holds the stash).
    RefAddr take(const RefAddr& self) {
        if (owner_ == nullptr || !owner_->runs_here()) return self;
        if (copies_ == nullptr || copies_->left == 0) refill(self);
        return std::move(copies_->refs[--copies_->left]);
    }

private:
    void refill(const RefAddr& self);

    static constexpr std::uint32_t batch = 8;
    struct Copies {
        std::uint32_t left = 0;
        std::array<RefAddr, batch> refs;
    };
    const executor::detail::ProcCoreBase* owner_;  // null if made on a plain thread
    std::unique_ptr<Copies> copies_;
};

}  // namespace bastion::detail
