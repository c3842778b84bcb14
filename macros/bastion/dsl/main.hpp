#pragma once
/// \file
/// `BASTION_MAIN(ctx) { body }`: a program whose main is an actor, as fort's `#[fort::root]`.
///
/// ```cpp
/// BASTION_MAIN(ctx) {                      // #[fort::root]
///     ...                                  // async fn main(ctx: BastionContext) -> Result<(), ()> {
///     return Ok();                         //     Ok(())
/// }                                        // }
/// ```
///
/// Defines `int main()`: `Bastion::init()`, `Bastion::start()`, a children group of one actor whose exec is the body
/// (`ctx` is its BastionContext; it returns `Exec`), then `Bastion::block_until_stopped()`. The body runs once, is
/// never restarted, and the system stops when it ends, however it ends:
/// - `return Ok();`: main returns 0;
/// - `return Err();` or a throw: main prints why on stderr (`bastion main: ...`) and returns 1;
/// - the system is stopped from elsewhere while the body waits (its receive throws ProcCancelled): main returns 0.
/// Unlike fort, whose root keeps the system running after it returns, there is no need for a `Bastion::stop()`.
/// Only `BASTION_MAIN` exists: it has no short name (`MAIN` would be too easy to collide with).

#include <bastion/bastion.hpp>
#include <bastion/children.hpp>
#include <bastion/context.hpp>
#include <bastion/executor/proc_state.hpp>

#include <exception>
#include <iostream>
#include <memory>
#include <string>

namespace bastion::detail {

/// Runs `body` as the one actor of a fresh system and waits for the system to stop; main's exit code.
inline int run_main(Exec (*body)(BastionContext)) {
    struct Outcome {
        bool failed = false;
        std::string why;
    };
    auto outcome = std::make_shared<Outcome>();
    Bastion::init();
    Bastion::start();
    auto group = Bastion::children([body, outcome](Children children) {
        return children.with_exec([body, outcome](BastionContext ctx) -> Exec {
            try {
                if (body(std::move(ctx)).is_err()) *outcome = {true, "the body returned Err"};
            } catch (const executor::ProcCancelled&) {
                throw;  // the system is stopping: let the runtime end this actor
            } catch (const std::exception& error) {
                *outcome = {true, std::string{"the body threw: "} + error.what()};
            } catch (...) {
                *outcome = {true, "the body threw an exception that is not a std::exception"};
            }
            Bastion::stop();
            return Ok();  // done: not restarted, whatever happened
        });
    });
    if (group.is_err()) {
        std::cerr << "bastion main: could not start the main actor\n";
        return 1;
    }
    Bastion::block_until_stopped();
    if (!outcome->failed) return 0;
    std::cerr << "bastion main: " << outcome->why << '\n';
    return 1;
}

}  // namespace bastion::detail

/// `BASTION_MAIN(ctx) { body }`: `int main()` running `body` as an actor (see the file comment).
#define BASTION_MAIN(ctx)                                                                           \
    static ::bastion::Exec bastion_main_body_(::bastion::BastionContext ctx);                       \
    int main() { return ::bastion::detail::run_main(&bastion_main_body_); }                         \
    static ::bastion::Exec bastion_main_body_([[maybe_unused]] ::bastion::BastionContext ctx)
