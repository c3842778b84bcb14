// EXPECT: run / RUN takes a handle or something callable with no arguments
#include <bastion/prelude.hpp>

int main() { return RUN("not a lightproc"); }
