#include "distributed/discovery.hpp"

namespace bastion::distributed::detail {

std::vector<std::unique_ptr<Discovery>> make_discoveries(const ClusterConfig& config) {
    std::vector<std::unique_ptr<Discovery>> providers;
    if (!config.seeds.addresses.empty()) providers.push_back(make_seeds_discovery(config.seeds));
    if (config.etcd) providers.push_back(make_etcd_discovery(*config.etcd));
    if (config.zeroconf) providers.push_back(make_zeroconf_discovery(*config.zeroconf));
    return providers;
}

}  // namespace bastion::distributed::detail
