#pragma once
// Where the runtime reports the letters no actor will read (public side: bastion/dead_letters.hpp).

#include <bastion/dead_letters.hpp>
#include <bastion/detail/letter.hpp>

#include <vector>

namespace bastion::detail {

/// Counts `letter` as a dead letter for `recipient` (null: sent to no actor) and shows it to the hook, if one is set.
/// Call it before the letter is handed back or dropped.
void note_dead_letter(const Letter& letter, const BastionPath* recipient, DeadLetterReason reason) noexcept;

/// Notes each of `letters` as dropped unread by `recipient`, then drops them (asks among them resolve to an error).
void drop_dead_letters(std::vector<LetterPtr>& letters, const BastionPath& recipient) noexcept;

}  // namespace bastion::detail
