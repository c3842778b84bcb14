#pragma once
// A test-and-test-and-set spinlock for critical sections of a few instructions (queue push/pop).

#include <atomic>
#include <thread>

namespace bastion::executor::detail {

inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

/// One step of waiting for another thread to finish a few instructions: pause while it is likely still running,
/// then give it the CPU in case it was preempted right there. `spins` counts the steps taken so far.
inline void wait_step(unsigned spins) noexcept {
    if (spins < 64) {
        spin_pause();
    } else {
        std::this_thread::yield();
    }
}

class Spinlock {
public:
    void lock() noexcept {
        while (locked_.exchange(true, std::memory_order_acquire)) {
            while (locked_.load(std::memory_order_relaxed)) spin_pause();
        }
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> locked_{false};
};

}  // namespace bastion::executor::detail
