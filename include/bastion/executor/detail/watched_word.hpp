#pragma once
// A bound lightproc's worker watching a word for it, so a producer on another core need not wake the lightproc.

#include <bastion/executor/detail/parker.hpp>

#include <atomic>
#include <cstdint>

namespace bastion::executor::detail {

/// Asks the worker of the calling lightproc, which must be bound to it, to watch `word` while the lightproc parks on
/// `parker`: once the word holds anything but the returned mark, the worker wakes the lightproc (at its next pick, or
/// from its idle loop). The mark is the worker's token (its address, 64-byte aligned) with `tags` in the low six
/// bits; the caller stores it in the word before it parks. 0 if the worker watches too many words already (or the
/// caller runs on no worker): then wake the parker the usual way.
///
/// A producer that replaces the mark passes it to `alert_watcher`, which wakes the worker if it sleeps (an awake one
/// looks at its words before it next parks); replace with a seq_cst read-modify-write, the pairing that guarantees
/// one side sees the other. A wake-up across cores then moves the word's line and nothing else of the receiver's.
std::uintptr_t watch_word(const std::atomic<std::uintptr_t>& word, std::uintptr_t tags, Parker& parker) noexcept;

/// Stops the calling lightproc's worker watching `word` (if it still does); call once the lightproc runs again.
void unwatch_word(const std::atomic<std::uintptr_t>& word) noexcept;

/// Makes sure the worker named by `mark` (a value `watch_word` returned) looks at its words: wakes it if it sleeps.
/// The worker must still exist: the producer has to keep the waiter from ending (and so its executor) meanwhile.
void alert_watcher(std::uintptr_t mark) noexcept;

/// The bits of a mark left to the caller's tags.
inline constexpr std::uintptr_t watch_tag_bits = 63;

}  // namespace bastion::executor::detail
