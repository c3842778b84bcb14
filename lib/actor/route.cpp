#include "actor/route.hpp"

#include "actor/cells.hpp"

#include <bastion/executor/this_proc.hpp>

#include <algorithm>

namespace bastion::detail {

// Route

void Route::publish(std::shared_ptr<const Members> members) noexcept {
    std::lock_guard guard{lock_};
    members_.swap(members);
}  // the old list is released here, outside the spinlock

void Route::notify(const ChildRef& member, const Members& members, NotificationType type) const {
    if (handler) handler->notify(member, members, type);
}

void Route::add(const ChildRef& member) {
    std::lock_guard writer{writers_};
    auto current = this->members();
    if (std::find(current->begin(), current->end(), member) != current->end()) return;
    auto next = std::make_shared<Members>(*current);
    next->push_back(member);
    publish(next);
    notify(member, *next, NotificationType::Register);
    if (table_) {
        if (auto observer = table_->observer()) observer->changed(name, member, true);
    }
}

void Route::remove(const ChildRef& member) {
    std::lock_guard writer{writers_};
    auto current = this->members();
    auto it = std::find(current->begin(), current->end(), member);
    if (it == current->end()) return;
    auto next = std::make_shared<Members>(*current);
    next->erase(next->begin() + (it - current->begin()));
    publish(next);
    notify(member, *next, NotificationType::Remove);
    if (table_) {
        if (auto observer = table_->observer()) observer->changed(name, member, false);
    }
}

std::shared_ptr<const Route::Members> Route::members() const noexcept {
    std::lock_guard guard{lock_};
    return members_;
}

Route::Pick Route::next() noexcept {
    std::lock_guard guard{lock_};
    const Members& members = *members_;
    if (members.empty()) return {};
    if (next_ >= members.size()) next_ = 0;  // the list shrank since the last pick
    return {members[next_++].cell(), members.size()};
}

// Routes

std::shared_ptr<Route> Routes::distributor(std::string_view name) {
    std::lock_guard guard{lock_};
    auto& route = distributors_[std::string{name}];
    if (!route) route = std::make_shared<Route>(std::string{name}, this);
    return route;
}

std::shared_ptr<Route> Routes::dispatcher(const DispatcherType& type, const std::shared_ptr<DispatcherHandler>& handler) {
    std::lock_guard guard{lock_};
    auto& route = dispatchers_[type.name()];
    if (!route) {
        route = std::make_shared<Route>(type.name());
        route->handler = handler ? handler : std::make_shared<DefaultDispatcherHandler>();
    }
    return route;
}

std::shared_ptr<Route> Routes::find_dispatcher(const std::string& name) const {
    std::lock_guard guard{lock_};
    auto it = dispatchers_.find(name);
    return it == dispatchers_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Route>> Routes::dispatchers() const {
    std::lock_guard guard{lock_};
    std::vector<std::shared_ptr<Route>> all;
    all.reserve(dispatchers_.size());
    for (const auto& [name, route] : dispatchers_) all.push_back(route);
    return all;
}

std::vector<std::shared_ptr<Route>> Routes::distributors() const {
    std::lock_guard guard{lock_};
    std::vector<std::shared_ptr<Route>> all;
    all.reserve(distributors_.size());
    for (const auto& [name, route] : distributors_) all.push_back(route);
    return all;
}

void Routes::set_observer(std::shared_ptr<RouteObserver> observer) {
    std::lock_guard guard{lock_};
    observer_ = std::move(observer);
}

std::shared_ptr<RouteObserver> Routes::observer() const {
    std::lock_guard guard{lock_};
    return observer_;
}

// Membership

void join_routes(const std::shared_ptr<ActorCell>& cell, const GroupCell& group) {
    if (cell->meter.retiring.load(std::memory_order_acquire)) return;  // restarted before it read its Retire letter
    std::lock_guard lock{cell->routes.lock};
    cell->routes.joined = true;
    if (group.routes.empty() && cell->routes.own.empty()) return;
    const ChildRef self{cell};
    for (const auto& route : group.routes) route->add(self);
    for (const auto& route : cell->routes.own) route->add(self);
}

void leave_routes(const std::shared_ptr<ActorCell>& cell, const GroupCell& group) {
    std::lock_guard lock{cell->routes.lock};
    if (!cell->routes.joined) return;
    cell->routes.joined = false;
    const ChildRef self{cell};
    for (const auto& route : group.routes) route->remove(self);
    for (const auto& route : cell->routes.own) route->remove(self);
}

void subscribe_route(const std::shared_ptr<ActorCell>& cell, const std::shared_ptr<Route>& route) {
    std::lock_guard lock{cell->routes.lock};
    if (std::find(cell->routes.own.begin(), cell->routes.own.end(), route) == cell->routes.own.end()) {
        cell->routes.own.push_back(route);
    }
    if (cell->routes.joined) route->add(ChildRef{cell});
}

void unsubscribe_route(const std::shared_ptr<ActorCell>& cell, const std::shared_ptr<Route>& route) {
    std::lock_guard lock{cell->routes.lock};
    std::erase(cell->routes.own, route);
    route->remove(ChildRef{cell});
}

void send_retire(const std::shared_ptr<ActorCell>& cell) noexcept {
    LetterPtr letter = make_letter(MessageKind::Tell, RefAddr{}, Retire{});
    letter->routed = true;  // so that the receive path, which looks at routed letters only, sees it
    (void)cell->mailbox.push(std::move(letter));  // refused: it has stopped already
}

void settle_routed(const std::shared_ptr<ActorCell>& receiver, const Letter& letter) {
    if (*letter.type != typeid(Retire)) {
        if (receiver->meter.on) receiver->meter.backlog.fetch_sub(1, std::memory_order_relaxed);
        return;
    }
    (void)ChildRef{receiver}.stop();
    // Read nothing more: what arrives meanwhile goes to a sibling when the mailbox closes. The stop cancels this wait.
    for (;;) executor::this_proc::sleep_for(std::chrono::hours{1});
}

// The send side (declared in <bastion/distributor.hpp>)

LetterPtr deliver_routed(const std::shared_ptr<ActorCell>& to, LetterPtr letter) noexcept {
    if (to->remote) return deliver(to, std::move(letter));  // a member on another node: over the wire, uncounted
    letter->routed = true;
    if (!to->meter.on) {
        LetterPtr refused = to->mailbox.push(std::move(letter));
        if (refused) refused->routed = false;
        return refused;
    }
    // Counted before the push, so that the receiver never settles a letter not yet counted; taken back if refused.
    to->meter.backlog.fetch_add(1, std::memory_order_relaxed);
    if (LetterPtr refused = to->mailbox.push(std::move(letter))) {
        to->meter.backlog.fetch_sub(1, std::memory_order_relaxed);
        refused->routed = false;
        return refused;
    }
    to->meter.routed_total.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
}

std::optional<Answer> ask_routed(const std::shared_ptr<ActorCell>& to, LetterPtr& letter) {
    auto answer = std::make_shared<AnswerState>(RefAddr{to});
    letter->answer = answer;
    if (LetterPtr refused = deliver_routed(to, std::move(letter))) {
        refused->answer.reset();  // nobody waits on it yet: nothing to abandon
        letter = std::move(refused);
        return std::nullopt;
    }
    return Answer{std::move(answer)};
}

std::shared_ptr<const std::vector<ChildRef>> route_members(const Route& route) noexcept {
    if (!route.declared.load(std::memory_order_acquire)) return nullptr;
    return route.members();
}

SendError route_error(const Route& route, LetterPtr letter) {
    if (!route.declared.load(std::memory_order_acquire)) return SendError::NoDistributor(route.name, Msg{std::move(letter)});
    return SendError::EmptyRecipient(Msg{std::move(letter)});
}

// Both try members in turn until one takes the letter, at most as many times as the route has members, so a member
// that stops meanwhile is skipped and a route that empties ends the loop.

Result<void, SendError> route_tell(Route& route, LetterPtr letter) {
    if (route.declared.load(std::memory_order_acquire)) {
        for (std::size_t tries = 0;; ++tries) {
            auto [member, members] = route.next();
            if (tries >= members) break;  // also ends an empty route
            letter = deliver_routed(member, std::move(letter));
            if (!letter) return Ok();
        }
    }
    return Err(route_error(route, std::move(letter)));
}

Result<Answer, SendError> route_ask(Route& route, LetterPtr letter) {
    if (route.declared.load(std::memory_order_acquire)) {
        for (std::size_t tries = 0;; ++tries) {
            auto [member, members] = route.next();
            if (tries >= members) break;
            if (auto answer = ask_routed(member, letter)) return Ok(std::move(*answer));
        }
    }
    return Err(route_error(route, std::move(letter)));
}

}  // namespace bastion::detail
