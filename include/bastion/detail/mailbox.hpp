#pragma once
// An actor's mailbox: unbounded, many senders, one receiver, lock-free on the send side.

#include <bastion/detail/letter.hpp>
#include <bastion/executor/detail/wake_slot.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace bastion::detail {

/// Vyukov's intrusive MPSC queue plus the receiver's wake slot and a gate that closes the mailbox for good.
///
/// Letters from one sender come out in the order it pushed them. Once closed, `push` hands the letter back, so a send
/// to a stopped actor returns its message; letters already inside are dropped (asks among them resolve to an error).
class Mailbox {
public:
    Mailbox() noexcept;
    Mailbox(const Mailbox&) = delete;
    Mailbox& operator=(const Mailbox&) = delete;
    ~Mailbox();

    /// Any thread. Empty on success; the letter itself if the mailbox is closed.
    LetterPtr push(LetterPtr letter) noexcept;

    /// Receiver only. The oldest letter, or null if there is none.
    LetterPtr try_pop() noexcept;

    /// Receiver only. Waits until a letter arrives or the deadline passes (then null). From a lightproc that is
    /// cancelled meanwhile, throws ProcCancelled.
    LetterPtr pop_until(std::chrono::steady_clock::time_point deadline);

    /// Refuses every later push and drops what is inside. Idempotent. Returns how many letters were dropped.
    std::size_t close() noexcept;

    /// Accepts pushes again (a stopped actor redeployed by its supervisor's restart). Receiver side, while closed.
    void reopen() noexcept { gate_.fetch_and(~closed_bit, std::memory_order_acq_rel); }

    bool is_closed() const noexcept { return (gate_.load(std::memory_order_acquire) & closed_bit) != 0; }

private:
    enum class Pop { Letter, Empty, Inconsistent };
    Pop pop_raw(Letter*& out) noexcept;
    void link(Letter* letter) noexcept;

    static constexpr std::uint64_t closed_bit = 1;
    static constexpr std::uint64_t sender_unit = 2;

    class Stub final : public Letter {
    public:
        Stub() noexcept : Letter{MessageKind::Tell, typeid(void), RefAddr{}} {}
        void* payload() noexcept override { return nullptr; }
    };

    alignas(64) std::atomic<Letter*> head_;    // senders swap themselves in here
    std::atomic<std::uint64_t> gate_{0};        // closed bit | senders inside push × 2
    alignas(64) Letter* tail_;                   // the receiver's end
    executor::detail::WakeSlot waiter_;
    Stub stub_;
};

}  // namespace bastion::detail
