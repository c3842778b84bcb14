#include "actor/supervisor_run.hpp"

#include "actor/dead_letters.hpp"

#include <bastion/executor/proc_state.hpp>

#include <algorithm>
#include <random>

namespace bastion::detail {

namespace {

double unit_random() {
    thread_local std::minstd_rand generator{std::random_device{}()};
    return std::uniform_real_distribution<double>{0.0, 1.0}(generator);
}

}  // namespace

template <class F>
void SupervisorRun::callback(const char* which, F&& fn) const {
    run_callback(*self_->system, which, self_->path, self_->callbacks, std::forward<F>(fn));
}

void SupervisorRun::operator()() {
    try {
        callback("before_start", [](const Callbacks& c) { c.before_start(); });
        std::vector<Element> elements;
        {
            std::lock_guard lock{self_->lock_};
            self_->deployed_ = true;
            elements = self_->elements_;
        }
        announce_started_ = !self_->parent.expired();
        for (const Element& element : elements) deploy(element);
        progress();
        while (state_ != State::Finished) {
            if (LetterPtr letter = self_->control_.pop_until(next_deadline())) {
                handle(static_cast<OwnedLetter<Event>&>(*letter).value);
            }
            const Clock::time_point now = Clock::now();
            restart_due(now);
            resize_due(now);
            if (!strays_.empty()) rehome_strays();
            progress();
        }
    } catch (const executor::ProcCancelled&) {
        // The executor is shutting down under us: nothing is left to supervise.
        state_ = State::Finished;
        self_->finished.store(true, std::memory_order_release);
        if (self_->parent.expired()) self_->system->on_stopped();
    }
}

void SupervisorRun::handle(Event& event) {
    std::visit(
        [&](auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, ChildExited>) {
                on_exited(e);
            } else if constexpr (std::is_same_v<E, UnitStarted>) {
                on_started(e);
            } else if constexpr (std::is_same_v<E, SupervisorDown>) {
                on_supervisor_down(e);
            } else if constexpr (std::is_same_v<E, StopChild>) {
                if (const Unit* unit = find(e.cell.get(), nullptr)) bring_down(*unit, e.mode, {});
            } else if constexpr (std::is_same_v<E, StopGroup>) {
                e.group->stopped = true;
                const auto elements = e.group->elements();
                for (const auto& cell : *elements) {
                    if (const Unit* unit = find(cell.get(), nullptr)) bring_down(*unit, e.mode, {});
                }
            } else if constexpr (std::is_same_v<E, Deploy>) {
                if (state_ == State::Running) {
                    deploy(e.element);
                } else {
                    add_units(e.element);  // a supervisor mid-restart starts it with everything else
                }
            } else if constexpr (std::is_same_v<E, SetStrategy>) {
                self_->strategy = e.strategy;
            } else if constexpr (std::is_same_v<E, StopSelf>) {
                if (state_ == State::Finished || state_ == State::Stopping) return;
                state_ = State::Stopping;
                stop_mode_ = e.mode;
                bring_down_all(e.mode, {});
            } else if constexpr (std::is_same_v<E, RestartSelf>) {
                if (state_ != State::Running && state_ != State::Escalated) return;
                state_ = State::Restarting;
                failure_ = e.failure;
                callback("before_restart", [&](const Callbacks& c) { c.before_restart(failure_); });
                bring_down_all(StopMode::Restart, failure_);
            }
        },
        event);
}

void SupervisorRun::on_exited(ChildExited& exited) {
    ActorCell& cell = *exited.cell;
    if (starting_.actor == exited.cell && exited.incarnation == cell.incarnation) {
        starting_ = {};  // it ended before it began (cancelled before it ran)
    }
    const Unit* unit = find(&cell, nullptr);
    if (unit == nullptr || exited.incarnation != cell.incarnation) return;
    UnitState& state = cell.unit;
    cell.run = {};
    if (state.phase == Phase::Stopping) {
        // A run that ended before it saw why it was cancelled owes the callback it did not get to call.
        const bool owed = exited.owes_goodbye;
        switch (state.stopping) {
            case StopMode::Restart:
                state.before_restart_ran = !owed;
                set_phase(*unit, Phase::AwaitingRestart);
                break;
            case StopMode::Kill: finish_actor(*unit, ExitReason::Killed); break;
            default: finish_actor(*unit, ExitReason::Stopped, owed ? AfterStop::Run : AfterStop::Skip); break;
        }
        return;
    }
    if (state.phase != Phase::Running) return;
    switch (exited.outcome) {
        case Outcome::Returned: finish_actor(*unit, ExitReason::Finished); break;
        case Outcome::Cancelled: finish_actor(*unit, ExitReason::Stopped); break;
        case Outcome::Failed:
            self_->system->report("bastion: " + cell.path.to_string() + " " + exited.failure.describe());
            on_failure(*unit, exited.failure);
            break;
    }
}

