// With BASTION_NO_SHORT_MACRO_NAMES, only the BASTION_-prefixed macros exist: a program that has its own MSG or
// TELL keeps them.

#define BASTION_NO_SHORT_MACRO_NAMES
#include "dsl/recorder.hpp"

#include <bastion/prelude.hpp>

#include <doctest/doctest.h>

#if defined(MSG) || defined(TELL) || defined(ASK) || defined(ANSWER) || defined(OTHERWISE) || defined(SPAWN) || \
    defined(RUN) || defined(BLOCKING) || defined(CHILDREN) || defined(SUPERVISOR) || defined(SIGNATURE)
#error "BASTION_NO_SHORT_MACRO_NAMES must leave the short names undefined"
#endif

using namespace bastion;
using namespace std::chrono_literals;

TEST_CASE("the prefixed macros work alone when the short names are turned off") {
    test::RunningSystem system;
    ChildRef doubler = Bastion::children([](Children c) {
                           return c.with_exec([](BastionContext ctx) -> Exec {
                               for (;;) {
                                   BASTION_MSG(ctx.recv(),
                                               BASTION_ASK(int n) { (void)BASTION_ANSWER(ctx, n * 2); },
                                               BASTION_OTHERWISE(_) {});
                               }
                           });
                       }).expect("children").elems().at(0);
    const int doubled = BASTION_MSG(doubler.ask_anonymously(21).expect("ask").get_for(5s),
                                    BASTION_TELL(int n) { return n; },
                                    BASTION_OTHERWISE(_) { return -1; });
    CHECK(doubled == 42);
    CHECK(BASTION_RUN([] { return 7; }) == 7);
}
