#include <bastion/detail/mailbox.hpp>

#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/detail/watched_word.hpp>
#include <bastion/executor/this_proc.hpp>

#include "executor/spinlock.hpp"

#include <cassert>

namespace bastion::detail {

#ifndef NDEBUG
namespace {
// Debug builds check the receiver side's contract: one consumer at a time (a receiver, or whoever drains a closed
// mailbox under the drain lock). A thread id cannot tell: a lightproc may resume on another worker.
class ConsumerCheck {
public:
    explicit ConsumerCheck(std::atomic<int>& consumers) noexcept : consumers_{consumers} {
        [[maybe_unused]] const int before = consumers_.fetch_add(1, std::memory_order_acq_rel);
        assert(before == 0 && "Mailbox: two consumers at once (receive only from the actor's own lightproc)");
    }
    ~ConsumerCheck() { consumers_.fetch_sub(1, std::memory_order_acq_rel); }
    ConsumerCheck(const ConsumerCheck&) = delete;
    ConsumerCheck& operator=(const ConsumerCheck&) = delete;

private:
    std::atomic<int>& consumers_;
};
}  // namespace
#define BASTION_MAILBOX_CONSUMER() const ConsumerCheck consumer_check{consumers_}
#else
#define BASTION_MAILBOX_CONSUMER() static_assert(true, "")
#endif

Mailbox::Mailbox() noexcept = default;

Mailbox::~Mailbox() { close(); }

LetterPtr Mailbox::push(LetterPtr letter) noexcept {
    if (closed_.load(std::memory_order_acquire)) return letter;
    Letter* const letter_ptr = letter.release();
    const auto pushed = reinterpret_cast<std::uintptr_t>(letter_ptr);
    // The compare-exchange is seq_cst, and the load of the flag after it is seq_cst: this pairs with the fence of
    // close() without a fence of our own. Either the close sees the letter, or we see the flag.
    std::uintptr_t head = head_.load(std::memory_order_relaxed);
    do {
        const bool takes_mark = (head & waiting) != 0;
        letter_ptr->next.store(takes_mark ? nullptr : reinterpret_cast<Letter*>(head), std::memory_order_relaxed);
        letter_ptr->waking.store(takes_mark && head != waiting, std::memory_order_relaxed);
    } while (!head_.compare_exchange_weak(head, pushed, std::memory_order_seq_cst, std::memory_order_relaxed));
    if ((head & waiting) != 0) wake(head, *letter_ptr);
    if (closed_.load(std::memory_order_seq_cst)) {
        // It closed while we pushed: our letter comes back if the close did not take it, else it counts as inside.
        return drain_if_closed(letter_ptr);
    }
    return nullptr;
}

void Mailbox::wake(std::uintptr_t mark, Letter& delivered) noexcept {
    if (mark == waiting) {
        waiter_.wake();  // the receiver left its parker there before it put the mark in the head
        return;
    }
    executor::detail::alert_watcher(mark);
    delivered.waking.store(false, std::memory_order_release);  // the receiver may go on, and its worker may end
}

void Mailbox::take_pushed() noexcept {
    auto newest = reinterpret_cast<Letter*>(head_.exchange(0, std::memory_order_acquire));
    while (newest != nullptr) {  // reverse: oldest first
        Letter* const older = newest->next.load(std::memory_order_relaxed);
        newest->next.store(taken_, std::memory_order_relaxed);
        taken_ = newest;
        newest = older;
    }
}

LetterPtr Mailbox::try_pop() noexcept {
    BASTION_MAILBOX_CONSUMER();
    return take_one();
}

LetterPtr Mailbox::take_one() noexcept {
    if (taken_ == nullptr) {
        if (head_.load(std::memory_order_acquire) == 0) return nullptr;
        take_pushed();
    }
    Letter* const oldest = taken_;
    taken_ = oldest->next.load(std::memory_order_relaxed);
    return LetterPtr{oldest};
}

void Mailbox::receive_point() {
    using executor::detail::ProcCoreBase;
    if (++unwaited_receives_ >= receive_budget) {
        unwaited_receives_ = 0;
        if (executor::detail::current_core() != nullptr) executor::this_proc::yield_now();  // a cancellation point too
        return;
    }
    // The global count first: while no cancellation is in flight anywhere, the core's cache line is not read.
    if (ProcCoreBase::any_cancel_in_flight()) {
        ProcCoreBase* const core = executor::detail::current_core();
        if (core != nullptr && core->cancel_requested()) throw executor::ProcCancelled{};
    }
}

LetterPtr Mailbox::pop_until(std::chrono::steady_clock::time_point deadline) {
    using namespace executor::detail;
    BASTION_MAILBOX_CONSUMER();
    if (taken_ != nullptr || head_.load(std::memory_order_acquire) != 0) {
        // A letter waits: this receive holds the worker, so it counts against the budget. Only the receiver takes
        // letters, so one is still there after a yield.
        receive_point();
        return take_one();
    }
    // It waits, or finds its deadline passed: either way its worker is not held. The wait below is a cancellation
    // point of its own.
    unwaited_receives_ = 0;
    ProcCoreBase* const core = current_core();  // once: it reads a thread-local
    Parker& parker = parker_of(core);
    const bool bound = core != nullptr && core->home != ProcCoreBase::unbound;
    const bool timed = deadline != std::chrono::steady_clock::time_point::max();  // an untimed wait reads no clock
    for (;;) {
        if (core != nullptr && core->cancel_requested()) throw executor::ProcCancelled{};
        if (timed && std::chrono::steady_clock::now() >= deadline) return nullptr;
        std::uintptr_t mark = bound ? watch_word(head_, waiting, parker) : 0;
        if (mark == 0) {
            waiter_.hold(parker);
            mark = waiting;
        }
        // seq_cst, as the senders' compare-exchange: the one that replaces the mark sees the parker held before it.
        std::uintptr_t empty = 0;
        if (head_.compare_exchange_strong(empty, mark, std::memory_order_seq_cst, std::memory_order_relaxed)) {
            parker.park_until(deadline);
            std::uintptr_t still = mark;
            if (mark == waiting) {
                // Unbound, it usually runs where its sender did, and the head's line is here: look before claiming it
                // back (a compare-exchange that fails still costs a locked instruction).
                still = head_.load(std::memory_order_relaxed);
                if (still == mark) {
                    head_.compare_exchange_strong(still, 0, std::memory_order_acquire, std::memory_order_relaxed);
                }
            } else if (!head_.compare_exchange_strong(still, 0, std::memory_order_acquire, std::memory_order_relaxed)) {
                // A sender's letter replaced the mark. It is the oldest of them: hold it (and so this lightproc, and
                // its worker) until that sender is done alerting the worker.
                take_pushed();
                for (unsigned spins = 0; taken_->waking.load(std::memory_order_acquire); ++spins) wait_step(spins);
            }
        }
        if (mark == waiting) {
            waiter_.release(parker);
        } else {
            unwatch_word(head_);
        }
        if (LetterPtr letter = take_one()) return letter;
    }
}

void Mailbox::close() noexcept {
    std::lock_guard lock{drain_lock_};
    BASTION_MAILBOX_CONSUMER();
    closed_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with push
    while (take_one()) {
    }
}

void Mailbox::close(std::vector<LetterPtr>& leftovers) {
    std::lock_guard lock{drain_lock_};
    BASTION_MAILBOX_CONSUMER();
    closed_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with push
    while (LetterPtr letter = take_one()) leftovers.push_back(std::move(letter));
}

LetterPtr Mailbox::drain_if_closed(Letter* own) noexcept {
    std::lock_guard lock{drain_lock_};
    if (!closed_.load(std::memory_order_relaxed)) return nullptr;  // reopened meanwhile: a new receiver owns the letters
    BASTION_MAILBOX_CONSUMER();
    // Only its own letter: another sender that raced the same close drains after us and takes its own back (dropping
    // it here would lose it: neither handed back nor among the close's leftovers). What is left, in order, goes back
    // on the receiver's list, where the destructor's close drops it if no sender comes for it.
    LetterPtr mine;
    Letter* first = nullptr;
    Letter* last = nullptr;
    while (LetterPtr letter = take_one()) {
        if (letter.get() == own) {
            mine = std::move(letter);
            continue;
        }
        Letter* const other = letter.release();
        other->next.store(nullptr, std::memory_order_relaxed);
        if (last != nullptr) {
            last->next.store(other, std::memory_order_relaxed);
        } else {
            first = other;
        }
        last = other;
    }
    taken_ = first;
    return mine;
}

void Mailbox::reopen() noexcept {
    std::lock_guard lock{drain_lock_};
    closed_.store(false, std::memory_order_release);
}

}  // namespace bastion::detail
