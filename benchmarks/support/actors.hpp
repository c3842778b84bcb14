#pragma once
/// \file
/// What the actor benchmarks share: a system started for one measured run, and the raw Boost.Fiber channel floor.

#include "support/bench.hpp"

#include <bastion/prelude.hpp>

#include <future>

namespace bastion::bench {

/// A fresh actor system for one run (the run is a forked process of its own), stopped and joined on scope exit.
class SystemForRun {
public:
    explicit SystemForRun(std::size_t workers) {
        Bastion::init_with(Config{}.hide_backtraces().with_workers(workers));
        Bastion::start();
    }
    SystemForRun(const SystemForRun&) = delete;
    SystemForRun& operator=(const SystemForRun&) = delete;
    ~SystemForRun() {
        Bastion::stop();
        Bastion::block_until_stopped();
    }
};

/// The one actor of a new group.
template <class F>
ChildRef spawn_actor(F exec, std::optional<std::size_t> worker = std::nullopt) {
    return Bastion::children([&](Children c) {
               c = c.with_exec(exec);
               return worker ? c.with_worker(*worker) : c;
           })
        .expect("children")
        .elems()
        .at(0);
}

}  // namespace bastion::bench
