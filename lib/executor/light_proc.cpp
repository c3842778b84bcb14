#include <bastion/executor/light_proc.hpp>
#include <bastion/executor/executor.hpp>

#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>

namespace bastion::executor {

LightProc& LightProc::operator=(LightProc&& other) noexcept {
    if (this != &other) {
        LightProc old{std::move(*this)};
        context_ = std::move(other.context_);
        core_ = std::exchange(other.core_, nullptr);
        schedule_ = std::move(other.schedule_);
    }
    return *this;
}

// A fiber that never started must still run: releasing its last reference would otherwise start it outside any
// scheduler. Run it cancelled, so its body is skipped and its handle resolves empty.
LightProc::~LightProc() {
    if (core_ == nullptr) return;
    core_->request_cancel();
    run();
}

void LightProc::schedule() {
    auto schedule = schedule_;
    if (!schedule || !*schedule) {
        run();
        return;
    }
    (*schedule)(std::move(*this));
}

void LightProc::run() {
    if (core_ == nullptr) return;
    boost::intrusive_ptr<boost::fibers::context> context = std::move(context_);
    core_ = nullptr;
    schedule_.reset();
    boost::fibers::context* self = boost::fibers::context::active();
    self->attach(context.get());
    self->get_scheduler()->schedule(context.get());
    context->join();
}

detail::StackPool& LightProc::default_stack_pool() {
    static detail::StackPool& pool = [] {
        const ExecutorConfig config = ExecutorConfig{}.resolved();
        return std::ref(detail::StackPool::for_size(config.stack_size, config.stack_prefault));
    }();
    return pool;
}

}  // namespace bastion::executor
