// EXPECT: ANSWER(ctx, reply) answers the ask being handled, so it belongs inside an ASK arm of MSG
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

void handle(bastion::BastionContext& ctx, bastion::SignedMessage msg) {
    // A TELL arm has no ask to answer.
    MSG(std::move(msg), TELL(int x) { (void)ANSWER(ctx, x + 1); }, OTHERWISE(_) {});
}

int main() {}
