// libFuzzer target for the cluster's wire codec (lib/distributed/frame.{hpp,cpp}): the bytes a peer could send.
// Built and run by scripts/fuzz.sh, with clang's -fsanitize=fuzzer,address,undefined.
//
// The input is a byte stream as it would arrive on a link. It goes through a FrameReader (64 KiB limit) three times,
// cut into different chunks (all at once, byte by byte, and pseudo-random chunks derived from the input); the three
// runs must cut the same frame bodies and end the same way. The input repeated past 80 KiB goes through twice more
// (at once and in chunks), which makes the reader slide and grow its buffer, and must be cut the same both times.
//
// Each body is copied to a buffer of its exact size (so ASan sees any read past it) and decoded; the copy is freed
// before the decoded frame is used, since a frame's views must point into its own handle, not into the bytes it was
// decoded from (fuzz.sh builds with 1-byte msgpack zone chunks, so the handle's strings are separate blocks too). A
// decoded frame is then read through: every string, every id, the payload's whole MessagePack value (walked,
// printed, and converted to each standard remote message type), and it is written again with FrameWriter and
// decoded again, which must give the same frame. The bytes after the first 4 are also decoded as one body whatever
// the length prefix says, so mutations that break the prefix still reach the decoder.
//
// Caught: FrameError (from the reader and decode_frame: a link closed, as in Node) and msgpack::type_error (from
// the payload conversions only, as in a WireType's unpack). Anything else, any sanitizer report, and any broken
// expectation (checked below with `expect`, which aborts) is a crash for libFuzzer.
//
// Optional: FRAME_FUZZ_MAX_ALLOC_RATIO=R makes a decode that allocates more than R times the body's size
// (+ 64 KiB) a crash, to look for inputs that make the decoder allocate far more than they weigh.

#include "distributed/frame.hpp"

#include <msgpack.hpp>
#include <sanitizer/allocator_interface.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

using namespace bastion;
using namespace bastion::distributed::detail;

namespace {

constexpr std::size_t max_frame_size = 64 * 1024;

static_assert(std::variant_size_v<FrameBody> == 13,
              "a frame kind was added or removed: give it a `touch`, a `write` and a `same` here, and seeds in "
              "make_corpus.cpp (then scripts/fuzz.sh corpus), and update this count");

// Where read values go, so the reads are not optimized away.
volatile std::uint64_t sink;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "frame_fuzzer: %s\n", what);
    std::abort();
}

void expect(bool condition, const char* what) {
    if (!condition) fail(what);
}

// Allocation accounting during decode_frame (only with FRAME_FUZZ_MAX_ALLOC_RATIO).

double max_alloc_ratio = 0;
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocated{0};

void on_malloc(const volatile void*, std::size_t size) {
    if (counting.load(std::memory_order_relaxed)) allocated.fetch_add(size, std::memory_order_relaxed);
}
void on_free(const volatile void*) {}

// Reading the decoded views: every byte of every string, every id.

std::uint64_t hash(std::string_view bytes) {
    std::uint64_t h = 1469598103934665603ull ^ bytes.size();
    for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return h;
}

void touch(std::string_view bytes) { sink = sink + hash(bytes); }

void touch(const BastionId& id) {
    const auto bytes = id.to_bytes();
    touch(std::string_view{reinterpret_cast<const char*>(bytes.data()), bytes.size()});
    touch(id.to_string());
}

// Every byte reachable from a MessagePack object.
void walk(const msgpack::object& object, int depth = 0) {
    expect(depth <= 64, "a decoded value nests deeper than the decoder allows");
    switch (object.type) {
        case msgpack::type::STR: touch({object.via.str.ptr, object.via.str.size}); break;
        case msgpack::type::BIN: touch({object.via.bin.ptr, object.via.bin.size}); break;
        case msgpack::type::EXT:
            touch({object.via.ext.ptr, object.via.ext.size});  // the type byte, then the data
            break;
        case msgpack::type::ARRAY:
            for (std::uint32_t i = 0; i < object.via.array.size; ++i) walk(object.via.array.ptr[i], depth + 1);
            break;
        case msgpack::type::MAP:
            for (std::uint32_t i = 0; i < object.via.map.size; ++i) {
                walk(object.via.map.ptr[i].key, depth + 1);
                walk(object.via.map.ptr[i].val, depth + 1);
            }
            break;
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: {
            double value = object.via.f64;
            std::uint64_t bits;
            std::memcpy(&bits, &value, sizeof bits);
            sink = sink + bits;
            break;
        }
        default: sink = sink + object.via.u64; break;
    }
}

template <class T>
void use(const T& value) {
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
        touch(value);
    } else if constexpr (std::is_arithmetic_v<T>) {
        sink = sink + static_cast<std::uint64_t>(value != T{});
    } else {
        sink = sink + value.size();
        for (const auto& element : value) use(element);
    }
}

