// EXPECT: MSG needs an OTHERWISE(_) arm, last
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <string>

int handle(bastion::SignedMessage msg) {
    return MSG(std::move(msg), TELL(int x) { return x; }, TELL(std::string s) { return int(s.size()); });
}

int main() {}
