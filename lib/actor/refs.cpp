// The refs and builders: thin handles on the cells.

#include <bastion/child_ref.hpp>
#include <bastion/children.hpp>
#include <bastion/children_ref.hpp>
#include <bastion/supervisor.hpp>
#include <bastion/supervisor_ref.hpp>

#include "actor/cells.hpp"
#include "actor/dead_letters.hpp"

namespace bastion {

namespace detail {

LetterPtr deliver(const std::shared_ptr<ActorCell>& to, LetterPtr letter) noexcept {
    LetterPtr refused;
    if (to == nullptr) {
        refused = std::move(letter);
    } else if (to->remote) [[unlikely]] {
        refused = to->remote->deliver(*to, std::move(letter));
    } else {
        refused = to->mailbox.push(std::move(letter));
    }
    if (refused) [[unlikely]] note_dead_letter(*refused, to ? &to->path : nullptr, DeadLetterReason::Returned);
    return refused;
}

bool broadcast_to(const GroupCell& group, const SharedPayload& payload) {
    bool reached = false;
    const auto elements = group.elements();
    for (const auto& cell : *elements) {
        if (LetterPtr refused = cell->mailbox.push(std::make_unique<BroadcastLetter>(RefAddr{}, payload))) {
            note_dead_letter(*refused, &cell->path, DeadLetterReason::Returned);
        } else {
            reached = true;
        }
    }
    return reached;
}

bool broadcast_to(const SupervisorCell& supervisor, const SharedPayload& payload) {
    bool reached = false;
    for (const Element& element : supervisor.elements()) {
        if (const auto* group = std::get_if<std::shared_ptr<GroupCell>>(&element)) {
            reached |= broadcast_to(**group, payload);
        } else {
            reached |= broadcast_to(*std::get<std::shared_ptr<SupervisorCell>>(element), payload);
        }
    }
    return reached;
}

namespace {

Result<void, void> request_stop(const std::shared_ptr<ActorCell>& cell, StopMode mode) {
    auto group = cell->group.lock();
    auto supervisor = group ? group->supervisor.lock() : nullptr;
    if (!supervisor || cell->mailbox.is_closed() || cell->stop_requested.exchange(true)) return Err();
    if (!supervisor->post(StopChild{cell, mode})) return Err();
    return Ok();
}

Result<void, void> request_stop(const std::shared_ptr<GroupCell>& group, StopMode mode) {
    auto supervisor = group->supervisor.lock();
    if (!supervisor || !supervisor->post(StopGroup{group, mode})) return Err();
    return Ok();
}

Result<void, void> request_stop(const std::shared_ptr<SupervisorCell>& supervisor, StopMode mode) {
    if (supervisor->finished.load(std::memory_order_acquire) || !supervisor->post(StopSelf{mode})) return Err();
    return Ok();
}

}  // namespace

std::shared_ptr<GroupCell> make_group(const std::shared_ptr<SupervisorCell>& supervisor, const ChildrenInit& init) {
    const BastionId id = BastionId::new_v4();
    auto cell = std::make_shared<GroupCell>(id, *supervisor->path.append(BastionPathElement::Children(id)), supervisor);
    (void)init(Children{cell});
    cell->build(cell);
    // Its actors are members of its routes from now on: what is routed to them before their first run waits in their
    // mailboxes, as any message sent before a start does.
    const auto elements = cell->elements();
    for (const auto& element : *elements) join_routes(element, *cell);
    return cell;
}

std::shared_ptr<SupervisorCell> make_supervisor(const std::shared_ptr<SupervisorCell>& parent, const BastionPath& at,
                                                const SupervisorInit& init) {
    const BastionId id = BastionId::new_v4();
    auto cell = std::make_shared<SupervisorCell>(id, *at.append(BastionPathElement::Supervisor(id)), parent,
                                                 parent->system);
    (void)init(Supervisor{cell});
    return cell;
}

}  // namespace detail

// ChildRef

const BastionId& ChildRef::id() const noexcept { return cell()->id; }
bool ChildRef::is_public() const noexcept { return true; }
const std::string& ChildRef::name() const noexcept { return cell()->name; }
const BastionPath& ChildRef::path() const noexcept { return cell()->path; }
Result<void, void> ChildRef::stop() const { return detail::request_stop(cell(), detail::StopMode::Stop); }
Result<void, void> ChildRef::kill() const { return detail::request_stop(cell(), detail::StopMode::Kill); }

const BastionPath& RefAddr::path() const noexcept {
    static const BastionPath dead_letters = BastionPath::dead_letters();
    return cell_ ? cell_->path : dead_letters;
}

// ChildrenRef

const BastionId& ChildrenRef::id() const noexcept { return cell_->id; }
const BastionPath& ChildrenRef::path() const noexcept { return cell_->path; }
const std::string& ChildrenRef::name() const noexcept { return cell_->name; }
std::vector<ChildRef> ChildrenRef::elems() const {
    auto elements = cell_->elements();
    return {elements->begin(), elements->end()};
}
const std::vector<Dispatcher>& ChildrenRef::dispatchers() const noexcept { return cell_->dispatchers; }
const std::vector<Distributor>& ChildrenRef::distributors() const noexcept { return cell_->distributors; }
Result<void, void> ChildrenRef::stop() const { return detail::request_stop(cell_, detail::StopMode::Stop); }
Result<void, void> ChildrenRef::kill() const { return detail::request_stop(cell_, detail::StopMode::Kill); }

// Children

Children Children::with_redundancy(std::size_t redundancy) const {
    cell_->redundancy = redundancy;
    return *this;
}
Children Children::with_name(std::string name) const {
    cell_->name = std::move(name);
    return *this;
}
Children Children::with_callbacks(Callbacks callbacks) const {
    cell_->callbacks = std::move(callbacks);
    return *this;
}
Children Children::with_heartbeat_tick(std::chrono::nanoseconds interval) const {
    cell_->heartbeat = interval;
    return *this;
}
Children Children::with_worker(std::size_t worker) const {
    cell_->worker = worker;
    return *this;
}
Children Children::with_dispatcher(Dispatcher dispatcher) const {
    if (detail::System* system = detail::system_of(*cell_)) {
        auto route = system->routes.dispatcher(dispatcher.dispatcher_type(), dispatcher.handler());
        route->declared.store(true, std::memory_order_release);
        cell_->routes.push_back(std::move(route));
    }
    cell_->dispatchers.push_back(std::move(dispatcher));
    return *this;
}
Children Children::with_distributor(Distributor distributor) const {
    if (detail::System* system = detail::system_of(*cell_)) {
        // By name in the group's own system (the Distributor may have been named before it existed).
        auto route = system->routes.distributor(distributor.name());
        route->declared.store(true, std::memory_order_release);
        cell_->routes.push_back(std::move(route));
    }
    cell_->distributors.push_back(std::move(distributor));
    return *this;
}
Children Children::with_resizer(OptimalSizeExploringResizer resizer) const {
    cell_->redundancy = resizer.lower_bound();
    cell_->resizer = resizer;
    return *this;
}
const BastionId& Children::id() const noexcept { return cell_->id; }
void Children::set_exec(detail::ExecFn exec) const { cell_->exec = std::move(exec); }

// SupervisorRef

const BastionId& SupervisorRef::id() const noexcept { return cell_->id; }
const BastionPath& SupervisorRef::path() const noexcept { return cell_->path; }
Result<SupervisorRef, void> SupervisorRef::supervisor(detail::SupervisorInit init) const {
    if (cell_->finished.load(std::memory_order_acquire)) return Err();
    auto child = detail::make_supervisor(cell_, cell_->path, init);
    child->dynamic = true;
    if (!cell_->add(child)) return Err();
    return Ok(SupervisorRef{std::move(child)});
}
Result<ChildrenRef, void> SupervisorRef::children(detail::ChildrenInit init) const {
    if (cell_->finished.load(std::memory_order_acquire)) return Err();
    auto group = detail::make_group(cell_, init);
    group->dynamic = true;
    if (!cell_->add(group)) return Err();
    return Ok(ChildrenRef{std::move(group)});
}
Result<void, void> SupervisorRef::strategy(SupervisionStrategy strategy) const {
    if (cell_->finished.load(std::memory_order_acquire) || !cell_->post(detail::SetStrategy{strategy})) return Err();
    return Ok();
}
Result<void, void> SupervisorRef::stop() const { return detail::request_stop(cell_, detail::StopMode::Stop); }
Result<void, void> SupervisorRef::kill() const { return detail::request_stop(cell_, detail::StopMode::Kill); }

// Supervisor

Supervisor Supervisor::children(detail::ChildrenInit init) const {
    (void)children_ref(std::move(init));
    return *this;
}
ChildrenRef Supervisor::children_ref(detail::ChildrenInit init) const {
    auto group = detail::make_group(cell_, init);
    (void)cell_->add(group);  // building: not deployed yet, so it cannot have ended
    return ChildrenRef{std::move(group)};
}
Supervisor Supervisor::supervisor(detail::SupervisorInit init) const {
    (void)supervisor_ref(std::move(init));
    return *this;
}
SupervisorRef Supervisor::supervisor_ref(detail::SupervisorInit init) const {
    auto child = detail::make_supervisor(cell_, cell_->path, init);
    (void)cell_->add(child);  // building: not deployed yet, so it cannot have ended
    return SupervisorRef{std::move(child)};
}
Supervisor Supervisor::with_strategy(SupervisionStrategy strategy) const {
    cell_->strategy = strategy;
    return *this;
}
Supervisor Supervisor::with_restart_strategy(RestartStrategy strategy) const {
    cell_->restart_strategy = std::move(strategy);
    return *this;
}
Supervisor Supervisor::with_callbacks(Callbacks callbacks) const {
    cell_->callbacks = std::move(callbacks);
    return *this;
}
const BastionId& Supervisor::id() const noexcept { return cell_->id; }

}  // namespace bastion
