#include <bastion/dead_letters.hpp>

#include <bastion/detail/letter.hpp>

#include "actor/dead_letters.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace bastion {

namespace {

using Hook = std::function<void(const DeadLetter&)>;

std::atomic<std::uint64_t> dead_count{0};
// The hook, read only when a letter dies (a slow path): a lock is fine; the flag spares the lock when none is set.
std::atomic<bool> hook_set{false};
std::mutex hook_lock;
std::shared_ptr<const Hook> hook;  // under hook_lock

}  // namespace

const BastionPath& DeadLetter::recipient() const noexcept {
    static const BastionPath dead_letters = BastionPath::dead_letters();
    return recipient_ != nullptr ? *recipient_ : dead_letters;
}
const RefAddr& DeadLetter::sender() const noexcept { return letter_->sign; }
const std::type_info& DeadLetter::type() const noexcept { return *letter_->type; }
bool DeadLetter::is_ask() const noexcept { return letter_->kind == detail::MessageKind::Ask; }
bool DeadLetter::is_broadcast() const noexcept { return letter_->kind == detail::MessageKind::Broadcast; }
const void* DeadLetter::payload() const noexcept { return const_cast<detail::Letter*>(letter_)->payload(); }

std::uint64_t DeadLetters::count() noexcept { return dead_count.load(std::memory_order_relaxed); }

void DeadLetters::set_hook(std::function<void(const DeadLetter&)> next) {
    std::shared_ptr<const Hook> set = next ? std::make_shared<const Hook>(std::move(next)) : nullptr;
    std::lock_guard lock{hook_lock};
    hook_set.store(set != nullptr, std::memory_order_release);
    hook.swap(set);
}

namespace detail {

void note_dead_letter(const Letter& letter, const BastionPath* recipient, DeadLetterReason reason) noexcept {
    dead_count.fetch_add(1, std::memory_order_relaxed);
    if (!hook_set.load(std::memory_order_acquire)) return;
    std::shared_ptr<const Hook> current;
    {
        std::lock_guard lock{hook_lock};
        current = hook;
    }
    if (!current) return;
    try {
        (*current)(DeadLetter{letter, recipient, reason});
    } catch (...) {
    }
}

void drop_dead_letters(std::vector<LetterPtr>& letters, const BastionPath& recipient) noexcept {
    for (LetterPtr& letter : letters) {
        if (letter) note_dead_letter(*letter, &recipient, DeadLetterReason::Dropped);
        letter.reset();  // an ask's asker learns no answer will come
    }
    letters.clear();
}

}  // namespace detail

}  // namespace bastion
