#pragma once
/// \file
/// The executor layer in one include: lightprocs, handles, the SMP executor, spawn/run/blocking.

#include <bastion/executor/executor.hpp>
#include <bastion/executor/light_proc.hpp>
#include <bastion/executor/proc_handle.hpp>
#include <bastion/executor/proc_stack.hpp>
#include <bastion/executor/proc_state.hpp>
#include <bastion/executor/spawn.hpp>
#include <bastion/executor/this_proc.hpp>
#include <bastion/platform/topology.hpp>