void SupervisorRun::on_supervisor_down(SupervisorDown& down) {
    if (starting_.supervisor == down.child) starting_ = {};
    const Unit* unit = find(nullptr, down.child.get());
    if (unit == nullptr) return;
    if (!down.escalated) {
        set_phase(*unit, Phase::Stopped);
        return;
    }
    set_phase(*unit, Phase::Escalated);
    if (state_ == State::Running) on_failure(*unit, down.failure);
}

void SupervisorRun::on_failure(const Unit& failed, const Failure& failure) {
    UnitState& state = failed.state();
    state.failure = failure;
    state.before_restart_ran = false;
    if (state_ == State::Stopping && failed.actor) {
        finish_actor(failed, ExitReason::Stopped, AfterStop::Run);  // on its way down anyway
        return;
    }
    set_phase(failed, Phase::AwaitingRestart);
    if (state_ != State::Running) return;  // mid-restart or giving up: it is down, and comes back with the rest
    if (self_->strategy != SupervisionStrategy::OneForOne && starting()) {
        // Its siblings that have not begun yet could not be stopped once for it: handled when they all have.
        deferred_failures_.push_back(failed);
        return;
    }
    restart_for(failed, failure);
}

void SupervisorRun::restart_for(const Unit& failed, const Failure& failure) {
    if (auto intensity = self_->restart_strategy.intensity(); intensity && !window_.admit(Clock::now(), *intensity)) {
        escalate(failure);
        return;
    }
    for (const Unit& unit : targets(failed)) {
        if (unit.actor != failed.actor || unit.supervisor != failed.supervisor) bring_down(unit, StopMode::Restart, failure);
    }
}

void SupervisorRun::escalate(const Failure& failure) {
    if (self_->parent.expired()) return;  // the root supervisor has no intensity limit to exceed
    self_->system->report("bastion: supervisor " + self_->path.to_string() +
                          " gave up: too many restarts; escalating to its parent");
    state_ = State::Escalating;
    failure_ = failure;
    self_->watch.tell_all(RefAddr{}, SupervisorGaveUp{SupervisorRef{self_}, failure});
    bring_down_all(StopMode::Restart, failure);
}

// Starts what waits in start order, then moves a waiting state forward once nothing is on its way down any more.
void SupervisorRun::progress() {
    forget_ended();
    advance_starts();
    if (any_stopping()) return;
    switch (state_) {
        case State::Running:
            if (!deferred_failures_.empty()) {
                if (starting()) break;
                const auto deferred = std::exchange(deferred_failures_, {});
                for (const Unit& unit : deferred) {
                    if (unit.state().phase == Phase::AwaitingRestart) restart_for(unit, unit.state().failure);
                }
                if (any_stopping() || state_ != State::Running) break;
            }
            if (count(Phase::AwaitingRestart) == 0) break;
            for (const Unit& unit : units_) {
                if (!unit.is_hole() && unit.state().phase == Phase::AwaitingRestart) schedule_restart(unit);
            }
            start_next();
            break;
        case State::Stopping: finish(); break;
        case State::Restarting:
            redeploy();
            advance_starts();
            break;
        case State::Escalating:
            state_ = State::Escalated;
            if (auto parent = self_->parent.lock()) parent->post(SupervisorDown{self_, true, failure_});
            break;
        case State::Escalated:
        case State::Finished: break;
    }
}

void SupervisorRun::deploy(const Element& element) {
    const std::size_t first = units_.size();
    add_units(element);
    if (const auto* group = std::get_if<std::shared_ptr<GroupCell>>(&element); group && (*group)->resizer) {
        resized_.push_back({*group, Clock::now() + (*group)->heartbeat});
    }
    for (std::size_t i = first; i < units_.size(); ++i) start_in_order(units_[i], true);
}

