#include <bastion/detail/signature_stash.hpp>

namespace bastion::detail {

SignatureStash::SignatureStash() noexcept : owner_{executor::detail::current_core()} {}

SignatureStash& SignatureStash::operator=(const SignatureStash&) noexcept {
    owner_ = executor::detail::current_core();
    copies_.reset();
    return *this;
}

void SignatureStash::refill(const RefAddr& self) {
    if (copies_ == nullptr) copies_ = std::make_unique<Copies>();
    copies_->refs.fill(self);
    copies_->left = batch;
}

}  // namespace bastion::detail
