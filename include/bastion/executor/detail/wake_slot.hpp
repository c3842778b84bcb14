#pragma once
// Where one waiter leaves its parker for whoever produces what it waits for (a message, an answer).

#include <bastion/executor/detail/parker.hpp>
#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/detail/watched_word.hpp>
#include <bastion/executor/proc_state.hpp>

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdint>

namespace bastion::executor::detail {

/// A slot holding the parker of at most one waiter, so a producer can wake it.
///
/// The waiter (`wait_until`) arms the slot, re-checks its condition, parks, and disarms before it goes on. A producer
/// publishes its result, then calls `wake`. `disarm` returns only once no producer still holds the parker, so a
/// lightproc may end (and its parker vanish with its stack) right after it. Producer side: publish with a seq_cst
/// read-modify-write (or any write and then a seq_cst fence), then `wake`, whose load is seq_cst; the waiter does arm,
/// seq_cst fence, re-check. Whichever of the fence and the publishing write comes first in the single total order,
/// the other side's later read sees it, so one of the two always sees the other. (A seq_cst RMW is one locked
/// instruction on x86; the fence it replaces was a second, slower one on every send.)
///
/// A lightproc bound to a worker arms the slot with its worker's mark instead of its parker, when the worker has room
/// to watch it (see watch_word): the producer then only marks the slot signalled (the line it was writing anyway), and
/// the worker wakes the lightproc itself. A wake-up across cores then moves the slot's line and nothing else of the
/// receiver's (its parker, its context, its worker's remote queue), unless the worker sleeps: then the producer wakes
/// the worker.
///
/// A structure that keeps its own "waiting" mark in a word it already shares with producers (a mailbox's head) uses
/// the slot for its parker only: `hold`, then publish the mark with a seq_cst read-modify-write, park, and `release`;
/// the producer that takes the mark calls `wake`.
class WakeSlot {
public:
    /// Waits, as the one waiter, until `ready()` holds (true) or `deadline` passes (false); `ready` may take what it
    /// finds (a letter), it is called until it returns true. A lightproc parks on its own parker, so a cancellation
    /// wakes it: then ProcCancelled is thrown. An untimed wait reads no clock.
    template <class Ready>
    bool wait_until(std::chrono::steady_clock::time_point deadline, Ready&& ready) {
        ProcCoreBase* core = current_core();  // once: it reads a thread-local
        Parker& parker = parker_of(core);
        const bool bound = core != nullptr && core->home != ProcCoreBase::unbound;
        const bool timed = deadline != std::chrono::steady_clock::time_point::max();
        for (;;) {
            if (ready()) return true;
            if (core != nullptr && core->cancel_requested()) throw ProcCancelled{};
            if (timed && std::chrono::steady_clock::now() >= deadline) return false;
            arm(parker, bound);
            const bool found = ready();
            if (!found) parker.park_until(deadline);
            disarm(parker);
            if (found) return true;
        }
    }

    /// Wakes the armed waiter, if any. Call after publishing with a seq_cst RMW, or a write and a seq_cst fence.
    void wake() noexcept {
        std::uintptr_t armed = slot_.load(std::memory_order_seq_cst);
        if (armed == empty || armed == busy) return;
        if ((armed & watched) != 0) {
            if ((armed & signalled) != 0) return;
            // seq_cst: the worker publishes "parking" and then looks at its slots; we mark, then look at the worker.
            // `alerting` holds the waiter's disarm (and so its executor's end) until we are done with the worker.
            if (slot_.compare_exchange_strong(armed, armed | signalled | alerting, std::memory_order_seq_cst)) {
                alert_watcher(armed);
                slot_.fetch_and(~alerting, std::memory_order_release);
            }
            return;
        }
        if (!slot_.compare_exchange_strong(armed, busy, std::memory_order_acquire)) return;
        reinterpret_cast<Parker*>(armed)->unpark();
        slot_.store(empty, std::memory_order_release);
    }

    /// Leaves `parker` for the producer, before the waiter publishes its own mark with a seq_cst read-modify-write.
    void hold(Parker& parker) noexcept {
        assert(slot_.load(std::memory_order_relaxed) == empty && "WakeSlot: a second waiter (it has at most one)");
        slot_.store(reinterpret_cast<std::uintptr_t>(&parker), std::memory_order_relaxed);
    }
    /// Takes back the parker `hold` left, once the waiter runs again (waits out a producer still waking it).
    void release(Parker& parker) noexcept { disarm(parker); }

private:
    void arm(Parker& parker, bool bound) noexcept {
        std::uintptr_t token = bound ? watch_word(slot_, watched, parker) : empty;
        if (token == empty) token = reinterpret_cast<std::uintptr_t>(&parker);
        assert(slot_.load(std::memory_order_relaxed) == empty && "WakeSlot: a second waiter (it has at most one)");
        slot_.store(token, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
    }

    /// Takes the parker back; waits out a producer that is waking it right now. A wake that lands after the waiter
    /// stopped waiting leaves a permit behind: the next park returns early, which every park loop tolerates.
    void disarm(Parker& parker) noexcept {
        std::uintptr_t expected = slot_.load(std::memory_order_acquire);
        if ((expected & watched) != 0) {
            // A producer never touches a watched waiter's parker, only its worker: wait out one that still does.
            if ((expected & alerting) != 0 ||
                !slot_.compare_exchange_strong(expected, empty, std::memory_order_acq_rel)) {
                settle_watched();
            }
            unwatch_word(slot_);
            return;
        }
        // Woken by a producer, the slot is already empty (or about to be): no need to claim it.
        const std::uintptr_t mine = reinterpret_cast<std::uintptr_t>(&parker);
        if (expected == mine && slot_.compare_exchange_strong(expected, empty, std::memory_order_acq_rel)) return;
        if (expected == busy) settle();
    }

    void settle() const noexcept;
    /// Empties a watched slot once no producer is alerting its worker.
    void settle_watched() noexcept;

    // The slot: empty, busy (a producer is waking the parker), a parker's address, or a watching worker's mark
    // (watch_word's, tagged `watched`), then also `signalled` once a producer marked it, and `alerting` while that
    // producer still looks at the worker.
    static constexpr std::uintptr_t empty = 0;
    static constexpr std::uintptr_t busy = 1;
    static constexpr std::uintptr_t watched = 2;
    static constexpr std::uintptr_t signalled = 4;
    static constexpr std::uintptr_t alerting = 8;
    static_assert((watched | signalled | alerting) <= watch_tag_bits, "a worker's mark leaves room for these tags only");
    std::atomic<std::uintptr_t> slot_{empty};
};

}  // namespace bastion::executor::detail
