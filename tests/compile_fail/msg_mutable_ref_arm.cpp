// EXPECT: a TELL arm takes its payload by value or const&
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <string>

void handle(bastion::SignedMessage msg) {
    MSG(std::move(msg), TELL(std::string& s) { s += "!"; }, OTHERWISE(_) {});
}

int main() {}
