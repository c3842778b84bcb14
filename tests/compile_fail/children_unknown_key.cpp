// EXPECT: BASTION_CHILDREN_has_no_key_named_redundancies
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

int main() {
    bastion::Bastion::init();
    auto group = CHILDREN(redundancies(4), action([](bastion::SignedMessage) {}));
    (void)group;
}
