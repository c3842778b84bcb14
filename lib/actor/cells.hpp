#pragma once
// The runtime's side of the actor tree: one cell per actor, children group and supervisor. Refs point at cells, so
// they stay valid across restarts; a supervisor's lightproc owns the lifecycle fields of the cells below it.

#include <bastion/callbacks.hpp>
#include <bastion/children.hpp>
#include <bastion/config.hpp>
#include <bastion/detail/mailbox.hpp>
#include <bastion/executor/executor.hpp>
#include <bastion/failure.hpp>
#include <bastion/path.hpp>
#include <bastion/restart_strategy.hpp>
#include <bastion/supervision_strategy.hpp>
#include <bastion/terminated.hpp>

#include "actor/death_watch.hpp"
#include "actor/remote_link.hpp"
#include "actor/route.hpp"
#include "executor/spinlock.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bastion::detail {

using Clock = std::chrono::steady_clock;

class GroupCell;
class SupervisorCell;
struct System;

/// How an actor or supervisor is being brought down.
enum class StopMode : std::uint8_t {
    None,
    Stop,     // for good, with callbacks
    Kill,     // for good, without callbacks
    Restart,  // to be restarted (a sibling failed, or the supervisor restarts)
};

/// Where a unit (an actor, or a supervisor seen from its parent) is in its life. Only the supervisor touches it.
enum class Phase : std::uint8_t {
    Idle,            // built, not started yet
    Starting,        // waits for the units before it to begin (start order), then starts
    Running,
    Stopping,        // cancelled, waiting for its lightproc to end
    AwaitingRestart, // down, restarts with the next batch
    BackingOff,      // down, restarts at restart_at
    Escalated,       // a supervisor that gave up: down, waiting for its parent's decision
    Stopped,         // down for good
};

/// The lifecycle fields a supervisor keeps for each unit below it.
struct UnitState {
    Phase phase = Phase::Idle;
    StopMode stopping = StopMode::None;
    std::size_t restarts = 0;          // lifetime count, for RestartPolicy::Tries
    Clock::time_point restart_at{};    // BackingOff only
    Failure failure;                   // why it is (being) restarted
    bool before_restart_ran = false;   // its stopping run already called before_restart
    bool fresh_start = false;          // Starting only: its start is a first one (before_start), not a restart
};

/// An actor's membership in routes (actor/route.hpp), under `lock`: whether its run is a member of its routes now,
/// and the routes it joined itself (subscribe, notify), which it keeps across restarts.
struct RouteMembership {
    std::mutex lock;
    bool joined = false;
    std::vector<std::shared_ptr<Route>> own;
};

/// What a resizer measures of one member of its group (all relaxed counters; nothing here orders other memory).
struct Metering {
    // Its group has a resizer: routed letters to it are counted (set once, before the cell is shared).
    bool on = false;
    // Counted routed letters waiting in its mailbox (the resizer's backlog measure), and ever delivered.
    std::atomic<std::int64_t> backlog{0};
    std::atomic<std::uint64_t> routed_total{0};
    // Being removed by the resizer: it left its routes and stops once it reads the Retire letter behind the messages
    // already in its mailbox. Set by the supervisor, cleared when it stops for good.
    std::atomic<bool> retiring{false};
    // routed_total at the resizer's last sample (the supervisor's lightproc only).
    std::uint64_t routed_seen = 0;
};

class ActorCell {
public:
    ActorCell(BastionId id, BastionPath path, std::string name, std::weak_ptr<GroupCell> group) noexcept
        : id{id}, path{std::move(path)}, name{std::move(name)}, group{std::move(group)} {}

    const BastionId id;
    const BastionPath path;
    const std::string name;  // its group's, copied: a ChildRef may outlive the group
    const std::weak_ptr<GroupCell> group;
    Mailbox mailbox;
    // Set (before it is shared) on a proxy for an actor on another node: letters go there, the mailbox stays unused.
    std::shared_ptr<RemoteLink> remote;

    // Who is told `Terminated` when this actor stops for good.
    DeathWatch watch;
    // Its membership in dispatchers and distributors.
    RouteMembership routes;
    // What its group's resizer measures of it.
    Metering meter;
    // A stop or kill was asked for through a ref: a second one is refused. Cleared when it starts again.
    std::atomic<bool> stop_requested{false};

    // Owned by the supervisor's lightproc.
    UnitState unit;
    std::uint64_t incarnation = 0;
    executor::RecoverableHandle<void> run;
    std::atomic<StopMode> stop_mode{StopMode::None};  // read by the actor's lightproc as it unwinds
};

