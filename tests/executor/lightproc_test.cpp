#include <bastion/prelude.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>

using namespace bastion;

TEST_SUITE("executor") {
TEST_CASE("a spawned lightproc's value comes back through its handle") {
    auto handle = SPAWN([] { return 42; });
    auto value = RUN(handle);
    REQUIRE(value.has_value());
    CHECK(*value == 42);
}
}
