// EXPECT: a ProcStack hook takes the state by reference
#include <bastion/prelude.hpp>

int main() {
    auto stack = bastion::ProcStack{}.with_before_start([] {});
    (void)stack;
}
