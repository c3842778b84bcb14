#pragma once
/// \file
/// The whole macro DSL: `SPAWN`, `RUN`, `BLOCKING`, `MSG` (with its arms, `ANSWER` and `SIGNATURE`), `CHILDREN`,
/// `SUPERVISOR` and `BASTION_MAIN`. Short names are not defined when `BASTION_NO_SHORT_MACRO_NAMES` is.

#include <bastion/dsl/children.hpp>
#include <bastion/dsl/main.hpp>
#include <bastion/dsl/msg.hpp>
#include <bastion/dsl/spawn.hpp>
#include <bastion/dsl/supervisor.hpp>
