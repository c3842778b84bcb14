// With io_uring refused by a seccomp filter (as a container runtime may do), asking for it falls back to epoll,
// says so once on stderr, and IO works. A program of its own: the filter cannot be lifted once installed.

#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <string>

namespace {

// Makes io_uring_setup fail with EPERM for this process; everything else is allowed.
bool deny_io_uring() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

int fail(const char* what) {
    std::fprintf(stdout, "FAILED: %s\n", what);
    return 1;
}

}  // namespace

int main() {
    using namespace bastion;
    if (!deny_io_uring()) return fail("installing the seccomp filter");
    setenv("BASTION_IO", "uring", 1);

    // Catch what the IO layer reports on stderr.
    int report[2];
    if (pipe(report) != 0) return fail("pipe");
    const int saved_stderr = dup(STDERR_FILENO);
    dup2(report[1], STDERR_FILENO);
    const io::Backend chosen = io::backend();
    dup2(saved_stderr, STDERR_FILENO);
    close(report[1]);
    char text[256] = {};
    const ssize_t n = read(report[0], text, sizeof text - 1);
    const std::string said{text, n > 0 ? static_cast<std::size_t>(n) : 0};
    std::fprintf(stdout, "reported: %s", said.c_str());

    if (chosen != io::Backend::Epoll) return fail("the backend is not epoll");
    if (said != "bastion: io backend epoll (BASTION_IO=uring, but io_uring unavailable: Operation not permitted)\n") {
        return fail("the report does not say why");
    }
    executor::Executor executor;
    auto echoed = executor.spawn([] {
        auto [left, right] = io::Handle<io::UnixStream>::pair().expect("pair");
        left.write_all(std::string_view{"still works"}).expect("write");
        std::string back(11, '\0');
        right.read_exact(back).expect("read");
        return back;
    });
    if (echoed.get() != std::optional<std::string>{"still works"}) return fail("IO on the fallback");
    std::fprintf(stdout, "ok\n");
    return 0;
}
