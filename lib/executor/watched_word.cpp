#include <bastion/executor/detail/watched_word.hpp>

#include "executor/smp_algorithm.hpp"
#include "executor/thread_state.hpp"
#include "executor/worker_pool.hpp"

namespace bastion::executor::detail {

std::uintptr_t watch_word(const std::atomic<std::uintptr_t>& word, std::uintptr_t tags, Parker& parker) noexcept {
    SmpAlgorithm* algorithm = this_thread_worker().algorithm;
    if (algorithm == nullptr) return 0;
    const std::uintptr_t mark = reinterpret_cast<std::uintptr_t>(&algorithm->worker()) | tags;
    return algorithm->watch(word, mark, parker) ? mark : 0;
}

void unwatch_word(const std::atomic<std::uintptr_t>& word) noexcept {
    if (SmpAlgorithm* algorithm = this_thread_worker().algorithm) algorithm->unwatch(word);
}

// A worker that is awake looks at its words before it next parks (it publishes "parking" first, then looks): only a
// sleeping one needs waking.
void alert_watcher(std::uintptr_t mark) noexcept {
    Worker& w = *reinterpret_cast<Worker*>(mark & ~watch_tag_bits);
    if (w.park.load(std::memory_order_seq_cst) != Awake) WorkerPool::wake(w);
}

}  // namespace bastion::executor::detail
