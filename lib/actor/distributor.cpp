// Distributors: naming one, and membership by subscription. The sends are templates in <bastion/distributor.hpp> over
// the route functions of route.cpp.

#include <bastion/distributor.hpp>

#include "actor/cells.hpp"
#include "actor/route.hpp"

namespace bastion {

Distributor Distributor::named(std::string_view name) {
    if (auto system = detail::current_system()) return Distributor{system->routes.distributor(name)};
    // No system: a route nobody declares, so every send says NoDistributor.
    return Distributor{std::make_shared<detail::Route>(std::string{name})};
}

const std::string& Distributor::name() const noexcept { return route_->name; }

Result<void, SendError> Distributor::subscribe(const ChildRef& member) const {
    route_->declared.store(true, std::memory_order_release);
    detail::subscribe_route(member.cell(), route_);
    return Ok();
}

Result<void, SendError> Distributor::unsubscribe(const ChildRef& member) const {
    detail::unsubscribe_route(member.cell(), route_);
    return Ok();
}

}  // namespace bastion
