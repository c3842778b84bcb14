// SupervisorRun, start order: units start one at a time, each once the one before it has begun
// (actor/supervisor_run.hpp).

#include "actor/supervisor_run.hpp"

#include "actor/actor_run.hpp"

namespace bastion::detail {

void SupervisorRun::on_started(const UnitStarted& started) {
    if (starting_.actor != started.actor || starting_.supervisor != started.supervisor) return;
    if (started.actor && started.incarnation != started.actor->incarnation) return;
    starting_ = {};
}

void SupervisorRun::start_in_order(const Unit& unit, bool fresh) {
    UnitState& state = unit.state();
    if (unit.actor) {
        ActorCell& cell = *unit.actor;
        if (cell.mailbox.is_closed()) cell.mailbox.reopen();  // what is sent from now on waits for its start
        if (state.phase == Phase::Stopped) {
            cell.watch.revive();
            unit.group->watch.revive();
            cell.stop_requested.store(false, std::memory_order_relaxed);
        }
    }
    state.fresh_start = fresh;
    set_phase(unit, Phase::Starting);
    start_queue_.push_back(unit);
}

void SupervisorRun::advance_starts() {
    if (state_ != State::Running) return;
    start_next();
    if (announce_started_ && !starting()) {
        announce_started_ = false;
        if (auto parent = self_->parent.lock()) parent->post(UnitStarted{nullptr, self_, 0});
    }
}

void SupervisorRun::start_next() {
    while (starting_.is_hole() && !start_queue_.empty()) {
        Unit unit = std::move(start_queue_.front());
        start_queue_.pop_front();
        UnitState& state = unit.state();
        if (state.phase != Phase::Starting) continue;  // brought down while it waited
        if (unit.actor) {
            spawn_actor(unit);
        } else {
            set_phase(unit, Phase::Running);
            if (state.fresh_start) {
                unit.supervisor->launch();
            } else {
                unit.supervisor->post(RestartSelf{state.failure});
            }
        }
        starting_ = std::move(unit);
    }
}

void SupervisorRun::spawn_actor(const Unit& unit) {
    ActorCell& cell = *unit.actor;
    UnitState& state = cell.unit;
    ++cell.incarnation;
    cell.stop_mode.store(StopMode::None, std::memory_order_release);
    set_phase(unit, Phase::Running);
    state.stopping = StopMode::None;
    const auto start = state.fresh_start ? ActorRun::Start::Fresh : ActorRun::Start::Restart;
    ActorRun run{unit.actor, unit.group, self_, cell.incarnation, start, state.failure, state.before_restart_ran};
    executor::Executor& executor = *self_->system->executor;
    cell.run = unit.group->worker ? executor.spawn_on(*unit.group->worker, std::move(run))
                                  : executor.spawn(std::move(run));
}

}  // namespace bastion::detail
