#pragma once
/// \file
/// Runtime settings given to `Bastion::init_with`. Rust: `bastion::Config`.

#include <cstddef>
#include <cstdint>

namespace bastion {

/// Runtime settings: `Bastion::init_with(Config{}.hide_backtraces())`. Builders return a modified copy.
///
/// Upstream has only the backtrace switch; the worker and blocking-thread counts are ours.
class Config {
public:
    /// Backtraces shown, executor defaults. Rust: `Config::new()`.
    Config() = default;

    /// Print a line when an actor fails (the default). Rust: `Config::show_backtraces`.
    constexpr Config show_backtraces() const noexcept {
        Config c = *this;
        c.backtraces_ = Backtraces::Show;
        return c;
    }
    /// Keep actor failures quiet, e.g. in tests that fail actors on purpose. Rust: `Config::hide_backtraces`.
    constexpr Config hide_backtraces() const noexcept {
        Config c = *this;
        c.backtraces_ = Backtraces::Hide;
        return c;
    }
    /// False after `hide_backtraces()`.
    constexpr bool backtraces_shown() const noexcept { return backtraces_ == Backtraces::Show; }

    /// Worker threads of the executor; 0 means `BASTION_WORKERS`, else one per processing unit (`ExecutorConfig`).
    constexpr Config with_workers(std::size_t workers) const noexcept {
        Config c = *this;
        c.workers_ = workers;
        return c;
    }
    /// Threads the blocking pool keeps when idle (its low watermark); 0 means `BASTION_BLOCKING_THREADS`, else 2.
    constexpr Config with_blocking_threads(std::size_t threads) const noexcept {
        Config c = *this;
        c.blocking_threads_ = threads;
        return c;
    }
    ///@{
    /// As given to `with_workers`; `blocking_threads` likewise.
    constexpr std::size_t workers() const noexcept { return workers_; }
    constexpr std::size_t blocking_threads() const noexcept { return blocking_threads_; }
    ///@}

private:
    enum class Backtraces : std::uint8_t { Show, Hide };

    Backtraces backtraces_ = Backtraces::Show;
    std::size_t workers_ = 0;
    std::size_t blocking_threads_ = 0;
};

}  // namespace bastion