// What a WireType's unpack does (`object.as<T>()`); a type_error is how a payload of another type is refused.
template <class T>
void convert(const msgpack::object& object) {
    try {
        use(object.as<T>());
    } catch (const msgpack::type_error&) {
    }
}

void touch(const WirePayload& payload) {
    touch(payload.type);
    expect(payload.value != nullptr, "a payload without a value");
    const msgpack::object& value = *payload.value;
    walk(value);
    std::ostringstream printed;
    printed << value;
    touch(printed.str());
    // The standard remote message types (lib/distributed/wire_types.cpp), whatever the type name says.
    convert<bool>(value);
    convert<std::int8_t>(value);
    convert<std::int16_t>(value);
    convert<std::int32_t>(value);
    convert<std::int64_t>(value);
    convert<std::uint8_t>(value);
    convert<std::uint16_t>(value);
    convert<std::uint32_t>(value);
    convert<std::uint64_t>(value);
    convert<float>(value);
    convert<double>(value);
    convert<std::string>(value);
    convert<std::string_view>(value);
    convert<std::vector<std::uint8_t>>(value);
    convert<std::vector<std::string>>(value);
    convert<std::vector<std::int64_t>>(value);
    convert<std::vector<double>>(value);
    // A death notice is read by hand (Node::on_terminated): [actor id (bin 16), reason].
    if (payload.type == terminated_type && value.type == msgpack::type::ARRAY && value.via.array.size == 2 &&
        value.via.array.ptr[0].type == msgpack::type::BIN && value.via.array.ptr[0].via.bin.size == 16) {
        std::array<std::uint8_t, 16> id;
        std::memcpy(id.data(), value.via.array.ptr[0].via.bin.ptr, 16);
        touch(BastionId::from_bytes(id));
    }
}

void touch(const std::optional<WireRef>& ref) {
    if (!ref) return;
    expect(!ref->node.empty(), "a decoded ref with an empty node");
    expect(!ref->chain.empty(), "a decoded ref with an empty parent chain");
    touch(ref->node);
    sink = sink + ref->incarnation;
    touch(ref->id);
    for (const auto& link : ref->chain) touch(link);
    touch(ref->group);
}

void touch(const Hello& hello) {
    sink = sink + hello.version + hello.incarnation;
    touch(hello.cluster);
    touch(hello.node);
    touch(hello.address);
}
void touch(const Members& members) {
    for (const auto& member : members.members) {
        touch(member.node);
        sink = sink + member.incarnation;
        touch(member.address);
    }
}
void touch(const Heartbeat&) {}
void touch(const Tell& tell) {
    touch(tell.to);
    touch(tell.sign);
    touch(tell.payload);
}
void touch(const Ask& ask) {
    sink = sink + ask.request;
    touch(ask.to);
    touch(ask.sign);
    touch(ask.payload);
}
void touch(const Reply& reply) {
    sink = sink + reply.request;
    touch(reply.sign);
    touch(reply.payload);
}
void touch(const NoReply& no_reply) {
    sink = sink + no_reply.request;
    touch(no_reply.reason);
}
void touch(const Lookup& lookup) {
    sink = sink + lookup.request;
    touch(lookup.name);
}
void touch(const Found& found) {
    sink = sink + found.request;
    touch(found.actor);
}
void touch(const Goodbye&) {}
void touch(const Monitor& monitor) {
    touch(monitor.actor);
    touch(monitor.watcher);
}
void touch(const Joined& joined) {
    touch(joined.distributor);
    touch(joined.member);
}
void touch(const Left& left) {
    touch(left.distributor);
    touch(left.member);
}

// Writing a decoded frame again.

void write_ref(FrameWriter& out, const std::optional<WireRef>& ref) {
    if (!ref) {
        out.pack_nil();
        return;
    }
    out.pack_ref(ref->node, ref->incarnation, ref->id, ref->chain, ref->group);
}

void write_payload(FrameWriter& out, const WirePayload& payload) {
    out.packer().pack(payload.type);
    out.packer().pack(*payload.value);
}

