#include <bastion/prelude.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

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
// The guard-page budget is per process and earlier tests may have spent it, so the overflow runs in a fresh process:
// this test binary again, running only the case below with BASTION_TEST_OVERFLOW set.
TEST_CASE("stack overflow child (does its work only when re-executed by the test below)") {
    if (std::getenv("BASTION_TEST_OVERFLOW") == nullptr) return;
    ExecutorConfig config;
    config.workers = 1;
    config.stack_size = 32 * 1024;
    Executor ex{config};
    ex.spawn([] { return descend(256); }).get();  // 256 KiB deep in a 32 KiB stack
    std::_Exit(0);                                // not reached: the guard page stops it
}

TEST_CASE("a lightproc that overflows a guarded stack dies at the guard page instead of corrupting memory") {
    const pid_t pid = fork();
    if (pid == 0) {
        setenv("BASTION_TEST_OVERFLOW", "1", 1);
        char exe[] = "/proc/self/exe";
        char filter[] = "--test-case=stack overflow child*";
        char quiet[] = "--no-intro=true";
        char* argv[] = {exe, filter, quiet, nullptr};
        execv(exe, argv);
        std::_Exit(99);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    // A plain build dies of SIGSEGV; AddressSanitizer reports the fault and exits non-zero.
    INFO("wait status " << status);
    CHECK((WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 99)));
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
