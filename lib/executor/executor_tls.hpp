#pragma once
// Which executor the calling thread belongs to (worker or blocking thread).

namespace bastion::executor {
class Executor;
namespace detail {
inline thread_local Executor* current_executor = nullptr;
}
}  // namespace bastion::executor
