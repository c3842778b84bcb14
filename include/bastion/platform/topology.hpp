#pragma once
/// \file
/// The machine's processing units as the executor sees them: which core, cache and NUMA node each belongs to,
/// how far apart two of them are, and pinning the calling thread to one.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace bastion::platform {

/// One hardware thread the operating system lets this process run on.
struct ProcessingUnit {
    unsigned os_index = 0;   ///< the kernel's CPU number (as in /proc/cpuinfo and sched_getcpu)
    unsigned core = 0;       ///< logical index of its core
    unsigned cache = 0;      ///< logical index of the last-level cache it shares
    unsigned numa_node = 0;  ///< logical index of its NUMA node
};

/// How far apart two processing units are, nearest first. Work stealing tries near victims before far ones.
enum class Distance : unsigned { SameCore = 0, SameCache = 1, SameNumaNode = 2, Remote = 3 };

/// The topology of this machine, discovered once with hwloc.
///
/// Without hwloc (it fails to load, or `BASTION_HWLOC=0` is set) the topology degrades to a flat list of the CPUs in
/// the process's affinity mask, one core and one node each, and pinning uses `pthread_setaffinity_np`.
class Topology {
public:
    /// The process-wide topology, discovered on first use. Thread-safe.
    static const Topology& machine();

    /// Discovers the topology now; `use_hwloc` false forces the flat fallback.
    explicit Topology(bool use_hwloc);
    ~Topology();
    Topology(const Topology&) = delete;
    Topology& operator=(const Topology&) = delete;

    /// The processing units this process may run on, in hwloc's logical order (neighbours are adjacent).
    std::span<const ProcessingUnit> units() const noexcept { return units_; }

    /// The number of NUMA nodes hwloc reports (1 for the flat fallback).
    std::size_t numa_nodes() const noexcept { return numa_nodes_; }

    /// True when hwloc described the machine; false for the flat fallback.
    bool from_hwloc() const noexcept { return hwloc_ != nullptr; }

    /// How far apart `units()[unit_a]` and `units()[unit_b]` are (indices taken modulo the unit count): same core,
    /// same last-level cache, same NUMA node, or remote.
    Distance distance(std::size_t unit_a, std::size_t unit_b) const noexcept;

    /// Binds the calling thread to `units()[unit % units().size()]`. Returns false (and leaves the thread unbound)
    /// when the kernel refuses.
    bool pin_current_thread(std::size_t unit) const noexcept;

    /// A human-readable summary: source, PU count, cores, caches, NUMA nodes, and each PU's place.
    std::string describe() const;

private:
    struct Hwloc;
    std::unique_ptr<Hwloc> hwloc_;
    std::vector<ProcessingUnit> units_;
    std::size_t numa_nodes_ = 1;
};

}  // namespace bastion::platform
