#pragma once
// The wire between two nodes: length-prefixed frames, each a MessagePack array whose first element is its kind.
//
//   frame   = u32 big-endian body length, body
//   body    = [kind, fields...]
//   ref     = nil (dead letters) | [node, incarnation, id (bin 16), parent chain (array of bin 16), group name]
//   payload = type name, value (the type's MessagePack form)
//
//   Hello     [1, version, cluster, node, incarnation, listen address]   first frame each way
//   Members   [2, [[node, incarnation, address]...]]                     gossip: the members the sender links to
//   Heartbeat [3]
//   Tell      [4, to (bin 16), sign ref, payload...]
//   Ask       [5, request, to (bin 16), sign ref, payload...]
//   Reply     [6, request, sign ref, payload...]
//   NoReply   [7, request, reason]
//   Lookup    [8, request, name]
//   Found     [9, request, ref]
//   Goodbye   [10]
//   Monitor   [11, actor (bin 16), watcher ref]
//   Joined    [12, distributor, member ref]        an actor of the sender's joined a distributor
//   Left      [13, distributor, member (bin 16)]   ... and left it
//
// An actor's death reaches a remote watcher as a Tell of the payload type `bastion::Terminated`, value [actor id
// (bin 16), reason], so it arrives after everything the actor sent before it stopped.
//
// Decoding trusts nothing: every size is checked against the frame, and anything unexpected is a FrameError naming
// what was wrong, which closes the link that sent it.

#include <bastion/bastion_id.hpp>
#include <bastion/distributed/remote_message.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bastion::distributed::detail {

inline constexpr std::uint32_t protocol_version = 1;

enum class FrameKind : std::uint8_t {
    Hello = 1,
    Members,
    Heartbeat,
    Tell,
    Ask,
    Reply,
    NoReply,
    Lookup,
    Found,
    Goodbye,
    Monitor,
    Joined,
    Left,
};

class FrameError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An actor named on the wire.
struct WireRef {
    std::string_view node;
    std::uint64_t incarnation = 0;
    BastionId id;
    std::vector<BastionId> chain;  // the ids of its supervisors, then of its group
    std::string_view group;
};

struct WirePayload {
    std::string_view type;
    const msgpack::object* value = nullptr;
};

struct WireMember {
    std::string_view node;
    std::uint64_t incarnation = 0;
    std::string_view address;
};

struct Hello {
    std::uint32_t version = 0;
    std::string_view cluster;
    std::string_view node;
    std::uint64_t incarnation = 0;
    std::string_view address;
};
struct Members {
    std::vector<WireMember> members;
};
struct Heartbeat {};
struct Tell {
    BastionId to;
    std::optional<WireRef> sign;
    WirePayload payload;
};
struct Ask {
    std::uint64_t request = 0;
    BastionId to;
    std::optional<WireRef> sign;
    WirePayload payload;
};
struct Reply {
    std::uint64_t request = 0;
    std::optional<WireRef> sign;
    WirePayload payload;
};
struct NoReply {
    std::uint64_t request = 0;
    std::string_view reason;
};
struct Lookup {
    std::uint64_t request = 0;
    std::string_view name;
};
struct Found {
    std::uint64_t request = 0;
    std::optional<WireRef> actor;
};
struct Goodbye {};
struct Monitor {
    BastionId actor;
    std::optional<WireRef> watcher;
};

struct Joined {
    std::string_view distributor;
    std::optional<WireRef> member;
};
struct Left {
    std::string_view distributor;
    BastionId member;
};

using FrameBody =
    std::variant<Hello, Members, Heartbeat, Tell, Ask, Reply, NoReply, Lookup, Found, Goodbye, Monitor, Joined, Left>;

/// The payload type name of a death notice (see the top of this file).
inline constexpr std::string_view terminated_type = "bastion::Terminated";

/// A decoded frame; its views point into `handle`, so they live as long as the frame.
struct Frame {
    msgpack::object_handle handle;
    FrameBody body;
};

/// Decodes one frame body (without its length prefix). Throws FrameError.
Frame decode_frame(std::span<const char> body);
/// Decodes a ref (nil: dead letters) from a value of a decoded frame. Throws FrameError.
std::optional<WireRef> decode_ref(const msgpack::object& object);

/// Writes an id (bin 16).
void pack_id(Packer& packer, const BastionId& id);
/// Writes a ref from its parts (`node` empty: nil).
void pack_ref(Packer& packer, std::string_view node, std::uint64_t incarnation, const BastionId& id,
              std::span<const BastionId> chain, std::string_view group);

/// Cuts a byte stream into frame bodies. Throws FrameError on a length over the limit.
class FrameReader {
public:
    explicit FrameReader(std::size_t max_frame_size);

    /// Room to read into (at least 4 KiB).
    std::span<char> space();
    /// `n` bytes were read into `space()`.
    void commit(std::size_t n) noexcept { end_ += n; }
    /// The next whole frame body, valid until the next call; empty if more bytes are needed.
    std::optional<std::span<const char>> next();

private:
    std::size_t max_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

class FrameWriter;
/// Writes a whole NoReply frame.
void write_no_reply(FrameWriter& out, std::uint64_t request, std::string_view reason);
/// Writes the payload of a death notice (`terminated_type`, [actor id, reason]).
void pack_death_notice(FrameWriter& out, const BastionId& actor, std::uint8_t reason);

/// Appends frames to a buffer. Each `begin` is closed by `end`, which writes the length prefix.
class FrameWriter {
public:
    FrameWriter() = default;
    FrameWriter(const FrameWriter&) = delete;  // the packer points at this object's buffer
    FrameWriter& operator=(const FrameWriter&) = delete;

    Packer& begin(FrameKind kind, std::uint32_t fields);
    void end();

    void pack_id(const BastionId& id) { detail::pack_id(packer_, id); }
    void pack_ref(std::string_view node, std::uint64_t incarnation, const BastionId& id,
                  std::span<const BastionId> chain, std::string_view group) {
        detail::pack_ref(packer_, node, incarnation, id, chain, group);
    }
    void pack_nil() { packer_.pack_nil(); }

    Packer& packer() noexcept { return packer_; }
    std::size_t size() const noexcept { return buffer_.bytes.size(); }
    bool empty() const noexcept { return buffer_.bytes.empty(); }
    const char* data() const noexcept { return buffer_.bytes.data(); }
    /// Drops everything after the first `size` bytes (a frame abandoned half-written).
    void truncate(std::size_t size) noexcept { buffer_.bytes.resize(size); }
    void clear() noexcept { buffer_.bytes.clear(); }
    /// Exchanges the bytes with `other`'s.
    void swap(FrameWriter& other) noexcept { buffer_.bytes.swap(other.buffer_.bytes); }

private:
    WireBuffer buffer_;
    Packer packer_{buffer_};
    std::size_t frame_start_ = 0;
};

}  // namespace bastion::distributed::detail
