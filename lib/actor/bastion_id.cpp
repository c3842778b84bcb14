#include <bastion/bastion_id.hpp>

#include <array>
#include <ostream>
#include <random>

namespace bastion {

namespace {

// xoshiro256** (Blackman and Vigna): 256 bits of state give 122 random bits per id with no visible pattern, at a
// few nanoseconds; std::random_device alone costs a system call per id.
class Xoshiro256 {
public:
    // Without an entropy source random_device throws and, noexcept here, ends the process: ids could collide.
    Xoshiro256() noexcept {
        std::random_device device;
        // SplitMix64 spreads the seed over the state, as the authors advise, so no state word starts at zero.
        std::uint64_t seed = (std::uint64_t{device()} << 32) ^ device();
        for (auto& word : state_) {
            seed += 0x9e3779b97f4a7c15;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
            z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
            word = z ^ (z >> 31);
        }
    }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> state_{};
};

}  // namespace

BastionId BastionId::new_v4() noexcept {
    // Per thread so that concurrent spawns share no state; nothing here suspends, so a fiber cannot migrate mid-call.
    thread_local Xoshiro256 rng;
    std::uint64_t high = rng.next();
    std::uint64_t low = rng.next();
    high = (high & ~std::uint64_t{0xf000}) | 0x4000;                    // version 4 (byte 6, high nibble)
    low = (low & ~(std::uint64_t{0xc} << 60)) | (std::uint64_t{0x8} << 60);  // variant 10xx (byte 8)
    return BastionId{high, low};
}

std::string BastionId::to_string() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text(36, '-');
    std::size_t pos = 0;
    auto put = [&](std::uint64_t half) {
        for (int shift = 60; shift >= 0; shift -= 4) {
            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;  // keep the dashes
            text[pos++] = digits[(half >> shift) & 0xf];
        }
    };
    put(high_);
    put(low_);
    return text;
}

std::ostream& operator<<(std::ostream& os, const BastionId& id) { return os << id.to_string(); }

}  // namespace bastion
