#pragma once
/// \file
/// Everything a bastion program uses, like Rust's `use bastion::prelude::*`: the public types and the macros
/// (`MSG`, `ANSWER`, `CHILDREN`, `SUPERVISOR`, `SPAWN`, `RUN`, `BLOCKING`, ...; only the `BASTION_`-prefixed names
/// when `BASTION_NO_SHORT_MACRO_NAMES` is defined).

#include <bastion/answer.hpp>
#include <bastion/bastion.hpp>
#include <bastion/broadcast_target.hpp>
#include <bastion/callbacks.hpp>
#include <bastion/child_ref.hpp>
#include <bastion/children.hpp>
#include <bastion/children_ref.hpp>
#include <bastion/config.hpp>
#include <bastion/context.hpp>
#include <bastion/dead_letters.hpp>
#include <bastion/dispatcher.hpp>
#include <bastion/distributor.hpp>
#include <bastion/dsl.hpp>
#include <bastion/errors.hpp>
#include <bastion/executor.hpp>
#include <bastion/failure.hpp>
#include <bastion/message_handler.hpp>
#include <bastion/message.hpp>
#include <bastion/path.hpp>
#include <bastion/resizer.hpp>
#include <bastion/ref_addr.hpp>
#include <bastion/restart_strategy.hpp>
#include <bastion/result.hpp>
#include <bastion/supervision_strategy.hpp>
#include <bastion/supervisor.hpp>
#include <bastion/supervisor_ref.hpp>
#include <bastion/terminated.hpp>
#include <bastion/timer.hpp>

namespace bastion {
// Rust's prelude puts the executor's names next to the actor types; so does ours. Named one by one: a using-directive
// would make `detail::` ambiguous in every bastion header read after this one.
using executor::blocking;
using executor::EmptyProcState;
using executor::Executor;
using executor::ExecutorConfig;
using executor::ExecutorStats;
using executor::LightProc;
using executor::Pinning;
using executor::ProcCancelled;
using executor::ProcHandle;
using executor::ProcStack;
using executor::ProcState;
using executor::RecoverableHandle;
using executor::run;
using executor::spawn;
using executor::Unit;
namespace this_proc = executor::this_proc;
}  // namespace bastion
