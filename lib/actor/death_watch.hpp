#pragma once
// Death watch for one actor, group or supervisor: who is told once it ends for good, and whether it has.

#include <bastion/detail/send.hpp>
#include <bastion/ref_addr.hpp>
#include <bastion/terminated.hpp>

#include <mutex>
#include <optional>
#include <vector>

namespace bastion::detail {

/// The watchers of one element and its end. Any thread may call each method; a short lock guards both.
class DeathWatch {
public:
    /// Adds `watcher` to be told of the end; if it has ended already, adds nothing and returns why.
    std::optional<ExitReason> watch(RefAddr watcher) {
        std::lock_guard lock{lock_};
        if (!ended_) watchers_.push_back(std::move(watcher));
        return ended_;
    }
    /// Marks the end, once, and tells each watcher a copy of `message` signed `sign` (then forgets them). Nothing
    /// if it had ended already.
    template <class M>
    void end(ExitReason reason, const RefAddr& sign, const M& message) {
        std::vector<RefAddr> told;
        {
            std::lock_guard lock{lock_};
            if (ended_) return;
            ended_ = reason;
            told.swap(watchers_);
        }
        for (const RefAddr& watcher : told) (void)tell(watcher.cell(), sign, M{message});
    }
    /// It runs again (redeployed by its supervisor's restart): later ends are told anew.
    void revive() {
        std::lock_guard lock{lock_};
        ended_.reset();
    }
    /// Tells each watcher a copy of `message` signed `sign`, and keeps them (a supervisor that gives up is not ended).
    template <class M>
    void tell_all(const RefAddr& sign, const M& message) const {
        std::vector<RefAddr> watchers;
        {
            std::lock_guard lock{lock_};
            watchers = watchers_;
        }
        for (const RefAddr& watcher : watchers) (void)tell(watcher.cell(), sign, M{message});
    }

private:
    mutable std::mutex lock_;
    std::vector<RefAddr> watchers_;
    std::optional<ExitReason> ended_;
};

}  // namespace bastion::detail