void write(FrameWriter& out, const Hello& hello) {
    out.begin(FrameKind::Hello, 5)
        .pack(hello.version)
        .pack(hello.cluster)
        .pack(hello.node)
        .pack(hello.incarnation)
        .pack(hello.address);
}
void write(FrameWriter& out, const Members& members) {
    out.begin(FrameKind::Members, 1).pack_array(static_cast<std::uint32_t>(members.members.size()));
    for (const auto& member : members.members) {
        out.packer().pack_array(3).pack(member.node).pack(member.incarnation).pack(member.address);
    }
}
void write(FrameWriter& out, const Heartbeat&) { out.begin(FrameKind::Heartbeat, 0); }
void write(FrameWriter& out, const Tell& tell) {
    out.begin(FrameKind::Tell, 4);
    out.pack_id(tell.to);
    write_ref(out, tell.sign);
    write_payload(out, tell.payload);
}
void write(FrameWriter& out, const Ask& ask) {
    out.begin(FrameKind::Ask, 5).pack(ask.request);
    out.pack_id(ask.to);
    write_ref(out, ask.sign);
    write_payload(out, ask.payload);
}
void write(FrameWriter& out, const Reply& reply) {
    out.begin(FrameKind::Reply, 4).pack(reply.request);
    write_ref(out, reply.sign);
    write_payload(out, reply.payload);
}
void write(FrameWriter& out, const NoReply& no_reply) {
    out.begin(FrameKind::NoReply, 2).pack(no_reply.request).pack(no_reply.reason);
}
void write(FrameWriter& out, const Lookup& lookup) {
    out.begin(FrameKind::Lookup, 2).pack(lookup.request).pack(lookup.name);
}
void write(FrameWriter& out, const Found& found) {
    out.begin(FrameKind::Found, 2).pack(found.request);
    write_ref(out, found.actor);
}
void write(FrameWriter& out, const Goodbye&) { out.begin(FrameKind::Goodbye, 0); }
void write(FrameWriter& out, const Monitor& monitor) {
    out.begin(FrameKind::Monitor, 2);
    out.pack_id(monitor.actor);
    write_ref(out, monitor.watcher);
}
void write(FrameWriter& out, const Joined& joined) {
    out.begin(FrameKind::Joined, 2).pack(joined.distributor);
    write_ref(out, joined.member);
}
void write(FrameWriter& out, const Left& left) {
    out.begin(FrameKind::Left, 2).pack(left.distributor);
    out.pack_id(left.member);
}

// The same frame, field by field; a payload's value is compared by its MessagePack encoding.

std::string packed(const msgpack::object& object) {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, object);
    return {buffer.data(), buffer.size()};
}

bool same(const std::optional<WireRef>& a, const std::optional<WireRef>& b) {
    if (a.has_value() != b.has_value()) return false;
    if (!a) return true;
    return a->node == b->node && a->incarnation == b->incarnation && a->id == b->id && a->chain == b->chain &&
           a->group == b->group;
}
bool same(const WirePayload& a, const WirePayload& b) {
    return a.type == b.type && packed(*a.value) == packed(*b.value);
}
bool same(const Hello& a, const Hello& b) {
    return a.version == b.version && a.cluster == b.cluster && a.node == b.node && a.incarnation == b.incarnation &&
           a.address == b.address;
}
bool same(const Members& a, const Members& b) {
    return std::equal(a.members.begin(), a.members.end(), b.members.begin(), b.members.end(),
                      [](const WireMember& x, const WireMember& y) {
                          return x.node == y.node && x.incarnation == y.incarnation && x.address == y.address;
                      });
}
bool same(const Heartbeat&, const Heartbeat&) { return true; }
bool same(const Tell& a, const Tell& b) { return a.to == b.to && same(a.sign, b.sign) && same(a.payload, b.payload); }
bool same(const Ask& a, const Ask& b) {
    return a.request == b.request && a.to == b.to && same(a.sign, b.sign) && same(a.payload, b.payload);
}
bool same(const Reply& a, const Reply& b) {
    return a.request == b.request && same(a.sign, b.sign) && same(a.payload, b.payload);
}
bool same(const NoReply& a, const NoReply& b) { return a.request == b.request && a.reason == b.reason; }
bool same(const Lookup& a, const Lookup& b) { return a.request == b.request && a.name == b.name; }
bool same(const Found& a, const Found& b) { return a.request == b.request && same(a.actor, b.actor); }
bool same(const Goodbye&, const Goodbye&) { return true; }
bool same(const Monitor& a, const Monitor& b) { return a.actor == b.actor && same(a.watcher, b.watcher); }
bool same(const Joined& a, const Joined& b) { return a.distributor == b.distributor && same(a.member, b.member); }
bool same(const Left& a, const Left& b) { return a.distributor == b.distributor && a.member == b.member; }