void SupervisorRun::add_units(const Element& element) {
    auto add = [this](Unit unit) {
        index_.emplace(unit.actor ? static_cast<const void*>(unit.actor.get()) : unit.supervisor.get(), units_.size());
        ++count_[static_cast<std::size_t>(unit.state().phase)];
        units_.push_back(std::move(unit));
    };
    if (const auto* group = std::get_if<std::shared_ptr<GroupCell>>(&element)) {
        const auto elements = (*group)->elements();
        for (const auto& cell : *elements) add(Unit{cell, *group, nullptr});
    } else {
        add(Unit{nullptr, nullptr, std::get<std::shared_ptr<SupervisorCell>>(element)});
    }
}

void SupervisorRun::rebuild_units() {
    units_.clear();
    index_.clear();
    count_ = {};
    holes_ = 0;
    for (const Element& element : self_->elements()) add_units(element);
}

bool SupervisorRun::ended_for_good(const Element& element) noexcept {
    if (const auto* group = std::get_if<std::shared_ptr<GroupCell>>(&element)) {
        const GroupCell& g = **group;
        return g.dynamic && g.ended();
    }
    const SupervisorCell& supervisor = *std::get<std::shared_ptr<SupervisorCell>>(element);
    return supervisor.dynamic && supervisor.unit.phase == Phase::Stopped;
}

void SupervisorRun::forget_ended() {
    if (ended_.empty()) return;
    auto hole = [this](const void* cell) {
        auto it = index_.find(cell);
        if (it == index_.end()) return;
        Unit& unit = units_[it->second];
        --count_[static_cast<std::size_t>(unit.state().phase)];
        unit = Unit{};
        index_.erase(it);
        ++holes_;
    };
    for (const Element& element : std::exchange(ended_, {})) {
        if (!ended_for_good(element)) continue;  // started again meanwhile
        if (const auto* group = std::get_if<std::shared_ptr<GroupCell>>(&element)) {
            const auto elements = (*group)->elements();
            for (const auto& cell : *elements) hole(cell.get());
        } else {
            hole(std::get<std::shared_ptr<SupervisorCell>>(element).get());
        }
        self_->forget(element);
    }
    if (holes_ >= 64 && holes_ * 2 >= units_.size()) {
        self_->compact();
        rebuild_units();
    }
}

void SupervisorRun::set_phase(const Unit& unit, Phase phase) noexcept {
    UnitState& state = unit.state();
    if ((state.phase == Phase::Stopped) != (phase == Phase::Stopped)) {
        const bool stops = phase == Phase::Stopped;
        if (unit.actor && !unit.group->resizer) {
            GroupCell& group = *unit.group;
            group.stopped_units = stops ? group.stopped_units + 1 : group.stopped_units - 1;
            if (stops && group.dynamic && group.ended()) ended_.push_back(unit.group);
        } else if (unit.supervisor && unit.supervisor->dynamic && stops) {
            ended_.push_back(unit.supervisor);
        }
    }
    --count_[static_cast<std::size_t>(state.phase)];
    ++count_[static_cast<std::size_t>(phase)];
    state.phase = phase;
}

void SupervisorRun::bring_down(const Unit& unit, StopMode mode, const Failure& why) {
    if (unit.actor) {
        bring_down_actor(unit, mode, why);
    } else {
        bring_down_supervisor(unit, mode, why);
    }
}

void SupervisorRun::bring_down_actor(const Unit& unit, StopMode mode, const Failure& why) {
    UnitState& state = unit.state();
    const bool for_good = mode != StopMode::Restart;
    const ExitReason reason = mode == StopMode::Kill ? ExitReason::Killed : ExitReason::Stopped;
    switch (state.phase) {
        case Phase::Running:
            set_phase(unit, Phase::Stopping);
            state.stopping = mode;
            if (!for_good) {
                state.failure = why;
                state.before_restart_ran = true;
            }
            unit.actor->stop_mode.store(mode, std::memory_order_release);
            unit.actor->run.cancel();
            break;
        case Phase::Stopping:
            if (for_good && state.stopping == StopMode::Restart) {
                state.stopping = mode;  // too late to skip its before_restart, not to keep it down
                unit.actor->stop_mode.store(mode, std::memory_order_release);
            }
            break;
        case Phase::AwaitingRestart:
        case Phase::BackingOff:
        case Phase::Idle:
            if (for_good) {
                // Down between two runs: no run of its own is left to call after_stop.
                const bool started = state.phase != Phase::Idle && mode == StopMode::Stop;
                finish_actor(unit, reason, started ? AfterStop::Run : AfterStop::Skip);
            } else if (state.phase != Phase::Idle) {
                set_phase(unit, Phase::AwaitingRestart);
            }
            break;
        case Phase::Starting:
            // Queued, not started: a first start goes back to never having started (no callbacks at all, so they
            // stay in pairs); a restart goes back to waiting for one.
            if (for_good) {
                const bool started = !state.fresh_start && mode == StopMode::Stop;
                finish_actor(unit, reason, started ? AfterStop::Run : AfterStop::Skip);
            } else {
                set_phase(unit, state.fresh_start ? Phase::Idle : Phase::AwaitingRestart);
            }
            break;
        case Phase::Escalated:
        case Phase::Stopped: break;
    }
}

