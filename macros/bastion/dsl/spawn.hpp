#pragma once
/// \file
/// `SPAWN`, `RUN` and `BLOCKING`: Rust's `spawn!`, `run!` and `blocking!`.
///
/// Each has an expression form taking something callable (or, for RUN, a handle) and a block form. A macro name
/// cannot be both function-like and object-like, so the block form carries empty parentheses:
///
/// ```cpp
/// auto handle = SPAWN([] { return 42; });        // spawn!(async { 42 })
/// auto handle = SPAWN() { return 42; };          // spawn! { 42 }      (captures by copy, like `async move`)
/// std::optional<int> v = RUN(handle);            // run!(handle)
/// int v = RUN() { return 6 * 7; };               // run! { 6 * 7 }     (captures by reference: it blocks)
/// auto v = RUN(BLOCKING() { return read_file(); });  // run!(blocking! { read_file() })
/// ```
///
/// Every macro also exists as `BASTION_SPAWN` etc.; the short names are not defined when
/// `BASTION_NO_SHORT_MACRO_NAMES` is.

#include <bastion/executor/spawn.hpp>

#include <utility>

namespace bastion::executor::detail {

struct SpawnBlock {
    template <class F>
    friend auto operator->*(SpawnBlock, F&& block) {
        return ::bastion::executor::spawn(std::forward<F>(block));
    }
};
struct BlockingBlock {
    template <class F>
    friend auto operator->*(BlockingBlock, F&& block) {
        return ::bastion::executor::blocking(std::forward<F>(block));
    }
};
struct RunBlock {
    template <class F>
    friend decltype(auto) operator->*(RunBlock, F&& block) {
        return ::bastion::executor::run(std::forward<F>(block));
    }
};

}  // namespace bastion::executor::detail

// With arguments: the expression form. Without: a lambda introducer, so the braces that follow are its body.
#define BASTION_DETAIL_FIRST(first, ...) first

/// `SPAWN(callable)` or `SPAWN() { block }`: a new lightproc; yields its RecoverableHandle.
#define BASTION_SPAWN(...)                                                  \
    BASTION_DETAIL_FIRST(__VA_OPT__(::bastion::executor::spawn(__VA_ARGS__), ) \
                         ::bastion::executor::detail::SpawnBlock{}->*[=]() mutable, ~)

/// `BLOCKING(callable)` or `BLOCKING() { block }`: work for the blocking pool; yields its RecoverableHandle.
#define BASTION_BLOCKING(...)                                                  \
    BASTION_DETAIL_FIRST(__VA_OPT__(::bastion::executor::blocking(__VA_ARGS__), ) \
                         ::bastion::executor::detail::BlockingBlock{}->*[=]() mutable, ~)

/// `RUN(handle)`, `RUN(callable)` or `RUN() { block }`: waits here (a thread blocks, a lightproc suspends) and yields
/// the value: `std::optional` for a handle, the callable's own result otherwise (its exception is rethrown).
#define BASTION_RUN(...)                                                  \
    BASTION_DETAIL_FIRST(__VA_OPT__(::bastion::executor::run(__VA_ARGS__), ) \
                         ::bastion::executor::detail::RunBlock{}->*[&](), ~)

#ifndef BASTION_NO_SHORT_MACRO_NAMES
///@{
/// The short name of the `BASTION_` macro it expands to; not defined if `BASTION_NO_SHORT_MACRO_NAMES` is.
#define SPAWN(...) BASTION_SPAWN(__VA_ARGS__)
#define BLOCKING(...) BASTION_BLOCKING(__VA_ARGS__)
#define RUN(...) BASTION_RUN(__VA_ARGS__)
///@}
#endif
