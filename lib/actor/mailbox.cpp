#include <bastion/detail/mailbox.hpp>

#include "executor/spinlock.hpp"

namespace bastion::detail {

Mailbox::Mailbox() noexcept : head_{&stub_}, tail_{&stub_} {}

Mailbox::~Mailbox() { close(); }

void Mailbox::link(Letter* letter) noexcept {
    letter->next.store(nullptr, std::memory_order_relaxed);
    Letter* prev = head_.exchange(letter, std::memory_order_seq_cst);  // seq_cst: see push
    prev->next.store(letter, std::memory_order_release);
}

LetterPtr Mailbox::push(LetterPtr letter) noexcept {
    if (closed_.load(std::memory_order_acquire)) return letter;
    Letter* const letter_ptr = letter.release();
    // The link is a seq_cst exchange, and the loads after it (the flag here, the waiter in wake) are seq_cst: this
    // pairs with the fences of close() and WakeSlot::arm without a fence of our own. Either they see the letter, or
    // we see the flag or the waiter.
    link(letter_ptr);
    if (closed_.load(std::memory_order_seq_cst)) {
        // It closed while we linked: our letter comes back if the close did not take it, else it counts as inside.
        return drain_if_closed(letter_ptr);
    }
    waiter_.wake();
    return nullptr;
}

// Vyukov's pop. Inconsistent: a sender has swapped itself in but not linked yet (a few instructions).
Mailbox::Pop Mailbox::pop_raw(Letter*& out) noexcept {
    Letter* tail = tail_;
    Letter* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
        if (next == nullptr) {
            // Empty only if no sender has swapped in at the head either: the head, not the stub's link, is what a
            // sender publishes with its seq_cst exchange, so after WakeSlot::arm's fence a sender is seen here or sees
            // the armed waiter.
            return head_.load(std::memory_order_acquire) == &stub_ ? Pop::Empty : Pop::Inconsistent;
        }
        tail_ = next;
        tail = next;
        next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
        tail_ = next;
        out = tail;
        return Pop::Letter;
    }
    if (tail != head_.load(std::memory_order_acquire)) return Pop::Inconsistent;
    link(&stub_);
    next = tail->next.load(std::memory_order_acquire);
    if (next != nullptr) {
        tail_ = next;
        out = tail;
        return Pop::Letter;
    }
    return Pop::Inconsistent;
}

LetterPtr Mailbox::try_pop() noexcept {
    Letter* letter = nullptr;
    for (unsigned spins = 0;; ++spins) {
        switch (pop_raw(letter)) {
            case Pop::Letter: return LetterPtr{letter};
            case Pop::Empty: return nullptr;
            case Pop::Inconsistent:  // the sender finishes its link within a few instructions
                executor::detail::wait_step(spins);
        }
    }
}

LetterPtr Mailbox::pop_until(std::chrono::steady_clock::time_point deadline) {
    LetterPtr letter;
    waiter_.wait_until(deadline, [&] {
        letter = try_pop();
        return letter != nullptr;
    });
    return letter;
}

void Mailbox::close() noexcept {
    std::lock_guard lock{drain_lock_};
    closed_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with push
    while (try_pop()) {
    }
}

void Mailbox::close(std::vector<LetterPtr>& leftovers) {
    std::lock_guard lock{drain_lock_};
    closed_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with push
    while (LetterPtr letter = try_pop()) leftovers.push_back(std::move(letter));
}

LetterPtr Mailbox::drain_if_closed(Letter* own) noexcept {
    std::lock_guard lock{drain_lock_};
    if (!closed_.load(std::memory_order_relaxed)) return nullptr;  // reopened meanwhile: a new receiver owns the letters
    LetterPtr mine;
    while (LetterPtr letter = try_pop()) {
        if (letter.get() == own) mine = std::move(letter);
    }
    return mine;
}

void Mailbox::reopen() noexcept {
    std::lock_guard lock{drain_lock_};
    closed_.store(false, std::memory_order_release);
}

}  // namespace bastion::detail
