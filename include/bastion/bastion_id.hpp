#pragma once
/// \file
/// The identity of a supervisor, children group or child. Rust: `bastion::context::BastionId`.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace bastion {

/// A random (version 4) UUID naming one element of the supervision tree; a restarted child keeps its id.
///
/// Default-constructed, it is the nil UUID, `NIL_ID`, which names the system supervisor and dead letters.
/// Ordered and hashable, so it can key `std::map` and `std::unordered_map`.
class BastionId {
public:
    /// `NIL_ID`.
    constexpr BastionId() noexcept = default;

    /// A fresh random id. Any thread; does not suspend. Rust: `BastionId::new`.
    static BastionId new_v4() noexcept;

    /// Whether this is `NIL_ID`.
    constexpr bool is_nil() const noexcept { return high_ == 0 && low_ == 0; }

    /// The 16 bytes of the UUID, most significant first (its wire form). Rust: `Uuid::as_bytes`.
    constexpr std::array<std::uint8_t, 16> to_bytes() const noexcept {
        std::array<std::uint8_t, 16> bytes{};
        for (int i = 0; i < 8; ++i) {
            bytes[i] = static_cast<std::uint8_t>(high_ >> (56 - 8 * i));
            bytes[8 + i] = static_cast<std::uint8_t>(low_ >> (56 - 8 * i));
        }
        return bytes;
    }
    /// The id whose bytes are `bytes`, most significant first. Rust: `Uuid::from_bytes`.
    static constexpr BastionId from_bytes(const std::array<std::uint8_t, 16>& bytes) noexcept {
        std::uint64_t high = 0, low = 0;
        for (int i = 0; i < 8; ++i) {
            high = (high << 8) | bytes[i];
            low = (low << 8) | bytes[8 + i];
        }
        return {high, low};
    }
    /// Canonical lowercase form, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`, as Rust's `Display`.
    std::string to_string() const;

    /// Same UUID.
    friend constexpr bool operator==(const BastionId&, const BastionId&) noexcept = default;
    /// Orders as the canonical text does.
    friend constexpr std::strong_ordering operator<=>(const BastionId&, const BastionId&) noexcept = default;

private:
    friend struct std::hash<BastionId>;

    constexpr BastionId(std::uint64_t high, std::uint64_t low) noexcept : high_{high}, low_{low} {}

    // The 16 bytes read big-endian, so comparing the halves orders ids as their text does.
    std::uint64_t high_ = 0;
    std::uint64_t low_ = 0;
};

/// The nil id: the system supervisor's and dead letters'. Rust: `NIL_ID`.
inline constexpr BastionId NIL_ID{};

/// Writes `to_string()`.
std::ostream& operator<<(std::ostream& os, const BastionId& id);

}  // namespace bastion

template <>
/// Hashes a BastionId, so it can key `std::unordered_map`.
struct std::hash<bastion::BastionId> {
    /// The two halves of the UUID folded together.
    std::size_t operator()(const bastion::BastionId& id) const noexcept {
        // v4 ids are random already: folding the halves lands each fixed version or variant bit on a random one.
        return static_cast<std::size_t>(id.high_ ^ id.low_);
    }
};
