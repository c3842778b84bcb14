#include <bastion/io/backend.hpp>

#include "io/uring_backend.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace bastion::io {

namespace {

// Proves io_uring by creating a ring exactly as the workers will: a refusal for any reason means epoll.
Backend choose() {
    const char* env = std::getenv("BASTION_IO");
    std::string_view asked = env != nullptr ? env : "auto";
    if (asked != "auto" && asked != "uring" && asked != "epoll") {
        std::fprintf(stderr, "bastion: BASTION_IO=%s is not uring, epoll or auto: choosing as auto\n", env);
        asked = "auto";
    }
    if (asked == "epoll") {
        std::fprintf(stderr, "bastion: io backend epoll (BASTION_IO=epoll)\n");
        return Backend::Epoll;
    }
    const detail::UringProbe probe = detail::probe_uring();
    if (probe.error == 0) {
        std::fprintf(stderr, "bastion: io backend io_uring (%s)\n", probe.setup.c_str());
        return Backend::IoUring;
    }
    std::fprintf(stderr, "bastion: io backend epoll (%sio_uring unavailable: %s)\n",
                 asked == "uring" ? "BASTION_IO=uring, but " : "", std::strerror(probe.error));
    return Backend::Epoll;
}

}  // namespace

Backend backend() {
    static const Backend chosen = choose();
    return chosen;
}

std::string_view to_string(Backend backend) noexcept { return backend == Backend::IoUring ? "io_uring" : "epoll"; }

}  // namespace bastion::io
