#include <bastion/platform/topology.hpp>

#include <doctest/doctest.h>

#include <sched.h>

#include <string>

using bastion::platform::Distance;
using bastion::platform::Topology;

TEST_SUITE("platform") {
TEST_CASE("hwloc describes at least one processing unit and the description is printable") {
    const Topology& machine = Topology::machine();
    REQUIRE_FALSE(machine.units().empty());
    const std::string text = machine.describe();
    CHECK(text.find("PU#0") != std::string::npos);
    CHECK(machine.distance(0, 0) == Distance::SameCore);
}

TEST_CASE("without hwloc the topology degrades to the affinity mask and pinning still works") {
    Topology flat{false};
    CHECK_FALSE(flat.from_hwloc());
    REQUIRE_FALSE(flat.units().empty());
    CHECK(flat.describe().find("flat fallback") != std::string::npos);
    cpu_set_t before;
    sched_getaffinity(0, sizeof before, &before);
    CHECK(flat.pin_current_thread(0));
    CHECK(static_cast<unsigned>(sched_getcpu()) == flat.units()[0].os_index);
    sched_setaffinity(0, sizeof before, &before);
}

TEST_CASE("pinning with hwloc binds the thread to the unit's CPU") {
    const Topology& machine = Topology::machine();
    cpu_set_t before;
    sched_getaffinity(0, sizeof before, &before);
    const std::size_t last = machine.units().size() - 1;
    CHECK(machine.pin_current_thread(last));
    CHECK(static_cast<unsigned>(sched_getcpu()) == machine.units()[last].os_index);
    sched_setaffinity(0, sizeof before, &before);
}
}
