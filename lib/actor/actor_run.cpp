#include "actor/actor_run.hpp"
#include "actor/timer.hpp"

#include <bastion/context.hpp>
#include <bastion/executor/proc_state.hpp>

#include <utility>

namespace bastion::detail {

template <class F>
void ActorRun::callback(const char* which, F&& fn) const {
    run_callback(*supervisor_->system, which, cell_->path, group_->callbacks, std::forward<F>(fn));
}

void ActorRun::operator()() {
    ran_ = true;
    if (start_ == Start::Fresh) {
        callback("before_start", [](const Callbacks& c) { c.before_start(); });
    } else {
        if (!before_restart_ran_) callback("before_restart", [&](const Callbacks& c) { c.before_restart(why_); });
        callback("after_restart", [&](const Callbacks& c) { c.after_restart(why_); });
    }
    // As upstream, after_start runs once the actor is a member of its dispatchers and distributors.
    join_routes(cell_, *group_);
    callback("after_start", [](const Callbacks& c) { c.after_start(); });
    // Start order: the supervisor starts the next unit once this one has begun.
    supervisor_->post(UnitStarted{cell_, nullptr, incarnation_});

    std::optional<SupervisorRef> supervisor;
    if (!supervisor_->parent.expired()) supervisor.emplace(supervisor_);
    // The timers this run makes through its context are cancelled when its exec ends, however it ends (Akka cancels
    // an actor's timers when it stops or restarts), so no timer outlives the run that made it (issue 18).
    auto timers = std::make_shared<TimerScope>();
    try {
        const Exec result =
            group_->exec(BastionContext{ChildRef{cell_}, ChildrenRef{group_}, std::move(supervisor), timers});
        if (result.is_ok()) {
            outcome_ = Outcome::Returned;
        } else {
            outcome_ = Outcome::Failed;
            failure_ = Failure::returned_error();
        }
    } catch (const executor::ProcCancelled&) {
        outcome_ = Outcome::Cancelled;
    } catch (...) {
        outcome_ = Outcome::Failed;
        failure_ = Failure::from_exception(std::current_exception());
    }

    timers->close();

    // It reads no more messages: routes stop giving it any (upstream kept dead members, #336).
    leave_routes(cell_, *group_);

    // A stop request wins over however the exec ended meanwhile.
    const StopMode mode = cell_->stop_mode.load(std::memory_order_acquire);
    if (mode != StopMode::None) outcome_ = Outcome::Cancelled;
    if (outcome_ == Outcome::Returned || (outcome_ == Outcome::Cancelled && mode == StopMode::Stop)) {
        callback("after_stop", [](const Callbacks& c) { c.after_stop(); });
        said_goodbye_ = true;
    } else if (outcome_ == Outcome::Cancelled && mode == StopMode::Restart) {
        // The supervisor wrote the reason before it cancelled us, and does not touch it until we have ended.
        callback("before_restart", [&](const Callbacks& c) { c.before_restart(cell_->unit.failure); });
        said_goodbye_ = true;
    }
}

ActorRun::~ActorRun() {
    if (!supervisor_) return;
    const bool owes_goodbye = (ran_ || start_ == Start::Restart) && !said_goodbye_;
    supervisor_->post(ChildExited{std::move(cell_), incarnation_, outcome_, std::move(failure_), owes_goodbye});
}

}  // namespace bastion::detail