// A supervisor restarts itself when told to; only a stop for good is waited for.
void SupervisorRun::bring_down_supervisor(const Unit& unit, StopMode mode, const Failure& why) {
    UnitState& state = unit.state();
    const bool for_good = mode != StopMode::Restart;
    if (state.phase == Phase::Starting) {
        if (state.fresh_start) {
            set_phase(unit, for_good ? Phase::Stopped : Phase::Idle);
            return;
        }
        set_phase(unit, Phase::AwaitingRestart);  // and on, as one that waits for its restart
    }
    switch (state.phase) {
        case Phase::Idle: set_phase(unit, Phase::Stopped); break;
        case Phase::Stopped:
        case Phase::Stopping: break;
        default:
            if (for_good) {
                set_phase(unit, Phase::Stopping);
                unit.supervisor->post(StopSelf{mode});
            } else if (state.phase == Phase::Running) {
                unit.supervisor->post(RestartSelf{why});
            } else {
                set_phase(unit, Phase::AwaitingRestart);
            }
    }
}

void SupervisorRun::bring_down_all(StopMode mode, const Failure& why) {
    for (auto it = units_.rbegin(); it != units_.rend(); ++it) {
        if (!it->is_hole()) bring_down(*it, mode, why);
    }
}

void SupervisorRun::schedule_restart(const Unit& unit) {
    UnitState& state = unit.state();
    if (!self_->restart_strategy.restart_policy().allows(state.restarts)) {
        give_up(unit);
        return;
    }
    const auto& strategy = self_->restart_strategy.strategy();
    const auto delay = strategy.calculate(state.restarts);
    ++state.restarts;
    if (delay && delay->count() > 0) {
        set_phase(unit, Phase::BackingOff);
        state.restart_at = Clock::now() + strategy.jittered(*delay, unit_random());
        return;
    }
    restart(unit);
}

void SupervisorRun::restart(const Unit& unit) { start_in_order(unit, false); }

void SupervisorRun::give_up(const Unit& unit) {
    if (unit.actor) {
        finish_actor(unit, ExitReason::GaveUp, AfterStop::Run);
        return;
    }
    set_phase(unit, Phase::Stopping);
    unit.supervisor->post(StopSelf{StopMode::Stop});
}

void SupervisorRun::finish_actor(const Unit& unit, ExitReason reason, AfterStop after_stop) {
    set_phase(unit, Phase::Stopped);
    if (after_stop == AfterStop::Run) {
        run_callback(*self_->system, "after_stop", unit.actor->path, unit.group->callbacks,
                     [](const Callbacks& c) { c.after_stop(); });
    }
    leave_routes(unit.actor, *unit.group);  // its run has left already, if it ran: this covers one that never did
    std::vector<LetterPtr> leftovers;
    unit.actor->mailbox.close(leftovers);
    unit.actor->meter.backlog.store(0, std::memory_order_relaxed);
    unit.actor->meter.retiring.store(false, std::memory_order_relaxed);
    terminate_actor(unit.actor, reason);
    // Routed letters were sent to the group, not to this actor: they go to a sibling (rehome_strays). The rest are
    // dropped with it, as dead letters (asks among them resolve to an error); a resizer's Retire letter is ours.
    std::vector<LetterPtr> strays;
    for (LetterPtr& letter : leftovers) {
        if (*letter->type == typeid(Retire)) {
            letter.reset();
        } else if (letter->routed) {
            strays.push_back(std::move(letter));
        }
    }
    drop_dead_letters(leftovers, unit.actor->path);
    if (unit.group->ended()) end_group(unit.group, reason);
    if (!strays.empty()) strays_.push_back({unit.group, std::move(strays)});
}

