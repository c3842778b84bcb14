#pragma once
// The control block of a lightproc: it lives in the top of the lightproc's own stack, beside Boost's context record,
// so spawning allocates nothing but a pooled stack.

#include <bastion/executor/detail/parker.hpp>
#include <bastion/executor/proc_stack.hpp>
#include <bastion/executor/proc_state.hpp>
#include <bastion/executor/unit.hpp>

#include <boost/fiber/context.hpp>
#include <boost/fiber/properties.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <thread>
#include <typeinfo>
#include <utility>

namespace bastion::executor::detail {

class ProcCoreBase;
class ProcRegistry;

// Boost owns a fiber's properties and deletes them in ~context, right before the stack is freed. The tag is our
// properties object: it maps a context to its core, and its destructor is the core's finalizer. Its storage belongs
// to the core, so deleting it frees nothing.
class ProcTag final : public boost::fibers::fiber_properties {
public:
    ProcTag(boost::fibers::context* ctx, ProcCoreBase* core) noexcept : fiber_properties{ctx}, core_{core} {}
    ~ProcTag() override;
    static void operator delete(void*) noexcept {}
    ProcCoreBase* core() const noexcept { return core_; }

private:
    ProcCoreBase* core_;
};

class ProcCoreBase {
public:
    ProcCoreBase(const ProcCoreBase&) = delete;
    ProcCoreBase& operator=(const ProcCoreBase&) = delete;

    /// Binds this core to its (not yet started) context.
    void bind(boost::fibers::context* ctx) noexcept {
        context_ = ctx;
        ctx->set_properties(new (tag_storage_) ProcTag{ctx, this});
    }

    /// The Boost context (fiber) this core belongs to; a reference to it keeps the core alive.
    boost::fibers::context* context() const noexcept { return context_; }

    /// The fiber's body: hooks, the user's function, the outcome, waking the joiner. Runs on the lightproc.
    void run() noexcept;

    /// Asks the lightproc to end: before it starts, it never runs; while it waits in a bastion wait point, the wait
    /// throws ProcCancelled. A lightproc that never waits runs to its end (cancellation is cooperative).
    void request_cancel() noexcept {
        if (cancel_.fetch_or(cancel_requested_bit, std::memory_order_acq_rel) == 0) {
            cancels_in_flight_.fetch_add(1, std::memory_order_relaxed);
        }
        parker_.unpark();
    }
    bool cancel_requested() const noexcept {
        return (cancel_.load(std::memory_order_acquire) & cancel_requested_bit) != 0;
    }

    /// False while no lightproc anywhere has a cancellation requested and not yet finished: a wait point that would
    /// only look at its own flag (a yield) skips the load of its core's cache line.
    static bool any_cancel_in_flight() noexcept { return cancels_in_flight_.load(std::memory_order_relaxed) != 0; }

    ProcState state() const noexcept { return ProcState{state_.load(std::memory_order_acquire)}; }
    bool finished() const noexcept { return state().is_completed(); }

    /// Waits until the lightproc has finished or the deadline passed; true if finished. From a lightproc, throws
    /// ProcCancelled when the waiting lightproc is cancelled.
    bool wait_until(std::chrono::steady_clock::time_point deadline);

    const std::exception_ptr& panic() const noexcept { return panic_; }
    const ProcStack& stack() const noexcept { return stack_; }
    Parker& parker() noexcept { return parker_; }

private:
    // First, so that what a wake-up reads (the tag, behind the context's properties; `home`) shares the core's first
    // cache line.
    alignas(ProcTag) unsigned char tag_storage_[sizeof(ProcTag)];
    // cancel_requested_bit, then finished_bit once the lightproc has ended: together they keep cancels_in_flight_
    // exact whichever of request_cancel() and finish() comes first.
    static constexpr std::uint8_t cancel_requested_bit = 1;
    static constexpr std::uint8_t finished_bit = 2;
    std::atomic<std::uint8_t> cancel_{0};
    static inline std::atomic<std::uint32_t> cancels_in_flight_{0};

public:
    /// The worker this lightproc is bound to (`Executor::spawn_on`), or `unbound`. Set before it is submitted.
    std::uint32_t home = unbound;
    static constexpr std::uint32_t unbound = ~std::uint32_t{0};

