#include <bastion/bastion.hpp>
#include <bastion/context.hpp>
#include <bastion/distributed/cluster.hpp>

#include "distributed/node.hpp"

#include <mutex>
#include <ostream>
#include <stdexcept>

namespace bastion::distributed {

std::ostream& operator<<(std::ostream& out, MemberState state) {
    switch (state) {
        case MemberState::Alive: return out << "Alive";
        case MemberState::Suspect: return out << "Suspect";
        case MemberState::Down: return out << "Down";
    }
    return out;
}

std::ostream& operator<<(std::ostream& out, LookupError error) {
    switch (error) {
        case LookupError::UnknownNode: return out << "UnknownNode";
        case LookupError::NotFound: return out << "NotFound";
        case LookupError::Unreachable: return out << "Unreachable";
    }
    return out;
}

Result<Cluster, io::Error> Cluster::join(ClusterConfig config) {
    auto system = bastion::detail::current_system();
    if (!system) throw std::logic_error{"bastion: Cluster::join needs a system: call Bastion::init first"};
    static std::mutex joining;  // one join at a time, so two cannot both find no node
    std::lock_guard guard{joining};
    if (auto node = detail::Node::current()) {
        throw std::logic_error{"bastion: this system already joined a cluster (as " + node->name + ")"};
    }
    auto listener = io::Handle<io::TcpListener>::bind(io::SocketAddr{config.listen});
    if (listener.is_err()) return Err(std::move(listener).unwrap_err());
    auto bound = listener.unwrap().local_addr();
    if (bound.is_err()) return Err(std::move(bound).unwrap_err());
    auto node = std::make_shared<detail::Node>(std::move(config), system, std::move(listener).unwrap(),
                                               bound.unwrap().to_string());
    node->start();
    // The node leaves with its system: an actor of the system's own says goodbye to the members as it stops.
    (void)Bastion::children([node](Children children) {
        return children.with_name("bastion::cluster")
            .with_exec([](BastionContext ctx) -> Exec {
                for (;;) (void)ctx.recv();
            })
            .with_callbacks(Callbacks{}.with_after_stop([node] { node->leave(); }));
    });
    detail::Node::set_current(node);
    return Ok(Cluster{std::move(node)});
}

const std::string& Cluster::name() const noexcept { return node_->name; }
const std::string& Cluster::address() const noexcept { return node_->address; }
std::uint64_t Cluster::incarnation() const noexcept { return node_->incarnation; }
std::vector<Member> Cluster::members() const { return node_->members(); }
bool Cluster::wait_for_members(std::size_t count, std::chrono::milliseconds timeout) const {
    return node_->wait_for_members(count, timeout);
}
void Cluster::register_name(const std::string& name, const ChildRef& actor) const {
    node_->register_name(name, actor.cell());
}
bool Cluster::unregister_name(const std::string& name) const { return node_->unregister_name(name); }
Result<RefAddr, LookupError> Cluster::whereis(const std::string& node, const std::string& name,
                                              std::chrono::milliseconds timeout) const {
    return node_->whereis(node, name, timeout);
}
void Cluster::subscribe(const ChildRef& actor) const { node_->subscribe(actor.addr()); }
void Cluster::leave() const { node_->leave(); }

}  // namespace bastion::distributed