void SupervisorRun::restart_due(Clock::time_point now) {
    if (state_ != State::Running || count(Phase::BackingOff) == 0) return;
    for (const Unit& unit : units_) {
        if (unit.is_hole()) continue;
        UnitState& state = unit.state();
        if (state.phase == Phase::BackingOff && state.restart_at <= now) restart(unit);
    }
}

// The second half of a supervisor's own restart: everything below it is down; bring it all up again.
void SupervisorRun::redeploy() {
    for (const Element& element : self_->elements()) {
        if (const auto* group = std::get_if<std::shared_ptr<GroupCell>>(&element)) (*group)->stopped = false;
    }
    forget_ended();  // what was added at run time and has ended stays ended: a restart is not a resurrection
    self_->compact();
    rebuild_units();
    start_queue_.clear();  // brought down with everything else: what it held is Idle or AwaitingRestart now
    for (const Unit& unit : units_) {
        UnitState& state = unit.state();
        const bool fresh = state.phase == Phase::Stopped || state.phase == Phase::Idle;
        if (unit.actor) {
            if (state.phase != Phase::Running && state.phase != Phase::Stopping) start_in_order(unit, fresh);
        } else if (fresh || unit.supervisor->finished.load(std::memory_order_acquire)) {
            start_in_order(unit, true);
        } else if (state.phase != Phase::Running) {
            state.failure = failure_;
            start_in_order(unit, false);
        }
    }
    announce_started_ = !self_->parent.expired();
    state_ = State::Running;
    window_ = RestartWindow{};
    callback("after_restart", [&](const Callbacks& c) { c.after_restart(failure_); });
}

void SupervisorRun::finish() {
    start_queue_.clear();
    starting_ = {};
    for (const Unit& unit : units_) {
        if (unit.actor && unit.state().phase != Phase::Stopped) {
            finish_actor(unit, stop_mode_ == StopMode::Kill ? ExitReason::Killed : ExitReason::Stopped);
        }
    }
    if (stop_mode_ == StopMode::Stop) callback("after_stop", [](const Callbacks& c) { c.after_stop(); });
    const ExitReason reason = stop_mode_ == StopMode::Kill ? ExitReason::Killed : ExitReason::Stopped;
    self_->watch.end(reason, RefAddr{}, SupervisorTerminated{SupervisorRef{self_}, reason});
    state_ = State::Finished;
    self_->finished.store(true, std::memory_order_release);
    // Elements added as it ended (their Deploy events came too late) never run: they refuse sends from now on.
    std::vector<LetterPtr> late;
    self_->control_.close(late);
    for (LetterPtr& letter : late) {
        if (const auto* deploy = std::get_if<Deploy>(&static_cast<OwnedLetter<Event>&>(*letter).value)) {
            terminate_element(deploy->element, ExitReason::Stopped);
        }
    }
    if (auto parent = self_->parent.lock()) {
        parent->post(SupervisorDown{self_, false, {}});
    } else {
        self_->system->on_stopped();
    }
}

bool SupervisorRun::any_stopping() const noexcept { return count(Phase::Stopping) > 0; }

Clock::time_point SupervisorRun::next_deadline() const noexcept {
    Clock::time_point next = Clock::time_point::max();
    if (state_ != State::Running) return next;
    for (const Resized& resized : resized_) next = std::min(next, resized.next_at);
    if (count(Phase::BackingOff) == 0) return next;
    for (const Unit& unit : units_) {
        if (unit.is_hole()) continue;
        const UnitState& state = unit.state();
        if (state.phase == Phase::BackingOff) next = std::min(next, state.restart_at);
    }
    return next;
}

std::vector<SupervisorRun::Unit> SupervisorRun::targets(const Unit& failed) const {
    if (self_->strategy == SupervisionStrategy::OneForOne) return {failed};
    auto first = units_.begin();
    if (self_->strategy == SupervisionStrategy::RestForOne) {
        first = std::find_if(units_.begin(), units_.end(), [&](const Unit& u) {
            return u.actor == failed.actor && u.supervisor == failed.supervisor;
        });
    }
    std::vector<Unit> found;
    std::copy_if(first, units_.end(), std::back_inserter(found), [](const Unit& u) { return !u.is_hole(); });
    return found;
}

const SupervisorRun::Unit* SupervisorRun::find(const ActorCell* actor, const SupervisorCell* supervisor) const noexcept {
    auto it = index_.find(actor != nullptr ? static_cast<const void*>(actor) : supervisor);
    return it == index_.end() ? nullptr : &units_[it->second];
}

}  // namespace bastion::detail
