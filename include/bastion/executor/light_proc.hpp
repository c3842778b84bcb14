#pragma once
/// \file
/// A lightproc scheduled by a function of the user's choosing. Rust: `lightproc::lightproc::LightProc`.

#include <bastion/executor/detail/make_proc.hpp>
#include <bastion/executor/proc_handle.hpp>
#include <bastion/executor/proc_stack.hpp>

#include <functional>
#include <memory>
#include <utility>

namespace bastion::executor {

/// A lightproc that has not run yet, with the function that schedules it.
///
/// `build` and `recoverable` return it with its handle; `schedule()` hands it to the schedule function (which may
/// queue it for another thread), and `run()` runs it on the calling thread until it ends: a plain thread blocks
/// meanwhile (its other fibers, if any, run), a lightproc only suspends. A fiber runs to its end, so, unlike a Rust
/// future, a LightProc is run once, not once per wake-up. Destroying a LightProc that never ran cancels it, so its
/// handle resolves empty.
class LightProc {
public:
    /// Receives the lightproc to run, from `schedule()`; it may run it at once or queue it for another thread.
    using ScheduleFn = std::function<void(LightProc)>;

    /// A lightproc running `fn` (callable with no arguments), scheduled by `schedule`. Rust: `LightProc::build`.
    template <class F>
    static std::pair<LightProc, ProcHandle<detail::ProcResultOf<F>>> build(F&& fn, ScheduleFn schedule,
                                                                            ProcStack stack = {}) {
        auto made = detail::make_proc(std::forward<F>(fn), std::move(stack), default_stack_pool());
        LightProc proc{made.context, made.core, std::make_shared<const ScheduleFn>(std::move(schedule))};
        return {std::move(proc), ProcHandle<detail::ProcResultOf<F>>{detail::AdoptProc{}, std::move(made.context),
                                                                     made.core}};
    }

    /// As `build`, with a RecoverableHandle. Rust: `LightProc::recoverable`.
    template <class F>
    static std::pair<LightProc, RecoverableHandle<detail::ProcResultOf<F>>> recoverable(F&& fn, ScheduleFn schedule,
                                                                                         ProcStack stack = {}) {
        auto [proc, handle] = build(std::forward<F>(fn), std::move(schedule), std::move(stack));
        return {std::move(proc), RecoverableHandle<detail::ProcResultOf<F>>{std::move(handle)}};
    }

    /// Adopts a made lightproc with no schedule function (the executor's own path).
    LightProc(boost::intrusive_ptr<boost::fibers::context> context, detail::ProcCoreBase* core,
              std::shared_ptr<const ScheduleFn> schedule = nullptr) noexcept
        : context_{std::move(context)}, core_{core}, schedule_{std::move(schedule)} {}

    /// Takes over `other`'s lightproc; `other` is left empty.
    LightProc(LightProc&& other) noexcept
        : context_{std::move(other.context_)},
          core_{std::exchange(other.core_, nullptr)},
          schedule_{std::move(other.schedule_)} {}
    /// Takes over `other`'s lightproc; one this object held and never ran is cancelled first.
    LightProc& operator=(LightProc&& other) noexcept;
    ~LightProc();

    /// Gives this lightproc to its schedule function; this object is left empty. Rust: `proc.schedule()`.
    void schedule();

    /// Runs this lightproc on the calling thread until it ends; this object is left empty. Rust: `proc.run()`.
    void run();

    /// Cancels it: it will end as soon as it runs.
    void cancel() const noexcept { core_->request_cancel(); }

    /// The lightproc's ProcStack. Only on a non-empty LightProc.
    const ProcStack& stack() const noexcept { return core_->stack(); }
    /// False once scheduled, run or moved from.
    bool valid() const noexcept { return core_ != nullptr; }

    /// The pool for lightprocs made outside an executor: `BASTION_STACK_SIZE` bytes (default 64 KiB).
    static detail::StackPool& default_stack_pool();

private:
    boost::intrusive_ptr<boost::fibers::context> context_;
    detail::ProcCoreBase* core_ = nullptr;
    std::shared_ptr<const ScheduleFn> schedule_;
};

}  // namespace bastion::executor