class GroupCell {
public:
    GroupCell(BastionId id, BastionPath path, std::weak_ptr<SupervisorCell> supervisor) noexcept
        : id{id}, path{std::move(path)}, supervisor{std::move(supervisor)} {}

    const BastionId id;
    const BastionPath path;
    const std::weak_ptr<SupervisorCell> supervisor;

    using Elements = std::vector<std::shared_ptr<ActorCell>>;

    // Set while building, read-only once built.
    std::string name = "__Anonymous__";
    ExecFn exec = [](BastionContext) -> Exec { return Ok(); };  // as upstream: a group without an exec is done at once
    std::size_t redundancy = 1;
    Callbacks callbacks;
    std::vector<Dispatcher> dispatchers;
    std::vector<Distributor> distributors;
    std::vector<std::shared_ptr<Route>> routes;  // what its actors join: its dispatchers' and distributors'
    std::optional<OptimalSizeExploringResizer> resizer;
    std::chrono::nanoseconds heartbeat = std::chrono::seconds{60};
    std::optional<std::size_t> worker;  // the executor worker its actors are bound to, if any

    /// Creates the elements (once the builder closure has returned).
    void build(const std::shared_ptr<GroupCell>& self);
    /// The elements now, in start order (never null). Fixed unless the group has a resizer.
    std::shared_ptr<const Elements> elements() const noexcept;
    /// A new element, not yet one of `elements()`.
    std::shared_ptr<ActorCell> make_element(const std::shared_ptr<GroupCell>& self) const;
    /// Replaces the elements (the supervisor's lightproc, resizing).
    void set_elements(Elements elements);

    // Added at run time (Bastion::children, SupervisorRef::children), not in its supervisor's builder: forgotten by its
    // supervisor once every actor of it has ended for good (set before it is added).
    bool dynamic = false;
    // Its place in its supervisor's elements (under the supervisor's lock).
    std::size_t slot = 0;

    // Who is told `GroupTerminated` once every actor of it has stopped for good (not for a group with a resizer).
    DeathWatch watch;

    // Owned by the supervisor's lightproc: stopped for good through its ChildrenRef (the resizer leaves it alone).
    bool stopped = false;
    // Owned by the supervisor's lightproc: its actors in Phase::Stopped (not counted for a group with a resizer).
    std::size_t stopped_units = 0;
    /// Every actor of it has stopped for good (never true for a group with a resizer). Its supervisor's lightproc.
    bool ended() const noexcept { return !resizer && stopped_units == elements()->size(); }

private:
    mutable executor::detail::Spinlock lock_;
    std::shared_ptr<const Elements> elements_ = std::make_shared<const Elements>();  // under lock_
};

using Element = std::variant<std::shared_ptr<GroupCell>, std::shared_ptr<SupervisorCell>>;

// What a supervisor's lightproc is told.
enum class Outcome : std::uint8_t { Returned, Failed, Cancelled };
struct ChildExited {
    std::shared_ptr<ActorCell> cell;
    std::uint64_t incarnation;
    Outcome outcome;
    Failure failure;
    // The actor had started (this run ran, or an earlier one) but this run ended without calling after_stop or
    // before_restart: it ended on its own, or never started, before it saw why it was cancelled.
    bool owes_goodbye;
};
// A unit has begun: an actor's run is about to enter its exec (its start callbacks have run), or a child
// supervisor has started everything below it. The next unit in start order may start.
struct UnitStarted {
    std::shared_ptr<ActorCell> actor;
    std::shared_ptr<SupervisorCell> supervisor;
    std::uint64_t incarnation;  // the actor's run
};
struct StopChild {
    std::shared_ptr<ActorCell> cell;
    StopMode mode;
};
struct StopGroup {
    std::shared_ptr<GroupCell> group;
    StopMode mode;
};
struct Deploy {
    Element element;
};
struct SetStrategy {
    SupervisionStrategy strategy;
};
struct StopSelf {
    StopMode mode;
};
struct RestartSelf {
    Failure failure;
};
struct SupervisorDown {  // from a child supervisor: stopped for good, or gave up (escalated)
    std::shared_ptr<SupervisorCell> child;
    bool escalated;
    Failure failure;
};
using Event = std::variant<ChildExited, UnitStarted, StopChild, StopGroup, Deploy, SetStrategy, StopSelf, RestartSelf, SupervisorDown>;

class SupervisorCell : public std::enable_shared_from_this<SupervisorCell> {
public:
    SupervisorCell(BastionId id, BastionPath path, std::weak_ptr<SupervisorCell> parent, System* system) noexcept
        : id{id}, path{std::move(path)}, parent{std::move(parent)}, system{system} {}

