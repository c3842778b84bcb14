#pragma once
// A message in flight: its mailbox link, kind, signature, reply channel and payload, in one allocation.

#include <bastion/ref_addr.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace bastion::detail {

class AnswerState;

enum class MessageKind : std::uint8_t { Broadcast, Tell, Ask };

/// The node every mailbox links. Tell and ask letters own their payload (OwnedLetter); a broadcast letter shares it
/// with the other receivers of the same broadcast (BroadcastLetter, in send.hpp).
class Letter {
public:
    Letter(MessageKind kind, const std::type_info& type, RefAddr sign) noexcept
        : kind{kind}, type{&type}, sign{std::move(sign)} {}
    Letter(const Letter&) = delete;
    Letter& operator=(const Letter&) = delete;
    /// Drops the reply channel of an ask nobody took it from, so the asker learns no answer will come.
    virtual ~Letter();

    /// The payload: a `T*` for tell and ask, a `const T*` for broadcast, where `*type == typeid(T)`.
    virtual void* payload() noexcept = 0;

    // Letters of up to 256 bytes come from per-thread free lists (a send allocates nothing from malloc once warm).
    static void* operator new(std::size_t size);
    static void operator delete(void* block, std::size_t size) noexcept;
    // Over-aligned payloads bypass the lists.
    static void* operator new(std::size_t size, std::align_val_t align) { return ::operator new(size, align); }
    static void operator delete(void* block, std::size_t size, std::align_val_t align) noexcept {
        ::operator delete(block, size, align);
    }

    std::atomic<Letter*> next{nullptr};  // the mailbox link
    MessageKind kind;
    // Delivered through a dispatcher or distributor: counted in its receiver's backlog while it waits, and handed to a
    // sibling of its receiver rather than dropped if that receiver stops for good first (lib/actor/route.hpp).
    bool routed = false;
    // Set while the sender whose letter took its receiver's "waiting" mark still alerts the receiver's worker: the
    // receiver holds on to the letter (and so lives on) until it clears (detail/mailbox.hpp).
    std::atomic<bool> waking{false};
    const std::type_info* type;
    RefAddr sign;
    std::shared_ptr<AnswerState> answer;  // asks only: where the reply goes
};

using LetterPtr = std::unique_ptr<Letter>;

template <class T>
class OwnedLetter final : public Letter {
public:
    template <class U>
    OwnedLetter(MessageKind kind, RefAddr sign, U&& value)
        : Letter{kind, typeid(T), std::move(sign)}, value{std::forward<U>(value)} {}
    void* payload() noexcept override { return &value; }
    T value;
};

/// Every payload travels as its decayed type, so matching is exact: `"hi"` arrives as `const char*`, never as
/// `std::string` or `std::string_view`.
template <class M>
using Payload = std::decay_t<M>;

template <class M>
inline constexpr bool is_payload = std::is_move_constructible_v<Payload<M>> && !std::is_array_v<Payload<M>>;

/// The one letter of a tell, an ask or a reply.
template <class M>
LetterPtr make_letter(MessageKind kind, RefAddr sign, M&& msg) {
    static_assert(is_payload<M>, "a message must be a movable value");
    return std::make_unique<OwnedLetter<Payload<M>>>(kind, std::move(sign), std::forward<M>(msg));
}

/// Takes the payload back out of a letter that could not be delivered.
template <class T>
T reclaim(LetterPtr letter) {
    return std::move(static_cast<OwnedLetter<T>&>(*letter).value);
}

}  // namespace bastion::detail
