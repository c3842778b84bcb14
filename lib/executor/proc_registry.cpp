#include "executor/proc_registry.hpp"

#include <boost/intrusive_ptr.hpp>

#include <mutex>
#include <utility>
#include <vector>

namespace bastion::executor::detail {

ProcRegistry::ProcRegistry(std::size_t shards)
    : shards_{std::make_unique<Shard[]>(shards == 0 ? 1 : shards)}, shard_count_{shards == 0 ? 1 : shards} {}

void ProcRegistry::enter(ProcCoreBase* core, std::size_t shard) noexcept {
    core->registry = this;
    core->registry_shard = static_cast<unsigned>(shard % shard_count_);
    Shard& s = shards_[core->registry_shard];
    std::lock_guard lock{s.lock};
    core->registry_prev = nullptr;
    core->registry_next = s.head;
    if (s.head != nullptr) s.head->registry_prev = core;
    s.head = core;
    ++s.count;
}

void ProcRegistry::leave(ProcCoreBase* core) noexcept {
    Shard& s = shards_[core->registry_shard];
    bool now_empty;
    {
        std::lock_guard lock{s.lock};
        if (core->registry_prev != nullptr) {
            core->registry_prev->registry_next = core->registry_next;
        } else {
            s.head = core->registry_next;
        }
        if (core->registry_next != nullptr) core->registry_next->registry_prev = core->registry_prev;
        now_empty = --s.count == 0;
    }
    core->registry = nullptr;
    if (now_empty && waiting_.load(std::memory_order_acquire) && live() == 0) {
        std::lock_guard lock{empty_mutex_};  // pairs with wait_empty_for's predicate check
        empty_.notify_all();
    }
}

std::size_t ProcRegistry::live() const noexcept {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        std::lock_guard lock{shards_[i].lock};
        total += shards_[i].count;
    }
    return total;
}

// Cancels outside the shard's lock, so that the lightprocs it wakes can leave the registry meanwhile; a reference
// to each one's context keeps its core alive until it has been told.
void ProcRegistry::cancel_all() {
    std::vector<std::pair<boost::intrusive_ptr<boost::fibers::context>, ProcCoreBase*>> live;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        Shard& s = shards_[i];
        live.clear();
        {
            std::lock_guard lock{s.lock};
            live.reserve(s.count);
            for (ProcCoreBase* core = s.head; core != nullptr; core = core->registry_next) {
                live.emplace_back(core->context(), core);
            }
        }
        for (auto& [context, core] : live) core->request_cancel();
    }
}

bool ProcRegistry::wait_empty_for(std::chrono::milliseconds timeout) {
    waiting_.store(true, std::memory_order_seq_cst);
    std::unique_lock lock{empty_mutex_};
    return empty_.wait_for(lock, timeout, [this] { return live() == 0; });
}

}  // namespace bastion::executor::detail