// One body: decoded from an exact-size copy, read through, written again and decoded again.
void check_body(std::span<const char> body) {
    std::optional<Frame> frame;
    {
        auto copy = std::make_unique<char[]>(body.size());
        std::memcpy(copy.get(), body.data(), body.size());
        allocated = 0;
        counting = true;
        try {
            frame.emplace(decode_frame({copy.get(), body.size()}));
        } catch (const FrameError& error) {
            counting = false;
            touch(error.what());
        }
        counting = false;
        if (max_alloc_ratio > 0 &&
            static_cast<double>(allocated.load()) > max_alloc_ratio * static_cast<double>(body.size()) + 65536) {
            std::fprintf(stderr, "frame_fuzzer: decoding a body of %zu bytes allocated %zu bytes\n", body.size(),
                         allocated.load());
            fail("the decoder allocated more than FRAME_FUZZ_MAX_ALLOC_RATIO times the body's size");
        }
    }  // the bytes are gone: from here on, everything read must live in frame->handle
    if (!frame) return;

    std::visit([](const auto& decoded) { touch(decoded); }, frame->body);

    FrameWriter out;
    std::visit([&](const auto& decoded) { write(out, decoded); }, frame->body);
    out.end();
    expect(out.size() > 4, "FrameWriter wrote an empty frame");
    Frame again = decode_frame({out.data() + 4, out.size() - 4});  // a FrameError here is a crash too
    expect(frame->body.index() == again.body.index(), "a frame written again decodes as another kind");
    const bool equal = std::visit(
        [&](const auto& first) {
            using Body = std::decay_t<decltype(first)>;
            return same(first, std::get<Body>(again.body));
        },
        frame->body);
    expect(equal, "a frame written again decodes to different fields");
}

// How a stream ends up through a FrameReader: the bodies it cut, then an error or nothing.
struct Cut {
    std::vector<std::string> bodies;
    std::optional<std::string> error;
};

// Feeds `data` to a FrameReader in chunks of `chunk(fed)` bytes (at most what `space()` offers).
template <class Chunk>
Cut cut(const std::uint8_t* data, std::size_t size, Chunk chunk) {
    Cut result;
    FrameReader reader{max_frame_size};
    std::size_t fed = 0;
    try {
        for (;;) {
            while (auto body = reader.next()) {
                expect(!body->empty() && body->size() <= max_frame_size, "the reader cut a body of a bad size");
                result.bodies.emplace_back(body->data(), body->size());
            }
            if (fed == size) break;
            auto space = reader.space();
            expect(space.size() >= 4096, "the reader offered less than 4 KiB of room");
            const std::size_t n = std::min({chunk(fed), space.size(), size - fed});
            std::memcpy(space.data(), data + fed, n);
            reader.commit(n);
            fed += n;
        }
    } catch (const FrameError& error) {
        result.error = error.what();
    }
    return result;
}

bool operator==(const Cut& a, const Cut& b) { return a.bodies == b.bodies && a.error == b.error; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* ratio = std::getenv("FRAME_FUZZ_MAX_ALLOC_RATIO")) {
        max_alloc_ratio = std::atof(ratio);
        if (max_alloc_ratio > 0) __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Chunk sizes for the third run, from a generator seeded by the input (so a crash replays exactly).
    std::uint64_t state = hash({reinterpret_cast<const char*>(data), size}) | 1;
    auto random_chunk = [&](std::size_t) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return std::size_t{1} + static_cast<std::size_t>(state % 600);
    };

    const Cut whole = cut(data, size, [](std::size_t) { return ~std::size_t{0}; });
    const Cut bytes = cut(data, size, [](std::size_t) { return std::size_t{1}; });
    const Cut chunks = cut(data, size, random_chunk);
    expect(whole == bytes, "the reader cuts a stream fed byte by byte differently from the same stream at once");
    expect(whole == chunks, "the reader cuts a stream fed in chunks differently from the same stream at once");

    for (const auto& body : whole.bodies) check_body({body.data(), body.size()});

    // The input over and over, past 80 KiB: only a stream longer than the reader's first 64 KiB buffer makes it slide
    // what is left to the front and grow. Fed as fast as it takes and in chunks of 9 to 4801 bytes, it must be cut
    // the same. (An input the reader refused is refused again in its first copy: nothing new to see.)
    if (size > 0 && !whole.error) {
        constexpr std::size_t long_stream = 80 * 1024;
        std::string stream;
        stream.reserve(long_stream + size);
        while (stream.size() < long_stream) stream.append(reinterpret_cast<const char*>(data), size);
        const auto* repeated = reinterpret_cast<const std::uint8_t*>(stream.data());
        auto big_chunk = [&](std::size_t) { return std::size_t{1} + random_chunk(0) * 8; };
        const Cut at_once = cut(repeated, stream.size(), [](std::size_t) { return ~std::size_t{0}; });
        const Cut in_chunks = cut(repeated, stream.size(), big_chunk);
        expect(at_once == in_chunks, "the reader cuts a long stream fed in chunks differently from the same at once");
        expect(at_once.bodies.size() >= whole.bodies.size(), "the reader cuts fewer bodies from a longer stream");
    }

    // The rest of the input as one body, unless the reader already cut exactly that.
    if (size > 4 && (whole.bodies.empty() || whole.bodies.front().size() != size - 4)) {
        check_body({reinterpret_cast<const char*>(data) + 4, size - 4});
    }
    return 0;
}
