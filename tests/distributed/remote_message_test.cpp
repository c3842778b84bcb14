// BASTION_REMOTE_MESSAGE: a user type gets a wire name and a MessagePack form, and comes back as the same value.

#include <doctest/doctest.h>

#include <bastion/distributed/remote_message.hpp>
#include <bastion/message.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

struct Point {
    double x = 0;
    double y = 0;
    bool operator==(const Point&) const = default;
};
BASTION_REMOTE_MESSAGE(Point, x, y)

struct Ping {};
BASTION_REMOTE_MESSAGE(Ping)

namespace shapes {
struct Polygon {
    std::string name;
    std::vector<Point> corners;  // a registered message inside another
    std::map<std::string, int> tags;
    std::optional<int> layer;
};
}  // namespace shapes
BASTION_REMOTE_MESSAGE(shapes::Polygon, name, corners, tags, layer)

struct Unregistered {};

using bastion::RefAddr;
using bastion::distributed::is_remote_message;
namespace detail = bastion::distributed::detail;

namespace {

// Packs `value` as its registered type and rebuilds it from the bytes, as the receiving node does.
template <class T>
T round_trip(const T& value) {
    const auto* wire = detail::find_wire_type(typeid(T));
    REQUIRE(wire != nullptr);
    detail::WireBuffer buffer;
    detail::Packer packer{buffer};
    wire->pack(packer, &value);
    auto handle = msgpack::unpack(buffer.bytes.data(), buffer.bytes.size());
    auto letter = detail::find_wire_type(wire->name)->unpack(handle.get(), bastion::detail::MessageKind::Tell, RefAddr{});
    bastion::Msg msg{std::move(letter)};
    REQUIRE(msg.is<T>());
    return std::move(msg).downcast<T>().unwrap();
}

}  // namespace

TEST_CASE("registered types have their names as written, and round-trip") {
    CHECK(detail::find_wire_type(typeid(Point))->name == "Point");
    CHECK(detail::find_wire_type(typeid(shapes::Polygon))->name == "shapes::Polygon");
    CHECK(round_trip(Point{1.5, -2}) == Point{1.5, -2});
    (void)round_trip(Ping{});
    shapes::Polygon square{"square", {{0, 0}, {0, 1}, {1, 1}, {1, 0}}, {{"colour", 3}}, 7};
    auto back = round_trip(square);
    CHECK(back.name == "square");
    CHECK(back.corners == square.corners);
    CHECK(back.tags == square.tags);
    CHECK(back.layer == 7);
}

TEST_CASE("the standard types are registered under names independent of the platform") {
    CHECK(detail::find_wire_type(typeid(std::string))->name == "string");
    CHECK(detail::find_wire_type(typeid(std::int64_t))->name == "i64");
    CHECK(detail::find_wire_type(typeid(std::uint32_t))->name == "u32");
    CHECK(detail::find_wire_type(typeid(double))->name == "f64");
    CHECK(round_trip(std::string{"bytes\0inside", 12}) == std::string{"bytes\0inside", 12});
    CHECK(round_trip(std::int64_t{-1} << 62) == std::int64_t{-1} << 62);
    CHECK(is_remote_message<std::vector<std::uint8_t>>());
}

TEST_CASE("an unregistered type has no wire form; a value of the wrong shape does not decode") {
    CHECK_FALSE(is_remote_message<Unregistered>());
    CHECK_FALSE(is_remote_message<const char*>());
    CHECK(detail::find_wire_type("NoSuchType") == nullptr);
    // A Point sent where a Polygon is expected: a type error, which the node reports and drops.
    detail::WireBuffer buffer;
    detail::Packer packer{buffer};
    packer.pack(Point{1, 2});
    auto handle = msgpack::unpack(buffer.bytes.data(), buffer.bytes.size());
    CHECK_THROWS_AS(detail::find_wire_type("shapes::Polygon")->unpack(handle.get(), bastion::detail::MessageKind::Tell,
                                                                    RefAddr{}),
                    msgpack::type_error);
}
