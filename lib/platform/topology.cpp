#include <bastion/platform/topology.hpp>

#include <hwloc.h>
#include <pthread.h>
#include <sched.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

namespace bastion::platform {

struct Topology::Hwloc {
    hwloc_topology_t topology = nullptr;
    ~Hwloc() {
        if (topology != nullptr) hwloc_topology_destroy(topology);
    }
};

namespace {

bool hwloc_wanted() {
    const char* env = std::getenv("BASTION_HWLOC");
    return env == nullptr || std::strcmp(env, "0") != 0;
}

unsigned ancestor_index(hwloc_topology_t topo, hwloc_obj_t pu, hwloc_obj_type_t type) {
    hwloc_obj_t obj = hwloc_get_ancestor_obj_by_type(topo, type, pu);
    return obj != nullptr ? obj->logical_index : 0;
}

// The last-level cache above a PU: the highest cache level that has one.
unsigned last_level_cache(hwloc_topology_t topo, hwloc_obj_t pu) {
    for (hwloc_obj_type_t type : {HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L1CACHE}) {
        if (hwloc_obj_t obj = hwloc_get_ancestor_obj_by_type(topo, type, pu)) return obj->logical_index;
    }
    return 0;
}

}  // namespace

const Topology& Topology::machine() {
    static const Topology topology{hwloc_wanted()};
    return topology;
}

Topology::Topology(bool use_hwloc) {
    if (use_hwloc) {
        auto h = std::make_unique<Hwloc>();
        if (hwloc_topology_init(&h->topology) == 0 && hwloc_topology_load(h->topology) == 0) {
            hwloc_topology_t topo = h->topology;
            const int count = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
            for (int i = 0; i < count; ++i) {
                hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
                units_.push_back(ProcessingUnit{pu->os_index, ancestor_index(topo, pu, HWLOC_OBJ_CORE),
                                                last_level_cache(topo, pu),
                                                ancestor_index(topo, pu, HWLOC_OBJ_NUMANODE)});
            }
            const int nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
            numa_nodes_ = nodes > 0 ? static_cast<std::size_t>(nodes) : 1;
            if (!units_.empty()) hwloc_ = std::move(h);
        }
    }
    if (hwloc_ == nullptr) {
        units_.clear();
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof(set), &set) == 0) {
            for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
                if (CPU_ISSET(cpu, &set)) {
                    const auto n = static_cast<unsigned>(units_.size());
                    units_.push_back(ProcessingUnit{cpu, n, n, 0});
                }
            }
        }
        if (units_.empty()) units_.push_back(ProcessingUnit{});
        numa_nodes_ = 1;
    }
}

Topology::~Topology() = default;

Distance Topology::distance(std::size_t a, std::size_t b) const noexcept {
    const ProcessingUnit& x = units_[a % units_.size()];
    const ProcessingUnit& y = units_[b % units_.size()];
    if (x.core == y.core) return Distance::SameCore;
    if (x.cache == y.cache) return Distance::SameCache;
    if (x.numa_node == y.numa_node) return Distance::SameNumaNode;
    return Distance::Remote;
}

bool Topology::pin_current_thread(std::size_t unit) const noexcept {
    const ProcessingUnit& pu = units_[unit % units_.size()];
    if (hwloc_ != nullptr) {
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        hwloc_bitmap_only(set, pu.os_index);
        const int rc = hwloc_set_cpubind(hwloc_->topology, set, HWLOC_CPUBIND_THREAD);
        hwloc_bitmap_free(set);
        return rc == 0;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(pu.os_index, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

std::string Topology::describe() const {
    std::set<unsigned> cores, caches;
    for (const ProcessingUnit& pu : units_) {
        cores.insert(pu.core);
        caches.insert(pu.cache);
    }
    std::ostringstream out;
    out << "topology (" << (from_hwloc() ? "hwloc" : "flat fallback") << "): " << units_.size() << " PU, "
        << cores.size() << " cores, " << caches.size() << " last-level caches, " << numa_nodes_ << " NUMA nodes\n";
    for (std::size_t i = 0; i < units_.size(); ++i) {
        const ProcessingUnit& pu = units_[i];
        out << "  PU#" << i << " cpu " << pu.os_index << " core " << pu.core << " cache " << pu.cache << " node "
            << pu.numa_node << '\n';
    }
    return out.str();
}

}  // namespace bastion::platform
