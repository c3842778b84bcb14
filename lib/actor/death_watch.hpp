#pragma once
// Death watch for one actor, group or supervisor: who is told once it ends for good, and whether it has.

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
    /// Marks the end, once: the watchers to tell (and forgets them), or nothing if it had ended already.
    std::optional<std::vector<RefAddr>> end(ExitReason reason) {
        std::lock_guard lock{lock_};
        if (ended_) return std::nullopt;
        ended_ = reason;
        return std::exchange(watchers_, {});
    }
    /// It runs again (redeployed by its supervisor's restart): later ends are told anew.
    void revive() {
        std::lock_guard lock{lock_};
        ended_.reset();
    }
    /// Its watchers now, without changing anything (a supervisor giving up tells them and keeps them).
    std::vector<RefAddr> watchers() const {
        std::lock_guard lock{lock_};
        return watchers_;
    }

private:
    mutable std::mutex lock_;
    std::vector<RefAddr> watchers_;
    std::optional<ExitReason> ended_;
};

}  // namespace bastion::detail
