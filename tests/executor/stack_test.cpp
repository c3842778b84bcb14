#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/prelude.hpp>

#include "support/wait.hpp"

#include <doctest/doctest.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <vector>

using namespace bastion;

namespace {

// Recurses with a frame the optimizer cannot drop, touching `depth` KiB of stack.
__attribute__((noinline)) int descend(int depth) {
    volatile char frame[1024];
    frame[0] = static_cast<char>(depth);
    if (depth == 0) return frame[0];
    return descend(depth - 1) + frame[0];
}

// Runs `body` in a child process; returns its wait status.
template <class Body>
int in_child(Body body) {
    const pid_t pid = fork();
    if (pid == 0) {
        body();
        std::_Exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

}  // namespace

TEST_SUITE("executor") {
// The guard-page budget is per process and earlier tests may have spent it, so an overflow runs in a fresh process:
// this test binary again, running only the case below with BASTION_TEST_OVERFLOW set to how many stacks to take
// (parked lightprocs) before the one that overflows.
TEST_CASE("stack overflow child (does its work only when re-executed by the tests below)") {
    const char* before = std::getenv("BASTION_TEST_OVERFLOW");
    if (before == nullptr) return;
    ExecutorConfig config;
    config.workers = 1;
    config.stack_size = 32 * 1024;
    Executor ex{config};
    std::vector<RecoverableHandle<int>> parked;
    for (long i = std::atol(before); i > 0; --i) {
        parked.push_back(ex.spawn([] {
            this_proc::sleep_for(std::chrono::hours{1});
            return 0;
        }));
    }
    ex.spawn([] { return descend(256); }).get();  // 256 KiB deep in a 32 KiB stack
    std::_Exit(0);                                // not reached: the guard page stops it
}

namespace {
// The wait status of this test binary re-run as the child above, after `before` parked lightprocs.
int overflow_in_child(const char* before) {
    const pid_t pid = fork();
    if (pid == 0) {
        setenv("BASTION_TEST_OVERFLOW", before, 1);
        char exe[] = "/proc/self/exe";
        char filter[] = "--test-case=stack overflow child*";
        char quiet[] = "--no-intro=true";
        char* argv[] = {exe, filter, quiet, nullptr};
        execv(exe, argv);
        std::_Exit(99);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

// A plain build dies of SIGSEGV; AddressSanitizer reports the fault and exits non-zero.
bool died_of_fault(int status) {
    return WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 99);
}

bool kernel_has_guard_regions() {
    constexpr int madv_guard_install = 102;  // Linux 6.13
    void* probe = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const bool ok = probe != MAP_FAILED && madvise(probe, 4096, madv_guard_install) == 0;
    if (probe != MAP_FAILED) munmap(probe, 8192);
    return ok;
}
}  // namespace

TEST_CASE("a lightproc that overflows a guarded stack dies at the guard page instead of corrupting memory") {
    const int status = overflow_in_child("0");
    INFO("wait status " << status);
    CHECK(died_of_fault(status));
}

TEST_CASE("with guard regions, a stack beyond the PROT_NONE budget is guarded too") {
    if (!kernel_has_guard_regions()) {
        MESSAGE("this kernel has no MADV_GUARD_INSTALL (Linux < 6.13): only the first 8192 stacks are guarded");
        return;
    }
    const int status = overflow_in_child("9000");  // more than StackPool::guarded_budget stacks taken first
    INFO("wait status " << status);
    CHECK(died_of_fault(status));
}

TEST_CASE("the same recursion within the stack size runs to its end") {
    const int status = in_child([] {
        ExecutorConfig config;
        config.workers = 1;
        config.stack_size = 512 * 1024;
        Executor ex{config};
        if (*ex.spawn([] { return descend(64); }).get() == 0) std::_Exit(3);
    });
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

// Stacks whose tops all sat at a page boundary would put every lightproc's hot lines in the same few cache sets.
TEST_CASE("lightprocs spawned together have their stacks staggered within a page") {
    Executor ex{ExecutorConfig{.workers = 1}};
    std::vector<RecoverableHandle<std::uintptr_t>> handles;
    for (int i = 0; i < 16; ++i) {  // each holds its stack from spawn to end, so the 16 are distinct stacks
        handles.push_back(ex.spawn([] {
            volatile char here = 0;
            return reinterpret_cast<std::uintptr_t>(&here) % 4096;
        }));
    }
    std::set<std::uintptr_t> offsets;
    for (auto& handle : handles) offsets.insert(handle.get().value());
    CHECK(offsets.size() >= 4);
}
}

// What lets an actor's signing stash (detail/signature_stash.hpp) tell its own lightproc from anyone else.
TEST_CASE("a lightproc's core knows when the caller runs on its stack: deep in it, not from another lightproc or thread") {
    Executor ex{ExecutorConfig{.workers = 2}};
    std::atomic<const executor::detail::ProcCoreBase*> first{nullptr};
    std::atomic<bool> release{false};
    auto holder = ex.spawn([&] {
        const executor::detail::ProcCoreBase* me = executor::detail::current_core();
        const bool here = me->runs_here();
        const bool deep = [&] {
            volatile char padding[8192];  // a frame 8 KiB down the stack
            padding[0] = 1;
            return me->runs_here() && padding[0] == 1;
        }();
        first.store(me);
        while (!release.load()) executor::this_proc::yield_now();  // keeps its stack while the others look
        return here && deep;
    });
    REQUIRE(bastion::test::wait_until("the first lightproc to start", [&] { return first.load() != nullptr; }));
    const bool from_other = *ex.spawn([&] { return first.load()->runs_here(); }).get();
    const bool from_thread = first.load()->runs_here();
    release.store(true);
    CHECK(*holder.get());
    CHECK_FALSE(from_other);
    CHECK_FALSE(from_thread);
}
