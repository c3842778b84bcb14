#pragma once
// An actor's mailbox: unbounded, many senders, one receiver, lock-free on the send side.

#include <bastion/detail/letter.hpp>
#include <bastion/executor/detail/wake_slot.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace bastion::detail {

/// An intrusive MPSC queue whose head also says whether the receiver waits, plus a closed flag.
///
/// Senders push onto a stack with one compare-exchange; the receiver takes the whole stack with one exchange when its
/// own list runs dry, and reverses it into that list, oldest first. So letters come out in the order they were
/// pushed, and a letter that arrives alone costs the receiver one exchange: there is no stub to link back in (a
/// Vyukov queue relinks it on every pop that empties the queue, moving the senders' line to the receiver and back).
///
/// A receiver that finds the mailbox empty puts its "waiting" mark in the empty head before it parks, as CAF's inbox
/// does: the sender whose compare-exchange replaces the mark both delivers and learns it must wake the receiver, and
/// no other sender looks for a waiter at all. A receiver bound to a worker marks the head with its worker's mark
/// (executor::detail::watch_word), so the worker, watching the head, wakes it: a hop across cores moves the head's
/// line and the letter, nothing else of the receiver's, unless its worker sleeps. Otherwise the mark sends the sender
/// to the parker the receiver left in its wake slot.
///
/// Once closed, `push` hands the letter back, so a send to a stopped actor returns its message; letters already inside
/// are dropped (asks among them resolve to an error). A send that races with the close is either handed back or
/// counted as inside at the close (and dropped with the rest): a sender that finds the flag raised only after pushing
/// its letter drains the mailbox itself, so nothing is stranded in a closed mailbox, and takes its own letter back if
/// it finds it there. While closed, the drain lock makes whoever drains the only consumer.
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

    /// Receiver only, from a lightproc: a receive point. A cancelled lightproc throws ProcCancelled here, before
    /// anything is taken, so its unread letters stay for its next run. Every `receive_budget`-th receive point in a row
    /// that did not wait yields to the worker's other lightprocs first: a receiver whose mailbox never runs dry (it
    /// tells itself its next step, or a thread floods it) cannot starve its worker. From a plain thread, nothing.
    void receive_point();

    /// Receiver only. A receive point, then the oldest letter, waiting until one arrives or the deadline passes (then
    /// null). From a lightproc that is cancelled meanwhile, throws ProcCancelled.
    LetterPtr pop_until(std::chrono::steady_clock::time_point deadline);

    /// Receive points in a row without a wait, after which a receiver yields: as Tokio's coop budget (128 operations
    /// per task tick); a yield with nothing else ready costs about 15 ns, so the budget costs well under 1 % of a
    /// receive even in the busiest loop.
    static constexpr std::uint32_t receive_budget = 128;

    /// Refuses every later push and drops what is inside. Idempotent. Only once the receiver has stopped receiving.
    void close() noexcept;
    /// As `close`, but hands the letters that were inside to `leftovers` instead of dropping them (in order).
    void close(std::vector<LetterPtr>& leftovers);

    /// Accepts pushes again (a stopped actor redeployed by its supervisor's restart), before a receiver starts.
    void reopen() noexcept;

    bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }

private:
    /// Moves the senders' stack to the receiver's (empty) list, oldest first.
    void take_pushed() noexcept;
    /// Wakes the receiver whose `mark` the letter `delivered` replaced.
    void wake(std::uintptr_t mark, Letter& delivered) noexcept;
    LetterPtr drain_if_closed(Letter* own) noexcept;
    /// The oldest letter, or null: try_pop without the debug check, for callers that made it already.
    LetterPtr take_one() noexcept;

    // The head: 0 (empty), the newest letter of the senders' stack, or the waiting receiver's mark: `waiting` alone (it
    // parks on waiter_) or with its worker's mark (its worker watches the head).
    static constexpr std::uintptr_t waiting = 1;
    alignas(64) std::atomic<std::uintptr_t> head_{0};
    std::atomic<bool> closed_{false};
    alignas(64) Letter* taken_ = nullptr;  // the receiver's list, taken from the head, oldest first
    std::uint32_t unwaited_receives_ = 0;  // receive points since the receiver last waited or yielded
    executor::detail::WakeSlot waiter_;
    std::mutex drain_lock_;
#ifndef NDEBUG
    std::atomic<int> consumers_{0};  // debug builds: consumers inside now (at most one)
#endif
};

}  // namespace bastion::detail
