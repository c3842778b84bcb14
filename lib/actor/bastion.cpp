#include <bastion/bastion.hpp>

#include "actor/cells.hpp"

#include <stdexcept>

namespace bastion {

namespace detail {

namespace {

std::mutex system_lock;
std::shared_ptr<System> the_system;

// Joins a stopped system's threads, once. Never from one of its own threads.
void reap(System& system) {
    {
        std::lock_guard guard{system.lock};
        if (system.reaped) return;
        system.reaped = true;
    }
    system.executor->shutdown();
}

void request_stop(StopMode mode) {
    auto system = current_system();
    if (!system) return;
    bool started;
    {
        std::lock_guard guard{system->lock};
        started = system->started;
    }
    if (started && system->root->post(StopSelf{mode})) return;
    // Never started (or ended already): nothing it holds will run, so nothing may take sends.
    system->root->finished.store(true, std::memory_order_release);
    for (const Element& element : system->root->elements()) terminate_element(element, ExitReason::Stopped);
    system->on_stopped();
}

// The running (or not yet started) system; null before init and once it has stopped.
std::shared_ptr<System> live_system() {
    auto system = current_system();
    if (!system) return nullptr;
    std::lock_guard guard{system->lock};
    return system->stopped ? nullptr : system;
}

}  // namespace

std::shared_ptr<System> current_system() {
    std::lock_guard guard{system_lock};
    return the_system;
}

bool broadcast_to(WholeSystem, const SharedPayload& payload) {
    auto system = current_system();
    return system && broadcast_to(*system->root, payload);
}

}  // namespace detail

void Bastion::init() { init_with(Config{}); }

void Bastion::init_with(Config config) {
    std::shared_ptr<detail::System> previous;
    {
        std::lock_guard guard{detail::system_lock};
        if (detail::the_system) {
            std::lock_guard state{detail::the_system->lock};
            if (!detail::the_system->stopped) return;
        }
        previous = std::exchange(detail::the_system, std::make_shared<detail::System>(config));
    }
    if (previous) detail::reap(*previous);
}

void Bastion::start() {
    auto system = detail::current_system();
    if (!system) throw std::logic_error{"bastion: Bastion::start() before Bastion::init()"};
    {
        std::lock_guard guard{system->lock};
        if (system->started || system->stopped) return;
        system->started = true;
    }
    system->root->launch();
}

void Bastion::stop() { detail::request_stop(detail::StopMode::Stop); }

void Bastion::kill() { detail::request_stop(detail::StopMode::Kill); }

void Bastion::block_until_stopped() { (void)block_until_stopped_until(std::chrono::steady_clock::time_point::max()); }

bool Bastion::block_until_stopped_until(std::chrono::steady_clock::time_point deadline) {
    auto system = detail::current_system();
    if (!system) return true;
    if (executor::Executor::current() == system->executor.get()) {
        throw std::logic_error{"bastion: block_until_stopped() called from inside the system it waits for"};
    }
    {
        std::unique_lock guard{system->lock};
        if (deadline == std::chrono::steady_clock::time_point::max()) {
            system->changed.wait(guard, [&] { return system->stopped; });
        } else if (!system->changed.wait_until(guard, deadline, [&] { return system->stopped; })) {
            return false;
        }
    }
    detail::reap(*system);
    return true;
}

Result<SupervisorRef, void> Bastion::supervisor(detail::SupervisorInit init) {
    auto system = detail::live_system();
    if (!system) return Err();
    auto cell = detail::make_supervisor(system->root, BastionPath::root(), init);
    cell->dynamic = true;  // the root never restarts: what ends is forgotten
    if (!system->root->add(cell)) return Err();
    return Ok(SupervisorRef{std::move(cell)});
}

Result<ChildrenRef, void> Bastion::children(detail::ChildrenInit init) {
    auto system = detail::live_system();
    if (!system) return Err();
    auto group = detail::make_group(system->root, init);
    group->dynamic = true;
    if (!system->root->add(group)) return Err();
    return Ok(ChildrenRef{std::move(group)});
}

}  // namespace bastion
