#pragma once
// How a node finds the others: each configured provider (seeds, etcd, ...) announces this node and keeps a view of the
// nodes it knows. The node's maintainer reads every view each heartbeat interval and dials what it is not linked to;
// membership itself (Alive, Suspect, Down) is decided on the links.

#include <bastion/distributed/cluster_config.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bastion::distributed::detail {

/// A node as a provider announces it. A seed has only an address.
struct Advert {
    std::string name;
    std::string address;
    std::uint64_t incarnation = 0;
};

class Discovery {
public:
    virtual ~Discovery() = default;
    /// Announces this node and starts whatever the provider runs. Called once, before the first `view`.
    virtual void start(const Advert& self) = 0;
    /// The nodes the provider knows now (this node may be among them). Returns at once: the last view it has.
    virtual std::vector<Advert> view() = 0;
    /// Withdraws the announcement and stops. Idempotent; also done by the destructor.
    virtual void stop() noexcept = 0;
};

std::unique_ptr<Discovery> make_seeds_discovery(const Seeds& seeds);
/// Announces the node under `etcd.prefix` with a lease it renews and watches the prefix, on a thread of its own
/// (lib/distributed/etcd.cpp); errors go to stderr, once per change, and it retries until stopped.
std::unique_ptr<Discovery> make_etcd_discovery(const Etcd& etcd);
/// Publishes the node as a DNS-SD service and browses its type through the Avahi daemon, on an Avahi threaded poll of
/// its own (lib/distributed/zeroconf.cpp); errors go to stderr, once per change, and it reconnects until stopped.
std::unique_ptr<Discovery> make_zeroconf_discovery(const Zeroconf& zeroconf);

/// The providers `config` asks for, in a fixed order: seeds (if any), then etcd, then zeroconf (if configured).
std::vector<std::unique_ptr<Discovery>> make_discoveries(const ClusterConfig& config);

}  // namespace bastion::distributed::detail
