#pragma once
/// \file
/// Everything a bastion program uses, like Rust's `use bastion::prelude::*`: the public types and the macros
/// (`SPAWN`, `RUN`, `BLOCKING`; `BASTION_`-prefixed only when `BASTION_NO_SHORT_MACRO_NAMES` is defined).

#include <bastion/dsl/spawn.hpp>
#include <bastion/executor.hpp>

namespace bastion {
// Rust's prelude puts the executor's names next to the actor types; so does ours.
using namespace bastion::executor;
}  // namespace bastion
