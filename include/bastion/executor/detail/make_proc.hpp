#pragma once
// Creating a lightproc: a pooled stack, the core at its top, Boost's context below it. Nothing is scheduled yet.

#include <bastion/executor/detail/proc_core.hpp>
#include <bastion/executor/detail/stack_pool.hpp>

#include <boost/fiber/context.hpp>
#include <boost/intrusive_ptr.hpp>

#include <new>
#include <type_traits>
#include <utility>

namespace bastion::executor::detail {

/// The fiber function of every lightproc: finds its core through the context's properties and runs it.
inline void proc_entry() {
    static_cast<ProcTag*>(boost::fibers::context::active()->get_properties())->core()->run();
}

template <class T>
struct MadeProc {
    boost::intrusive_ptr<boost::fibers::context> context;  // the owner's reference (the fiber holds its own)
    ProcResult<T>* core;
};

template <class F>
using ProcResultOf = std::invoke_result_t<std::decay_t<F>&>;

/// A new, unscheduled lightproc running `fn`. Its stack comes from `pool`.
template <class F>
MadeProc<ProcResultOf<F>> make_proc(F&& fn, ProcStack stack, StackPool& pool) {
    using Core = ProcCore<ProcResultOf<F>, std::decay_t<F>>;
    static_assert(alignof(Core) <= 256, "a lightproc's callable must not need more than 256-byte alignment");
    static_assert(sizeof(Core) + 4096 <= 16 * 1024, "a lightproc's callable captures too much: keep big state on the heap");
    void* top = pool.acquire();
    const std::size_t reserve = ProcStackAllocator::round_up(sizeof(Core));
    Core* core;
    try {
        core = new (static_cast<char*>(top) - reserve) Core{std::forward<F>(fn), std::move(stack)};
    } catch (...) {
        pool.release(top);
        throw;
    }
    auto context = boost::fibers::make_worker_context(boost::fibers::launch::post,
                                                      ProcStackAllocator{pool, top, reserve}, &proc_entry);
    core->stack_floor = static_cast<char*>(top) - pool.usable_bytes();
    core->bind(context.get());
    return {std::move(context), core};
}

}  // namespace bastion::executor::detail
