#pragma once
/// \file
/// Rust's `Result<T, E>` for ports (defined with the executor, so that every layer, IO included, can return one).

#include <bastion/executor/result.hpp>
