#include <bastion/distributed/distributed_context.hpp>

#include "distributed/node.hpp"

namespace bastion::distributed {

std::string node_of(const RefAddr& addr) {
    const auto& cell = addr.cell();
    if (!cell) return {};
    if (cell->remote) return static_cast<const detail::ProxyLink&>(*cell->remote).peer->name;
    return detail::Node::local_name();
}

std::vector<Member> DistributedContext::members() const {
    auto all = cluster_.members();
    std::erase_if(all, [](const Member& member) { return member.state == MemberState::Down; });
    return all;
}

RefAddr DistributedContext::actor_of(const std::string& member, bool refresh) const {
    {
        std::lock_guard guard{peers_->lock};
        if (auto found = peers_->actors.find(member); found != peers_->actors.end() && !refresh) return found->second;
    }
    auto found = cluster_.whereis(member, distributed_actor_name);
    if (found.is_err()) return RefAddr{};
    std::lock_guard guard{peers_->lock};
    return peers_->actors.insert_or_assign(member, found.unwrap()).first->second;
}

ClusterMessage DistributedContext::recv() const {
    SignedMessage message = ctx_.recv();
    std::string member = node_of(message.signature());
    auto [msg, sign] = std::move(message).extract();
    return ClusterMessage{std::move(msg), std::move(member)};
}

}  // namespace bastion::distributed
