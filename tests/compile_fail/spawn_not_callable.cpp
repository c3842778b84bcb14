// EXPECT: spawn / SPAWN takes something callable with no arguments
#include <bastion/prelude.hpp>

int main() {
    auto handle = SPAWN(42);
    (void)handle;
}
