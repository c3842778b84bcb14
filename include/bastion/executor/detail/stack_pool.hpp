#pragma once
// Pooled, pre-faulted fiber stacks, and the Boost StackAllocator that reserves room for a lightproc's core.

#include <boost/context/stack_context.hpp>

#include <cstddef>

namespace bastion::executor::detail {

/// A process-wide pool of equally sized fiber stacks.
///
/// Stacks are carved out of large mappings (one mmap for many stacks, so a million stacks stay far below
/// `vm.max_map_count`), their top pages are touched once when mapped (a first-touch page fault costs microseconds in
/// a VM), and freed stacks are reused. Each thread keeps a small cache and trades batches with a mutex-guarded global
/// list, so a stack freed on a thief's thread is simply reused there: acquire and release are thread-safe.
///
/// Overflow: every stack has a guard page below it and an overflow faults at once. On Linux 6.13 and later the guard is
/// a guard region (`MADV_GUARD_INSTALL`), which leaves the mapping whole, so all of a million stacks are guarded. On
/// older kernels it is a `PROT_NONE` page, which splits the mapping, and the kernel caps mappings per process
/// (`vm.max_map_count`, 65530 by default): only the first `guarded_budget` stacks get one, and beyond it stacks are
/// contiguous and an overflow is not detected. (A canary word at the bottom of each stack was tried and dropped:
/// checking it touches one more page per stack, 4 KiB of memory each.)
class StackPool {
public:
    /// Stacks per process guarded by `PROT_NONE` pages, on kernels without guard regions. 8192 guarded stacks use ~16k
    /// of the default 65530 mappings.
    static constexpr std::size_t guarded_budget = 8192;

    /// The pool for stacks of `usable_bytes` (rounded up to whole pages, at least 16 KiB). Thread-safe.
    static StackPool& for_size(std::size_t usable_bytes, std::size_t prefault_bytes);

    std::size_t usable_bytes() const noexcept { return usable_; }

    /// The top (highest address, exclusive) of a free stack of `usable_bytes()`.
    void* acquire();
    /// Returns a stack by its top.
    void release(void* top) noexcept;

    StackPool(std::size_t usable_bytes, std::size_t prefault_bytes, unsigned index);
    StackPool(const StackPool&) = delete;
    StackPool& operator=(const StackPool&) = delete;

private:
    struct Free {
        Free* next;
    };
    void map_chunk(Free*& head, std::size_t& count);
    void give_back(Free* head, Free* tail, std::size_t count) noexcept;

    std::size_t usable_;
    std::size_t prefault_;
    unsigned index_;
};

/// Boost.Context StackAllocator that hands Boost one stack already taken from a pool, minus `reserve` bytes at the
/// top where the lightproc's core (state, result, the user's callable) lives beside Boost's own context record.
/// The core is built before Boost sees the stack, so a throwing callable leaves no half-made fiber behind.
class ProcStackAllocator {
public:
    static constexpr std::size_t round_up(std::size_t n) noexcept { return (n + 255) & ~std::size_t{255}; }

    ProcStackAllocator(StackPool& pool, void* top, std::size_t reserve) noexcept
        : pool_{&pool}, top_{top}, reserve_{round_up(reserve)} {}

    boost::context::stack_context allocate() noexcept {
        boost::context::stack_context sctx;
        sctx.sp = static_cast<char*>(top_) - reserve_;
        sctx.size = pool_->usable_bytes() - reserve_;
        return sctx;
    }

    void deallocate(boost::context::stack_context& sctx) noexcept {
        pool_->release(static_cast<char*>(sctx.sp) + reserve_);
    }

private:
    StackPool* pool_;
    void* top_;
    std::size_t reserve_;
};

}  // namespace bastion::executor::detail
