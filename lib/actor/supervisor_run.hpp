#pragma once
// The lightproc of a supervisor: it starts its elements, hears when they end, restarts them by its strategies, and
// stops them. Everything about its units' lifecycles happens here, one event at a time.

#include "actor/cells.hpp"

#include <bastion/restart_strategy.hpp>

#include <array>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

namespace bastion::detail {

class SupervisorRun {
public:
    explicit SupervisorRun(std::shared_ptr<SupervisorCell> self) noexcept : self_{std::move(self)} {}
    void operator()();

private:
    enum class State { Running, Stopping, Restarting, Escalating, Escalated, Finished };

    // An actor, or a supervisor seen as one restartable unit.
    struct Unit {
        std::shared_ptr<ActorCell> actor;
        std::shared_ptr<GroupCell> group;
        std::shared_ptr<SupervisorCell> supervisor;
        UnitState& state() const noexcept { return actor ? actor->unit : supervisor->unit; }
        bool is_hole() const noexcept { return !actor && !supervisor; }  // a forgotten unit's place
    };

    void handle(Event& event);
    void on_started(const UnitStarted& started);
    void on_exited(ChildExited& exited);
    void on_supervisor_down(SupervisorDown& down);
    void on_failure(const Unit& failed, const Failure& failure);
    /// Brings down what a failure of `failed` affects, for a restart (or escalates, past the restart intensity).
    void restart_for(const Unit& failed, const Failure& failure);
    void escalate(const Failure& failure);
    void progress();

    void deploy(const Element& element);
    void add_units(const Element& element);
    void rebuild_units();
    /// Whether `element` was added at run time and has ended for good: its supervisor forgets it.
    static bool ended_for_good(const Element& element) noexcept;
    /// Lets go of the elements in ended_ at once (their units become holes), and closes the holes once they are many.
    void forget_ended();
    void set_phase(const Unit& unit, Phase phase) noexcept;
    std::size_t count(Phase phase) const noexcept { return count_[static_cast<std::size_t>(phase)]; }
    /// Queues `unit` to start once the units queued before it have begun (start order); `fresh`: a first start.
    void start_in_order(const Unit& unit, bool fresh);
    /// Starts what waits in start order, and tells the parent once a (re)start has started everything.
    void advance_starts();
    /// Starts queued units while none is between its start and its beginning.
    void start_next();
    bool starting() const noexcept { return !starting_.is_hole() || !start_queue_.empty(); }
    void spawn_actor(const Unit& unit);
    void bring_down(const Unit& unit, StopMode mode, const Failure& why);
    void bring_down_actor(const Unit& unit, StopMode mode, const Failure& why);
    void bring_down_supervisor(const Unit& unit, StopMode mode, const Failure& why);
    void bring_down_all(StopMode mode, const Failure& why);
    void schedule_restart(const Unit& unit);
    void restart(const Unit& unit);
    void give_up(const Unit& unit);
    // Whether stopping an actor for good still owes it its after_stop (its run did not get to call it).
    enum class AfterStop { Skip, Run };
    void finish_actor(const Unit& unit, ExitReason reason, AfterStop after_stop = AfterStop::Skip);
    void restart_due(Clock::time_point now);
    void resize_due(Clock::time_point now);
    void resize(const std::shared_ptr<GroupCell>& group);
    void rehome_strays();
    void redeploy();
    void finish();

    bool any_stopping() const noexcept;
    Clock::time_point next_deadline() const noexcept;
    std::vector<Unit> targets(const Unit& failed) const;
    const Unit* find(const ActorCell* actor, const SupervisorCell* supervisor) const noexcept;

    template <class F>
    void callback(const char* which, F&& fn) const;

    std::shared_ptr<SupervisorCell> self_;
    State state_ = State::Running;
    StopMode stop_mode_ = StopMode::None;
    Failure failure_;  // why this supervisor restarts or gave up
    RestartWindow window_;
    std::vector<Unit> units_;  // every element's units, in start order
    std::unordered_map<const void*, std::size_t> index_;  // a unit's cell → its place in units_
    std::array<std::size_t, 8> count_{};                  // units in each Phase
    // Start order: units wait in start_queue_ (Phase::Starting) until the one started last has begun.
    std::deque<Unit> start_queue_;
    Unit starting_;  // started, not yet begun; a hole while none is
    bool announce_started_ = false;  // tell the parent once this (re)start's queue has drained
    // Failures of a one-for-all or rest-for-one supervisor that came while units were starting: handled once they
    // have all begun, so that each failure stops and restarts every affected unit exactly once.
    std::vector<Unit> deferred_failures_;
    // Elements added at run time that have ended for good, to forget at the next progress() (not in the middle of a
    // walk over units_). Forgetting one lets go of its cells at once and leaves holes in units_ and in the
    // supervisor's elements; once the holes are half of units_, one pass closes them all: memory does not grow with
    // churn, and each forgotten element costs amortized constant time.
    std::vector<Element> ended_;
    std::size_t holes_ = 0;
    struct Resized {                                      // a group with a resizer, and when to sample it next
        std::shared_ptr<GroupCell> group;
        Clock::time_point next_at;
    };
    std::vector<Resized> resized_;
    struct Strays {  // routed letters left in the mailbox of an actor that stopped for good
        std::shared_ptr<GroupCell> group;
        std::vector<LetterPtr> letters;
    };
    std::vector<Strays> strays_;
};

}  // namespace bastion::detail
