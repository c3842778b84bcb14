#pragma once
/// \file
/// The cluster layer: this process as a node, and the messages that can travel between nodes.

#include <bastion/distributed/cluster.hpp>
#include <bastion/distributed/cluster_config.hpp>
#include <bastion/distributed/distributed_context.hpp>
#include <bastion/distributed/member.hpp>
#include <bastion/distributed/remote_message.hpp>