    const BastionId id;
    const BastionPath path;
    const std::weak_ptr<SupervisorCell> parent;
    System* const system;

    // Set while building; afterwards only its own lightproc changes them.
    SupervisionStrategy strategy = SupervisionStrategy::OneForOne;
    RestartStrategy restart_strategy;
    Callbacks callbacks;

    /// Adds an element: part of the first deployment, or deployed at once if already running. False if this
    /// supervisor has ended: the element is then ended too (its mailboxes refuse sends, its watchers are told).
    [[nodiscard]] bool add(Element element);
    /// Snapshot of the elements, in start order.
    std::vector<Element> elements() const;
    /// Lets go of `element` (its own lightproc, once the element has ended for good): its place stays, empty, until
    /// `compact`.
    void forget(const Element& element);
    /// Closes the empty places `forget` left (its own lightproc).
    void compact();

    /// Hands an event to its lightproc. False if it has ended for good.
    bool post(Event event);

    /// Starts its lightproc on the system's executor.
    void launch();

    // Added at run time (Bastion::supervisor, SupervisorRef::supervisor): forgotten by its parent once it has stopped
    // for good (set before it is added).
    bool dynamic = false;
    // Its place in its parent's elements (under the parent's lock).
    std::size_t slot = 0;

    // Who is told `SupervisorTerminated` when it stops for good, and `SupervisorGaveUp` each time it escalates.
    DeathWatch watch;

    // Owned by the parent's lightproc: this supervisor as a unit of its parent.
    UnitState unit;
    // Set by its own lightproc when it ends for good.
    std::atomic<bool> finished{false};

private:
    friend class SupervisorRun;
    mutable std::mutex lock_;
    std::vector<Element> elements_;  // in start order; an element forgotten leaves an empty one until compact()
    bool deployed_ = false;  // under lock_: later adds are deployed through an event
    Mailbox control_;
};

/// The process's system (one at a time; a stopped one may be replaced by a fresh one).
struct System {
    explicit System(Config config);
    System(const System&) = delete;
    System& operator=(const System&) = delete;
    /// Joins the executor first: its lightprocs still reach this system's members as they end.
    ~System();

    Config config;
    Routes routes;  // before the executor: lightprocs still leave their routes as the executor joins them
    std::unique_ptr<executor::Executor> executor;
    std::shared_ptr<SupervisorCell> root;

    std::mutex lock;
    std::condition_variable changed;
    bool started = false;
    bool stopped = false;
    bool reaped = false;

    /// Called by the root supervisor's lightproc as it ends.
    void on_stopped();
    /// Reports a failure on stderr, unless backtraces are hidden.
    void report(const std::string& line) const;
    /// Reports the exception being handled, thrown by callback `which` of the element at `path`.
    void report_callback_failure(const char* which, const BastionPath& path) const;
};

/// Runs one hook of `callbacks` (`hook(callbacks)`) for the element at `path`. A callback that throws is reported and
/// otherwise ignored: it must not take a lifecycle down with it.
template <class Hook>
void run_callback(const System& system, const char* which, const BastionPath& path, const Callbacks& callbacks,
                  Hook&& hook) noexcept {
    try {
        hook(callbacks);
    } catch (const executor::ProcCancelled&) {
    } catch (...) {
        system.report_callback_failure(which, path);
    }
}

/// Ends an actor for good: its mailbox refuses sends and drops what it held (asks among them resolve to an error),
/// and its watchers are told `reason`. Idempotent.
void terminate_actor(const std::shared_ptr<ActorCell>& cell, ExitReason reason);
/// Tells the watchers of `group` that it has ended (every actor of it stopped for good), once.
void end_group(const std::shared_ptr<GroupCell>& group, ExitReason reason);
/// Ends every actor of `element` (a group, or everything below a supervisor) that never started or has ended:
/// an element that will never run must not take sends.
void terminate_element(const Element& element, ExitReason reason);

/// The system a group or an actor belongs to (null once its supervisor is gone).
System* system_of(const GroupCell& group) noexcept;
System* system_of(const ActorCell& cell) noexcept;

/// The current system, or null before `Bastion::init`.
std::shared_ptr<System> current_system();

/// Builds a children group under `supervisor` from `init` (not yet added to it).
std::shared_ptr<GroupCell> make_group(const std::shared_ptr<SupervisorCell>& supervisor, const ChildrenInit& init);
/// Builds a supervisor under `parent`, its path under `at`, from `init` (not yet added to it).
std::shared_ptr<SupervisorCell> make_supervisor(const std::shared_ptr<SupervisorCell>& parent, const BastionPath& at,
                                                const SupervisorInit& init);

}  // namespace bastion::detail
