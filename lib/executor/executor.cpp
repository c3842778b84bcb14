#include <bastion/executor/executor.hpp>
#include <bastion/platform/topology.hpp>

#include "executor/blocking_pool.hpp"
#include "executor/proc_registry.hpp"
#include "executor/smp_algorithm.hpp"
#include "executor/thread_state.hpp"
#include "executor/worker_pool.hpp"

#include <cstdlib>
#include <optional>
#include <string>

namespace bastion::executor {

namespace {

std::size_t env_size(const char* name, std::size_t fallback) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return fallback;
    char* end = nullptr;
    const unsigned long long parsed = std::strtoull(value, &end, 10);
    if (end == value || parsed == 0) return fallback;
    std::size_t n = static_cast<std::size_t>(parsed);
    if (*end == 'k' || *end == 'K') n *= 1024;
    if (*end == 'm' || *end == 'M') n *= 1024 * 1024;
    return n;
}

}  // namespace

ExecutorConfig ExecutorConfig::resolved() const {
    ExecutorConfig c = *this;
    if (c.workers == 0) c.workers = env_size("BASTION_WORKERS", platform::Topology::machine().units().size());
    if (c.blocking_threads == 0) c.blocking_threads = env_size("BASTION_BLOCKING_THREADS", 2);
    if (c.stack_size == 0) c.stack_size = env_size("BASTION_STACK_SIZE", 64 * 1024);
    return c;
}

struct Executor::Impl {
    Impl(Executor& owner, ExecutorConfig c)
        : config{c.resolved()},
          stacks{detail::StackPool::for_size(config.stack_size, config.stack_prefault)},
          registry{config.workers + 1},
          workers{owner, config},
          blocking{owner, config.blocking_threads, config.blocking_keep_alive} {}

    ExecutorConfig config;
    detail::StackPool& stacks;
    detail::ProcRegistry registry;
    std::atomic<bool> stopping{false};
    detail::WorkerPool workers;
    detail::BlockingPool blocking;
};

Executor::Executor(ExecutorConfig config) : impl_{std::make_unique<Impl>(*this, config)} {}

Executor::~Executor() { shutdown(); }

Executor& Executor::global() {
    static Executor executor;
    return executor;
}

Executor* Executor::current() noexcept {
    if (detail::WorkerPool* pool = detail::this_thread_worker().pool) return &pool->owner();
    return detail::this_thread_blocking_executor();
}

void Executor::submit(boost::fibers::context* context, detail::ProcCoreBase* core) {
    const detail::WorkerSlot here = detail::this_thread_worker();
    impl_->registry.enter(core, here.pool == &impl_->workers ? here.index : impl_->config.workers);
    if (impl_->stopping.load(std::memory_order_acquire)) core->request_cancel();
    impl_->workers.submit(context, core->home);
}

void Executor::submit_blocking(boost::intrusive_ptr<boost::fibers::context> context, detail::ProcCoreBase* core) {
    impl_->registry.enter(core, impl_->config.workers);
    if (impl_->stopping.load(std::memory_order_acquire)) core->request_cancel();
    impl_->blocking.submit(LightProc{std::move(context), core});
}

void Executor::shutdown() {
    if (impl_->stopping.exchange(true, std::memory_order_acq_rel)) return;
    // Cancel until nothing is live: a cancelled lightproc may still spawn or wait once more before it ends.
    do {
        impl_->registry.cancel_all();
    } while (!impl_->registry.wait_empty_for(std::chrono::milliseconds{10}));
    impl_->blocking.stop();
    impl_->workers.stop();
}

std::size_t Executor::workers() const noexcept { return impl_->workers.size(); }

const ExecutorConfig& Executor::config() const noexcept { return impl_->config; }

detail::StackPool& Executor::stack_pool() const noexcept { return impl_->stacks; }

ExecutorStats Executor::stats() const noexcept {
    ExecutorStats s;
    s.spawned = impl_->workers.injected_total();
    for (std::size_t i = 0; i < impl_->workers.size(); ++i) {
        detail::Worker& w = impl_->workers.worker(i);
        s.spawned += w.spawned.load(std::memory_order_relaxed);
        s.steals += w.steals.load(std::memory_order_relaxed);
        s.parks += w.parks.load(std::memory_order_relaxed);
        s.wakes += w.wakes.load(std::memory_order_relaxed);
    }
    s.live = impl_->registry.live();
    s.blocking_threads = impl_->blocking.threads();
    return s;
}

}  // namespace bastion::executor
