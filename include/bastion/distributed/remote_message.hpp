#pragma once
/// \file
/// Remote messages: which payload types can travel to another node, and their wire format (MessagePack).
///
/// A payload sent to an actor on another node is encoded with MessagePack and decoded there into the same C++ type,
/// so `MSG` arms match it exactly as they would locally. The standard scalar and string types are registered already;
/// a user type becomes a remote message with one line at global namespace scope, naming its fields:
///
/// ```cpp
/// struct Greeting { std::string text; int times; };
/// BASTION_REMOTE_MESSAGE(Greeting, text, times)
/// ```
///
/// Fields are encoded in the order given, as a MessagePack array; each field's type must be one MessagePack knows
/// (numbers, strings, vectors, maps, optionals, ...), a registered message itself, or a `RefAddr`: an address
/// sent to another node still reaches its actor from there (`ChildRef::addr()` gives an actor's). The type's name as written in
/// the macro is its identity on the wire, so every node registers it with the same spelling. Sending an unregistered
/// type to a remote actor hands the message back and reports which type it was; it never crashes either node.

#include <bastion/detail/letter.hpp>
#include <bastion/ref_addr.hpp>

#include <boost/preprocessor/seq/for_each_i.hpp>
#include <boost/preprocessor/variadic/size.hpp>
#include <boost/preprocessor/variadic/to_seq.hpp>
#include <msgpack.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

namespace bastion::distributed {

namespace detail {

/// Where frames are encoded: a byte string MessagePack's packer appends to.
struct WireBuffer {
    void write(const char* data, std::size_t size) { bytes.append(data, size); }
    std::string bytes;
};
using Packer = msgpack::packer<WireBuffer>;

/// How one payload type travels: its wire name, how to encode a payload, and how to rebuild a letter around a decoded
/// one.
struct WireType {
    std::string_view name;
    const std::type_info* type;
    void (*pack)(Packer& packer, const void* payload);
    /// Throws msgpack::type_error if `object` is not a `type`.
    bastion::detail::LetterPtr (*unpack)(const msgpack::object& object, bastion::detail::MessageKind kind, RefAddr sign);
};

/// Adds `wire` to the process's table. Returns true; a second type under a name already taken is reported on stderr
/// and left out (the first keeps the name).
bool register_wire_type(const WireType& wire) noexcept;

/// The entry for a payload type, or null if it has none.
const WireType* find_wire_type(const std::type_info& type) noexcept;
/// The entry for a wire name, or null if no type is registered under it.
const WireType* find_wire_type(std::string_view name) noexcept;

template <class T>
WireType wire_type_of(std::string_view name) noexcept {
    return WireType{
        name,
        &typeid(T),
        [](Packer& packer, const void* payload) { packer.pack(*static_cast<const T*>(payload)); },
        [](const msgpack::object& object, bastion::detail::MessageKind kind, RefAddr sign) {
            return bastion::detail::make_letter(kind, std::move(sign), object.as<T>());
        },
    };
}

/// Writes an address inside a message being sent to another node: the actor's node and identity, so that the
/// receiving node rebuilds an address that reaches it. Throws msgpack::type_error outside a node's encoding.
void pack_address(Packer& packer, const RefAddr& addr);
/// The address a message from another node carries (dead letters for nil). Throws msgpack::type_error if `object` is
/// not one, or outside a node's decoding.
RefAddr unpack_address(const msgpack::object& object);

/// Specialized by BASTION_REMOTE_MESSAGE; its initializer registers the type before `main` runs.
template <class T>
inline const bool wire_registration = false;

}  // namespace detail

/// Whether `T` can be sent to an actor on another node (registered by the library or with BASTION_REMOTE_MESSAGE).
template <class T>
bool is_remote_message() noexcept {
    return detail::find_wire_type(typeid(T)) != nullptr;
}

}  // namespace bastion::distributed

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {

/// An address in a remote message (see `bastion::distributed::detail::pack_address`).
template <>
struct pack<bastion::RefAddr> {
    /// Writes `addr` (only into a node's frames).
    template <class Stream>
    packer<Stream>& operator()(packer<Stream>& out, const bastion::RefAddr& addr) const {
        static_assert(std::is_same_v<Stream, bastion::distributed::detail::WireBuffer>,
                      "an address can be encoded only into a node's frames");
        bastion::distributed::detail::pack_address(out, addr);
        return out;
    }
};
/// An address in a remote message, rebuilt by the receiving node.
template <>
struct convert<bastion::RefAddr> {
    /// Reads `addr` back (only from a node's frames).
    const msgpack::object& operator()(const msgpack::object& in, bastion::RefAddr& addr) const {
        addr = bastion::distributed::detail::unpack_address(in);
        return in;
    }
};
}  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack

// clang-format off
#define BASTION_DETAIL_WIRE_PACK_FIELD(r, value, i, field) packer.pack(value.field);
#define BASTION_DETAIL_WIRE_CONVERT_FIELD(r, value, i, field) object.via.array.ptr[i].convert(value.field);
#define BASTION_DETAIL_WIRE_FIELDS(macro, ...) __VA_OPT__(BOOST_PP_SEQ_FOR_EACH_I(macro, value, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__)))
#define BASTION_DETAIL_WIRE_COUNT(...) (0 __VA_OPT__(+ BOOST_PP_VARIADIC_SIZE(__VA_ARGS__)))
// clang-format on

/// Makes `Type` a remote message whose wire form is the array of the named fields: `BASTION_REMOTE_MESSAGE(Point, x,
/// y)`, or `BASTION_REMOTE_MESSAGE(Ping)` for a type without fields. Use it once, at global namespace scope, with the
/// same spelling of `Type` on every node. `Type` must be default-constructible and movable.
#define BASTION_REMOTE_MESSAGE(Type, ...)                                                                             \
    namespace msgpack {                                                                                               \
    MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {                                                           \
    namespace adaptor {                                                                                               \
    template <>                                                                                                       \
    struct pack<Type> {                                                                                               \
        template <class Stream>                                                                                       \
        msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& packer, const Type& value) const {              \
            (void)value;                                                                                              \
            packer.pack_array(BASTION_DETAIL_WIRE_COUNT(__VA_ARGS__));                                                \
            BASTION_DETAIL_WIRE_FIELDS(BASTION_DETAIL_WIRE_PACK_FIELD, __VA_ARGS__)                                   \
            return packer;                                                                                            \
        }                                                                                                             \
    };                                                                                                                \
    template <>                                                                                                       \
    struct convert<Type> {                                                                                            \
        const msgpack::object& operator()(const msgpack::object& object, Type& value) const {                         \
            (void)value;                                                                                              \
            if (object.type != msgpack::type::ARRAY ||                                                                \
                object.via.array.size != BASTION_DETAIL_WIRE_COUNT(__VA_ARGS__)) {                                    \
                throw msgpack::type_error();                                                                          \
            }                                                                                                         \
            BASTION_DETAIL_WIRE_FIELDS(BASTION_DETAIL_WIRE_CONVERT_FIELD, __VA_ARGS__)                                \
            return object;                                                                                            \
        }                                                                                                             \
    };                                                                                                                \
    }                                                                                                                 \
    }                                                                                                                 \
    }                                                                                                                 \
    template <>                                                                                                       \
    inline const bool bastion::distributed::detail::wire_registration<Type> =                                         \
        bastion::distributed::detail::register_wire_type(bastion::distributed::detail::wire_type_of<Type>(#Type));