    /// The lowest address of the lightproc's stack; the core sits at its top. Set by make_proc.
    const void* stack_floor = nullptr;
    /// Whether the calling code runs on this lightproc's stack (one lightproc runs on a stack at a time): a check
    /// that reads no thread-local.
    bool runs_here() const noexcept {
        const auto frame = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
        return reinterpret_cast<std::uintptr_t>(stack_floor) <= frame && frame < reinterpret_cast<std::uintptr_t>(this);
    }

    // Membership in an executor's registry of live lightprocs (for cancel-all at shutdown).
    ProcRegistry* registry = nullptr;
    unsigned registry_shard = 0;
    ProcCoreBase* registry_prev = nullptr;
    ProcCoreBase* registry_next = nullptr;

protected:
    explicit ProcCoreBase(ProcStack stack) noexcept : stack_{std::move(stack)} {}
    ~ProcCoreBase() {  // one that never ran still leaves the count
        if ((cancel_.load(std::memory_order_acquire) & finished_bit) == 0) settle_cancel();
    }

    virtual void invoke() = 0;       // runs the user's function and stores its result
    virtual void drop_fn() noexcept = 0;  // destroys the user's callable once it has run
    virtual void destroy() noexcept = 0;  // runs the most derived destructor in place

private:
    friend class ProcTag;
    void finish(ProcState::Bits outcome) noexcept;
    /// Marks the lightproc ended for cancellation's bookkeeping: a requested cancel stops counting. Idempotent.
    void settle_cancel() noexcept {
        if (cancel_.fetch_or(finished_bit, std::memory_order_acq_rel) == cancel_requested_bit) {
            cancels_in_flight_.fetch_sub(1, std::memory_order_relaxed);
        }
    }

    static inline Parker* const joiner_busy = reinterpret_cast<Parker*>(std::uintptr_t{1});
    static inline Parker* const joiner_done = reinterpret_cast<Parker*>(std::uintptr_t{2});

    std::atomic<std::uint32_t> state_{ProcState::Scheduled};
    std::atomic<Parker*> joiner_{nullptr};  // nullptr, the waiting parker, or joiner_busy/joiner_done
    Parker parker_;
    std::exception_ptr panic_;
    ProcStack stack_;
    boost::fibers::context* context_ = nullptr;
};

inline ProcTag::~ProcTag() { core_->destroy(); }

// The typed half a handle sees: the result slot.
template <class T>
class ProcResult : public ProcCoreBase {
public:
    /// Moves the value out, once. Empty if the lightproc panicked or was cancelled, or the value was taken.
    std::optional<Stored<T>> take_result() noexcept(std::is_nothrow_move_constructible_v<Stored<T>>) {
        return std::exchange(result_, std::nullopt);
    }

protected:
    using ProcCoreBase::ProcCoreBase;
    ~ProcResult() = default;

    std::optional<Stored<T>> result_;
};

template <class T, class F>
class ProcCore final : public ProcResult<T> {
public:
    ProcCore(F fn, ProcStack stack) : ProcResult<T>{std::move(stack)}, fn_{std::in_place, std::move(fn)} {}

private:
    void invoke() override {
        if constexpr (std::is_void_v<T>) {
            (*fn_)();
            this->result_.emplace();
        } else {
            this->result_.emplace((*fn_)());
        }
    }
    void drop_fn() noexcept override { fn_.reset(); }
    void destroy() noexcept override { this->~ProcCore(); }

    std::optional<F> fn_;
};

/// The core of the lightproc running on the calling fiber, or nullptr on a plain thread.
ProcCoreBase* current_core() noexcept;

/// The parker every bastion wait point parks on, given `current_core()`: the lightproc's own (so cancellation can wake
/// it), or the calling thread's when `core` is null.
Parker& parker_of(ProcCoreBase* core) noexcept;

}  // namespace bastion::executor::detail
