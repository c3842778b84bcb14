#pragma once
/// \file
/// ClusterConfig: how a node names itself, where it listens, how it finds the others and how fast it gives up on them.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace bastion::distributed {

/// Discovery from a fixed list of `host:port` addresses, as Akka's seed nodes: the node dials every seed that is not
/// itself (retrying while it is unreachable), and each link gossips the members it knows, so the cluster forms a full
/// mesh as long as every node lists one seed that is up.
struct Seeds {
    /// The seeds' listen addresses (`127.0.0.1:7000`, `[::1]:7000`). The node's own address may be among them.
    std::vector<std::string> addresses;
};

/// Discovery through etcd (v3, through its HTTP/JSON gateway): each node keeps a key under `prefix`, bound to a lease
/// it renews, and watches the prefix. A node that crashes vanishes from the others' view when its lease expires;
/// etcd does the agreeing, this layer only reads it.
struct Etcd {
    /// Client URLs of the etcd cluster (`http://127.0.0.1:2379`); tried in turn.
    std::vector<std::string> endpoints{"http://127.0.0.1:2379"};
    /// Where the nodes of this cluster keep their keys.
    std::string prefix = "/bastion/nodes/";
    /// The lease's time to live: how long a crashed node stays listed.
    std::chrono::seconds ttl{5};
};

/// Discovery through zeroconf (DNS-SD over multicast DNS), as Avahi's client library speaks it: each node publishes a
/// service of type `service` named after itself, with TXT records `name` and `incarnation` and its listen port (the
/// address records are the host's, published by the Avahi daemon), and browses that type. A node that exits is
/// withdrawn at once by its daemon; one whose host vanishes lingers until its records expire, which only costs redials.
///
/// Needs a running avahi-daemon reachable on the system D-Bus (`DBUS_SYSTEM_BUS_ADDRESS` overrides where that is);
/// while there is none the provider says so on stderr and waits for one. Reaches only the links the daemon uses (a LAN
/// segment): nodes on other subnets need seeds or etcd. The node must listen on an address the others can reach
/// through those links (not `127.0.0.1`), since the address they dial is the host's, with the listen address's port.
struct Zeroconf {
    /// The DNS-SD service type the nodes publish and browse; nodes of one cluster must agree on it.
    std::string service = "_bastion._tcp";
    /// The DNS-SD domain to publish in and browse. Empty: the daemon's default, `local` (multicast DNS).
    std::string domain;
};

/// Everything `Cluster::join` needs.
struct ClusterConfig {
    /// This node's name, unique in the cluster. Empty: the listen address once bound (`127.0.0.1:40123`).
    std::string node_name;
    /// The cluster's name: nodes of different clusters refuse each other's links.
    std::string cluster = "bastion";
    /// Where to listen for other nodes. Port 0 picks a free one (read it back with `Cluster::address`).
    std::string listen = "127.0.0.1:0";
    /// Discovery from fixed addresses (may be combined with the providers below).
    Seeds seeds;
    /// Discovery through etcd, if set.
    std::optional<Etcd> etcd;
    /// Discovery through zeroconf (Avahi), if set.
    std::optional<Zeroconf> zeroconf;
    /// How often a link proves it is alive when it has nothing else to send. Erlang: `net_ticktime / 4`.
    std::chrono::milliseconds heartbeat_interval{250};
    /// A member silent this long is Down (Suspect after half of it). Erlang: `net_ticktime`.
    std::chrono::milliseconds heartbeat_timeout{2000};
    /// The largest frame a link accepts; a bigger one closes the link as malformed.
    std::size_t max_frame_size = std::size_t{16} << 20;
};

}  // namespace bastion::distributed
