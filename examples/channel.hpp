#pragma once
/// \file
/// Just enough of Rust's `crossbeam::channel` for the lightproc examples (proc_run, proc_panic, state_change):
/// an unbounded queue behind a std::mutex and a std::condition_variable. Not part of bastion.
///
/// As in crossbeam, copies of a Sender share one channel, and once the last Sender is gone the channel is
/// disconnected: `recv()` drains what is left, then returns an empty optional (where `for proc in receiver` ends).

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

namespace channel {

template <class T>
struct Shared {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<T> queue;
    bool disconnected = false;
};

/// The sending half. Rust: `crossbeam::channel::Sender`.
template <class T>
class Sender {
public:
    explicit Sender(std::shared_ptr<Shared<T>> shared) : senders_{std::make_shared<Senders>(std::move(shared))} {}

    void send(T value) const {
        Shared<T>& shared = *senders_->shared;
        {
            std::lock_guard lock{shared.mutex};
            shared.queue.push_back(std::move(value));
        }
        shared.ready.notify_one();
    }

private:
    // Shared by every copy of this Sender; destroyed with the last one, it disconnects the channel.
    struct Senders {
        explicit Senders(std::shared_ptr<Shared<T>> s) : shared{std::move(s)} {}
        Senders(const Senders&) = delete;
        Senders& operator=(const Senders&) = delete;
        ~Senders() {
            {
                std::lock_guard lock{shared->mutex};
                shared->disconnected = true;
            }
            shared->ready.notify_all();
        }
        std::shared_ptr<Shared<T>> shared;
    };
    std::shared_ptr<Senders> senders_;
};

/// The receiving half. Rust: `crossbeam::channel::Receiver`.
template <class T>
class Receiver {
public:
    explicit Receiver(std::shared_ptr<Shared<T>> shared) : shared_{std::move(shared)} {}

    /// Waits for the next value; empty once the channel is disconnected and drained.
    std::optional<T> recv() {
        std::unique_lock lock{shared_->mutex};
        shared_->ready.wait(lock, [&] { return !shared_->queue.empty() || shared_->disconnected; });
        if (shared_->queue.empty()) return std::nullopt;
        std::optional<T> value{std::move(shared_->queue.front())};
        shared_->queue.pop_front();
        return value;
    }

private:
    std::shared_ptr<Shared<T>> shared_;
};

/// Rust: `crossbeam::channel::unbounded()`.
template <class T>
std::pair<Sender<T>, Receiver<T>> unbounded() {
    auto shared = std::make_shared<Shared<T>>();
    return {Sender<T>{shared}, Receiver<T>{shared}};
}

}  // namespace channel
