// SupervisorRun, routing: its resized groups' samples, and the routed letters left by members that stopped for good
// (actor/supervisor_run.hpp).

#include "actor/supervisor_run.hpp"

#include "actor/dead_letters.hpp"

#include <algorithm>

namespace bastion::detail {

// Hands routed letters left in the mailboxes of actors that stopped for good to siblings that will read them
// (running, or down until a restart), in turn. A resized group with none left samples its resizer at once, which
// replaces members below its lower bound. Letters nobody can take are dropped (asks among them resolve to an error).
void SupervisorRun::rehome_strays() {
    auto strays = std::move(strays_);
    strays_.clear();
    for (auto& [group, letters] : strays) {
        auto siblings = [&group] {
            std::vector<std::shared_ptr<ActorCell>> found;
            const auto elements = group->elements();
            for (const auto& cell : *elements) {
                const Phase phase = cell->unit.phase;
                if (phase != Phase::Stopped && phase != Phase::Stopping && phase != Phase::Escalated) found.push_back(cell);
            }
            return found;
        };
        auto takers = siblings();
        if (takers.empty() && group->resizer && !group->stopped && state_ == State::Running) {
            resize(group);
            takers = siblings();
        }
        std::size_t turn = 0;
        for (LetterPtr& letter : letters) {
            for (std::size_t tries = 0; letter && tries < takers.size(); ++tries) {
                letter = deliver_routed(takers[turn++ % takers.size()], std::move(letter));
            }
        }
        drop_dead_letters(letters, group->path);  // what no sibling took
    }
}

void SupervisorRun::resize_due(Clock::time_point now) {
    if (state_ != State::Running) return;
    for (Resized& resized : resized_) {
        if (resized.next_at > now) continue;
        resized.next_at = now + resized.group->heartbeat;
        if (!resized.group->stopped) resize(resized.group);
    }
}

// One resizer sample: forget members stopped for good, then apply the resizer's decision. Removed members leave their
// routes before they are stopped, so nothing new is routed to them; new members start fresh.
void SupervisorRun::resize(const std::shared_ptr<GroupCell>& self) {
    GroupCell& group = *self;
    auto elements = group.elements();
    GroupCell::Elements kept;
    std::vector<std::shared_ptr<ActorCell>> idle;
    ResizerSample sample;
    for (const auto& cell : *elements) {
        if (cell->unit.phase == Phase::Stopped) continue;
        kept.push_back(cell);
        ++sample.members;
        if (cell->unit.phase != Phase::Running || cell->meter.retiring.load(std::memory_order_relaxed)) continue;
        ++sample.running;
        const std::int64_t backlog = cell->meter.backlog.load(std::memory_order_relaxed);
        if (backlog > 0) sample.backlog += static_cast<std::size_t>(backlog);
        const std::uint64_t routed = cell->meter.routed_total.load(std::memory_order_relaxed);
        if (routed == cell->meter.routed_seen && backlog <= 0) idle.push_back(cell);
        cell->meter.routed_seen = routed;
    }
    sample.idle = idle.size();
    const std::ptrdiff_t change = group.resizer->scale(sample);

    // Removed members leave their routes first, so nothing new is routed to them, then read everything already in
    // their mailboxes before their Retire letter stops them (cancelling them could lose the message in hand).
    const std::size_t removing = change < 0 ? std::min(static_cast<std::size_t>(-change), idle.size()) : 0;
    for (std::size_t removed = 0; removed < removing; ++removed) {
        const auto& cell = idle[idle.size() - 1 - removed];  // newest first
        cell->meter.retiring.store(true, std::memory_order_release);
        leave_routes(cell, group);
        send_retire(cell);
    }
    const std::size_t first_new = kept.size();
    for (std::ptrdiff_t added = 0; added < change; ++added) {
        kept.push_back(group.make_element(self));
        join_routes(kept.back(), group);
    }
    if (change <= 0 && kept.size() == elements->size()) return;  // nobody came or went

    group.set_elements(std::move(kept));
    rebuild_units();
    auto current = group.elements();
    for (std::size_t i = first_new; i < current->size(); ++i) {
        if (const Unit* unit = find((*current)[i].get(), nullptr)) start_in_order(*unit, true);
    }
}

}  // namespace bastion::detail
