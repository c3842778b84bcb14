#include <bastion/io/backend.hpp>

#include "io/epoll_backend.hpp"
#include "io/request.hpp"
#include "io/uring_backend.hpp"

namespace bastion::io::detail {

long perform(const Request& request) {
    return backend() == Backend::IoUring ? perform_uring(request) : perform_epoll(request);
}

}  // namespace bastion::io::detail
