// Dispatchers: the handlers, the dispatch of `broadcast_message`, and joining or leaving by `notify`.

#include <bastion/context.hpp>
#include <bastion/dispatcher.hpp>

#include "actor/cells.hpp"
#include "actor/route.hpp"

namespace bastion {

bool DispatchedMessage::deliver_to(const ChildRef& member) const {
    auto inner = std::make_shared<SignedMessage>(std::make_unique<detail::BroadcastLetter>(sign_, payload_));
    return detail::deliver_routed(member.cell(),
                                  detail::make_letter(detail::MessageKind::Tell, sign_, std::move(inner))) == nullptr;
}

void RoundRobinHandler::notify(const ChildRef&, const DispatcherMap&, NotificationType) {}

std::size_t RoundRobinHandler::broadcast_message(const DispatcherMap& entries, const DispatchedMessage& message) {
    if (entries.empty()) return 0;
    const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (message.deliver_to(entries[(first + i) % entries.size()])) {
            if (i > 0) next_.fetch_add(i, std::memory_order_relaxed);  // keep the turn order past the skipped ones
            return 1;
        }
    }
    return 0;
}

void BroadcastAllHandler::notify(const ChildRef&, const DispatcherMap&, NotificationType) {}

std::size_t BroadcastAllHandler::broadcast_message(const DispatcherMap& entries, const DispatchedMessage& message) {
    std::size_t reached = 0;
    for (const ChildRef& member : entries) reached += message.deliver_to(member) ? 1 : 0;
    return reached;
}

namespace detail {

System* system_of(const GroupCell& group) noexcept {
    auto supervisor = group.supervisor.lock();
    return supervisor ? supervisor->system : nullptr;
}

System* system_of(const ActorCell& cell) noexcept {
    auto group = cell.group.lock();
    return group ? system_of(*group) : nullptr;
}

Dispatched dispatch(const ActorCell& from, const BroadcastTarget& target, const DispatchedMessage& message) {
    System* system = system_of(from);
    if (system == nullptr) return Dispatched::NoDispatcher;
    std::vector<std::shared_ptr<Route>> routes;
    if (target.is_all()) {
        routes = system->routes.dispatchers();
    } else if (auto route = system->routes.find_dispatcher(DispatcherType{target.group()}.name())) {
        routes.push_back(std::move(route));
    }
    if (routes.empty()) return Dispatched::NoDispatcher;
    std::size_t reached = 0;
    for (const auto& route : routes) {
        auto members = route->members();
        if (!members->empty()) reached += route->handler->broadcast_message(*members, message);
    }
    return reached > 0 ? Dispatched::Delivered : Dispatched::NoMember;
}

}  // namespace detail

void BastionContext::notify(const std::vector<DispatcherType>& dispatchers, NotificationType type) const {
    detail::System* system = detail::system_of(*current_.cell());
    if (system == nullptr) return;
    for (const DispatcherType& dispatcher : dispatchers) {
        auto route = system->routes.find_dispatcher(dispatcher.name());
        if (!route) continue;
        if (type == NotificationType::Register) {
            detail::subscribe_route(current_.cell(), route);
        } else {
            detail::unsubscribe_route(current_.cell(), route);
        }
    }
}

}  // namespace bastion
