#pragma once
// One run of an actor: its lightproc's body. Runs the start or restart callbacks, the exec, the stop callbacks, and,
// as it is destroyed (whether or not it ever ran), tells its supervisor how the run ended.

#include "actor/cells.hpp"

#include <cstdint>
#include <memory>

namespace bastion::detail {

class ActorRun {
public:
    enum class Start { Fresh, Restart };

    ActorRun(std::shared_ptr<ActorCell> cell, std::shared_ptr<GroupCell> group,
             std::shared_ptr<SupervisorCell> supervisor, std::uint64_t incarnation, Start start, Failure failure,
             bool before_restart_ran) noexcept
        : cell_{std::move(cell)},
          group_{std::move(group)},
          supervisor_{std::move(supervisor)},
          incarnation_{incarnation},
          start_{start},
          before_restart_ran_{before_restart_ran},
          why_{std::move(failure)} {}
    ActorRun(ActorRun&& other) noexcept = default;
    ActorRun& operator=(ActorRun&&) = delete;
    ~ActorRun();

    void operator()();

private:
    template <class F>
    void callback(const char* which, F&& fn) const;

    std::shared_ptr<ActorCell> cell_;
    std::shared_ptr<GroupCell> group_;
    std::shared_ptr<SupervisorCell> supervisor_;  // null once moved from: only the last owner reports
    std::uint64_t incarnation_;
    Start start_;
    bool before_restart_ran_;
    Failure why_;  // why this run is a restart
    bool ran_ = false;
    bool said_goodbye_ = false;
    Outcome outcome_ = Outcome::Cancelled;
    Failure failure_;
};

}  // namespace bastion::detail
