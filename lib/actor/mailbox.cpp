#include <bastion/detail/mailbox.hpp>

namespace bastion::detail {

Mailbox::Mailbox() noexcept = default;

Mailbox::~Mailbox() { close(); }

LetterPtr Mailbox::push(LetterPtr letter) noexcept {
    if (closed_.load(std::memory_order_acquire)) return letter;
    Letter* const letter_ptr = letter.release();
    // The compare-exchange is seq_cst, and the loads after it (the flag here, the waiter in wake) are seq_cst: this
    // pairs with the fences of close() and WakeSlot::arm without a fence of our own. Either they see the letter, or
    // we see the flag or the waiter.
    Letter* newest = pushed_.load(std::memory_order_relaxed);
    do {
        letter_ptr->next.store(newest, std::memory_order_relaxed);
    } while (!pushed_.compare_exchange_weak(newest, letter_ptr, std::memory_order_seq_cst, std::memory_order_relaxed));
    if (closed_.load(std::memory_order_seq_cst)) {
        // It closed while we pushed: our letter comes back if the close did not take it, else it counts as inside.
        return drain_if_closed(letter_ptr);
    }
    waiter_.wake();
    return nullptr;
}

LetterPtr Mailbox::try_pop() noexcept {
    if (taken_ == nullptr) {
        // After WakeSlot::arm's fence, a sender's compare-exchange is seen here or the sender sees the armed waiter.
        if (pushed_.load(std::memory_order_acquire) == nullptr) return nullptr;
        Letter* newest = pushed_.exchange(nullptr, std::memory_order_acquire);
        while (newest != nullptr) {  // reverse: oldest first
            Letter* const older = newest->next.load(std::memory_order_relaxed);
            newest->next.store(taken_, std::memory_order_relaxed);
            taken_ = newest;
            newest = older;
        }
    }
    Letter* const oldest = taken_;
    taken_ = oldest->next.load(std::memory_order_relaxed);
    return LetterPtr{oldest};
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
