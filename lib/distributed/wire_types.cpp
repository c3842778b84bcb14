// The process's table of remote message types, and the standard types every node knows.

#include <bastion/distributed/remote_message.hpp>

#include <cstdint>
#include <iostream>
#include <mutex>
#include <type_traits>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

namespace bastion::distributed::detail {

namespace {

struct WireTypes {
    std::mutex lock;
    std::unordered_map<std::type_index, WireType> by_type;
    std::unordered_map<std::string_view, const WireType*> by_name;
};

WireTypes& wire_types() {
    // Built on first use: registrations run during static initialisation, in no particular order.
    static WireTypes* types = new WireTypes;  // never destroyed: lookups may come from threads outliving main
    return *types;
}

}  // namespace

bool register_wire_type(const WireType& wire) noexcept {
    WireTypes& types = wire_types();
    std::lock_guard guard{types.lock};
    if (auto taken = types.by_name.find(wire.name); taken != types.by_name.end()) {
        if (*taken->second->type != *wire.type) {
            std::cerr << "bastion: BASTION_REMOTE_MESSAGE(" << wire.name << ") names a second type; the first keeps "
                      << "the name and the second cannot be sent to other nodes\n";
        }
        return true;
    }
    auto [entry, added] = types.by_type.emplace(std::type_index{*wire.type}, wire);
    if (added) types.by_name.emplace(entry->second.name, &entry->second);
    return true;
}

const WireType* find_wire_type(const std::type_info& type) noexcept {
    WireTypes& types = wire_types();
    std::lock_guard guard{types.lock};
    auto found = types.by_type.find(std::type_index{type});
    return found == types.by_type.end() ? nullptr : &found->second;
}

const WireType* find_wire_type(std::string_view name) noexcept {
    WireTypes& types = wire_types();
    std::lock_guard guard{types.lock};
    auto found = types.by_name.find(name);
    return found == types.by_name.end() ? nullptr : found->second;
}

namespace {

// The standard payload types, under names that are the same on every platform (a `long` is `i64` on the wire).
const bool standard_types_registered = [] {
    register_wire_type(wire_type_of<bool>("bool"));
    register_wire_type(wire_type_of<std::int8_t>("i8"));
    register_wire_type(wire_type_of<std::int16_t>("i16"));
    register_wire_type(wire_type_of<std::int32_t>("i32"));
    register_wire_type(wire_type_of<std::int64_t>("i64"));
    register_wire_type(wire_type_of<std::uint8_t>("u8"));
    register_wire_type(wire_type_of<std::uint16_t>("u16"));
    register_wire_type(wire_type_of<std::uint32_t>("u32"));
    register_wire_type(wire_type_of<std::uint64_t>("u64"));
    // Where `long long` is not `std::int64_t` (LP64: that is `long`), it is a type of its own, with a name of its own.
    if constexpr (!std::is_same_v<long long, std::int64_t>) register_wire_type(wire_type_of<long long>("longlong"));
    if constexpr (!std::is_same_v<unsigned long long, std::uint64_t>) {
        register_wire_type(wire_type_of<unsigned long long>("ulonglong"));
    }
    register_wire_type(wire_type_of<char>("char"));
    register_wire_type(wire_type_of<float>("f32"));
    register_wire_type(wire_type_of<double>("f64"));
    register_wire_type(wire_type_of<std::string>("string"));
    register_wire_type(wire_type_of<std::vector<std::uint8_t>>("bytes"));
    register_wire_type(wire_type_of<std::vector<std::string>>("strings"));
    register_wire_type(wire_type_of<std::vector<std::int64_t>>("i64s"));
    register_wire_type(wire_type_of<std::vector<double>>("f64s"));
    register_wire_type(wire_type_of<RefAddr>("address"));
    return true;
}();

}  // namespace

}  // namespace bastion::distributed::detail
