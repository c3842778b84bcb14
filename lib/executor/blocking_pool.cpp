#include "executor/blocking_pool.hpp"

#include "executor/thread_state.hpp"

namespace bastion::executor::detail {

BlockingPool::BlockingPool(Executor& owner, std::size_t low_watermark, std::chrono::milliseconds keep_alive)
    : owner_{owner}, low_watermark_{low_watermark}, keep_alive_{keep_alive} {}

BlockingPool::~BlockingPool() { stop(); }

void BlockingPool::submit(LightProc proc) {
    std::unique_lock lock{mutex_};
    if (stopping_) {
        lock.unlock();
        proc.cancel();  // its destructor runs it here, cancelled, so its handle resolves
        return;
    }
    queue_.push_back(std::move(proc));
    if (idle_ > 0) {
        work_.notify_one();
        return;
    }
    reap_finished();
    if (running_ < max_threads) {
        Thread& t = threads_.emplace_back();
        ++running_;
        t.thread = std::thread{[this, &t] { run(&t); }};
    }
}

void BlockingPool::run(Thread* self) {
    set_this_thread_blocking_executor(&owner_);
    std::unique_lock lock{mutex_};
    for (;;) {
        if (!queue_.empty()) {
            LightProc proc = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            proc.run();
            lock.lock();
            continue;
        }
        if (stopping_) break;
        ++idle_;
        const bool woke = work_.wait_for(lock, keep_alive_, [this] { return !queue_.empty() || stopping_; });
        --idle_;
        if (!woke && running_ > low_watermark_) break;
    }
    --running_;
    self->finished = true;
}

void BlockingPool::reap_finished() {
    for (auto it = threads_.begin(); it != threads_.end();) {
        if (it->finished) {
            it->thread.join();
            it = threads_.erase(it);
        } else {
            ++it;
        }
    }
}

void BlockingPool::stop() {
    std::list<Thread> threads;
    {
        std::lock_guard lock{mutex_};
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
        threads.splice(threads.end(), threads_);
    }
    work_.notify_all();
    for (Thread& t : threads) t.thread.join();
}

std::size_t BlockingPool::threads() const {
    std::lock_guard lock{mutex_};
    return running_;
}

}  // namespace bastion::executor::detail
