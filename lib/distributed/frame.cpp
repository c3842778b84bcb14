#include "distributed/frame.hpp"

#include <algorithm>
#include <cstring>

namespace bastion::distributed::detail {

namespace {

// Decoding: each reader names the field it reads, so a FrameError says exactly what was wrong.

[[noreturn]] void malformed(std::string_view what) { throw FrameError{"malformed frame: " + std::string{what}}; }

std::span<const msgpack::object> array_of(const msgpack::object& object, std::string_view what) {
    if (object.type != msgpack::type::ARRAY) malformed(std::string{what} + " is not an array");
    return {object.via.array.ptr, object.via.array.size};
}

std::uint64_t uint_of(const msgpack::object& object, std::string_view what) {
    if (object.type != msgpack::type::POSITIVE_INTEGER) malformed(std::string{what} + " is not an unsigned integer");
    return object.via.u64;
}

std::string_view string_of(const msgpack::object& object, std::string_view what) {
    if (object.type != msgpack::type::STR) malformed(std::string{what} + " is not a string");
    return {object.via.str.ptr, object.via.str.size};
}

BastionId id_of(const msgpack::object& object, std::string_view what) {
    if (object.type != msgpack::type::BIN || object.via.bin.size != 16) malformed(std::string{what} + " is not an id");
    std::array<std::uint8_t, 16> bytes;
    std::memcpy(bytes.data(), object.via.bin.ptr, 16);
    return BastionId::from_bytes(bytes);
}

std::optional<WireRef> ref_of(const msgpack::object& object, std::string_view what) {
    if (object.type == msgpack::type::NIL) return std::nullopt;
    auto fields = array_of(object, what);
    if (fields.size() != 5) malformed(std::string{what} + " has " + std::to_string(fields.size()) + " fields, not 5");
    WireRef ref;
    ref.node = string_of(fields[0], "a ref's node");
    if (ref.node.empty()) malformed("a ref's node is empty");
    ref.incarnation = uint_of(fields[1], "a ref's incarnation");
    ref.id = id_of(fields[2], "a ref's id");
    auto chain = array_of(fields[3], "a ref's parent chain");
    if (chain.empty()) malformed("a ref's parent chain is empty");
    ref.chain.reserve(chain.size());
    for (const auto& link : chain) ref.chain.push_back(id_of(link, "a ref's parent"));
    ref.group = string_of(fields[4], "a ref's group name");
    return ref;
}

WirePayload payload_of(std::span<const msgpack::object> fields, std::size_t at) {
    return {string_of(fields[at], "the payload type"), &fields[at + 1]};
}

void expect_fields(std::span<const msgpack::object> fields, std::size_t count, std::string_view kind) {
    if (fields.size() != count) {
        malformed(std::string{kind} + " has " + std::to_string(fields.size()) + " elements, not " +
                  std::to_string(count));
    }
}

FrameBody body_of(std::span<const msgpack::object> fields) {
    if (fields.empty()) malformed("empty frame");
    const std::uint64_t kind = uint_of(fields[0], "the frame kind");
    if (kind < std::uint64_t(FrameKind::Hello) || kind > std::uint64_t(FrameKind::Left)) {
        malformed("unknown frame kind " + std::to_string(kind));
    }
    switch (static_cast<FrameKind>(kind)) {
        case FrameKind::Hello: {
            expect_fields(fields, 6, "Hello");
            const std::uint64_t version = uint_of(fields[1], "the protocol version");
            if (version > 0xffff'ffff) malformed("the protocol version is out of range");
            return Hello{static_cast<std::uint32_t>(version), string_of(fields[2], "the cluster name"),
                         string_of(fields[3], "the node name"), uint_of(fields[4], "the incarnation"),
                         string_of(fields[5], "the listen address")};
        }
        case FrameKind::Members: {
            expect_fields(fields, 2, "Members");
            Members members;
            for (const auto& entry : array_of(fields[1], "the member list")) {
                auto member = array_of(entry, "a member");
                expect_fields(member, 3, "a member");
                members.members.push_back({string_of(member[0], "a member's name"),
                                           uint_of(member[1], "a member's incarnation"),
                                           string_of(member[2], "a member's address")});
            }
            return members;
        }
        case FrameKind::Heartbeat: expect_fields(fields, 1, "Heartbeat"); return Heartbeat{};
        case FrameKind::Tell:
            expect_fields(fields, 5, "Tell");
            return Tell{id_of(fields[1], "the receiver"), ref_of(fields[2], "the signature"), payload_of(fields, 3)};
        case FrameKind::Ask:
            expect_fields(fields, 6, "Ask");
            return Ask{uint_of(fields[1], "the request"), id_of(fields[2], "the receiver"),
                       ref_of(fields[3], "the signature"), payload_of(fields, 4)};
        case FrameKind::Reply:
            expect_fields(fields, 5, "Reply");
            return Reply{uint_of(fields[1], "the request"), ref_of(fields[2], "the signature"), payload_of(fields, 3)};
        case FrameKind::NoReply:
            expect_fields(fields, 3, "NoReply");
            return NoReply{uint_of(fields[1], "the request"), string_of(fields[2], "the reason")};
        case FrameKind::Lookup:
            expect_fields(fields, 3, "Lookup");
            return Lookup{uint_of(fields[1], "the request"), string_of(fields[2], "the name")};
        case FrameKind::Found:
            expect_fields(fields, 3, "Found");
            return Found{uint_of(fields[1], "the request"), ref_of(fields[2], "the actor")};
        case FrameKind::Goodbye: expect_fields(fields, 1, "Goodbye"); return Goodbye{};
        case FrameKind::Monitor:
            expect_fields(fields, 3, "Monitor");
            return Monitor{id_of(fields[1], "the watched actor"), ref_of(fields[2], "the watcher")};
        case FrameKind::Joined:
            expect_fields(fields, 3, "Joined");
            return Joined{string_of(fields[1], "the distributor"), ref_of(fields[2], "the member")};
        case FrameKind::Left:
            expect_fields(fields, 3, "Left");
            return Left{string_of(fields[1], "the distributor"), id_of(fields[2], "the member")};
    }
    malformed("unknown frame kind " + std::to_string(kind));
}

// A first pass that builds nothing: MessagePack's decoder reserves room for every element a container header claims
// before it reads any, so nested headers claiming the frame's size each would make a small frame allocate a great deal.
// Every element takes at least one byte of its own, so all the containers of an honest frame together claim no more
// elements than the frame has bytes; no honest frame nests deeply either.
class ClaimBudget : public msgpack::null_visitor {
public:
    explicit ClaimBudget(std::size_t bytes) noexcept : left_{bytes} {}
    bool start_array(std::uint32_t elements) { return enter(elements); }
    bool end_array() noexcept { return leave(); }
    bool start_map(std::uint32_t pairs) { return enter(std::uint64_t{pairs} * 2); }
    bool end_map() noexcept { return leave(); }

private:
    bool enter(std::uint64_t elements) noexcept {
        if (++depth_ > max_depth || elements > left_) return false;
        left_ -= elements;
        return true;
    }
    bool leave() noexcept {
        --depth_;
        return true;
    }
    static constexpr std::size_t max_depth = 32;
    std::uint64_t left_;
    std::size_t depth_ = 0;
};

}  // namespace

Frame decode_frame(std::span<const char> body) {
    const std::size_t n = body.size();
    std::size_t offset = 0;
    ClaimBudget budget{n};
    if (!msgpack::parse(body.data(), n, offset, budget)) {
        malformed("not MessagePack, cut short, nested too deeply, or containers claim more elements than it has bytes");
    }
    const msgpack::unpack_limit limit{n, n, n, n, n, 32};
    Frame frame;
    offset = 0;
    try {
        frame.handle = msgpack::unpack(body.data(), n, offset, nullptr, nullptr, limit);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& error) {
        malformed(error.what());
    }
    if (offset != n) malformed(std::to_string(n - offset) + " bytes after the frame's body");
    frame.body = body_of(array_of(frame.handle.get(), "the frame"));
    return frame;
}

void write_no_reply(FrameWriter& out, std::uint64_t request, std::string_view reason) {
    out.begin(FrameKind::NoReply, 2).pack(request).pack(reason);
    out.end();
}

void pack_death_notice(FrameWriter& out, const BastionId& actor, std::uint8_t reason) {
    out.packer().pack(terminated_type);
    out.packer().pack_array(2);
    out.pack_id(actor);
    out.packer().pack(reason);
}

std::optional<WireRef> decode_ref(const msgpack::object& object) { return ref_of(object, "an address"); }

// FrameReader

FrameReader::FrameReader(std::size_t max_frame_size) : max_{max_frame_size}, buffer_(64 * 1024) {}

std::span<char> FrameReader::space() {
    constexpr std::size_t min_room = 4096;
    if (buffer_.size() - end_ < min_room) {
        // Slide what is left to the front; grow only if a frame needs more room than the buffer has.
        std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_), buffer_.begin() + static_cast<std::ptrdiff_t>(end_),
                  buffer_.begin());
        end_ -= begin_;
        begin_ = 0;
        if (buffer_.size() - end_ < min_room) buffer_.resize(buffer_.size() * 2);
    }
    return {buffer_.data() + end_, buffer_.size() - end_};
}

std::optional<std::span<const char>> FrameReader::next() {
    if (end_ - begin_ < 4) return std::nullopt;
    const auto* prefix = reinterpret_cast<const unsigned char*>(buffer_.data() + begin_);
    const std::size_t length = (std::size_t{prefix[0]} << 24) | (std::size_t{prefix[1]} << 16) |
                               (std::size_t{prefix[2]} << 8) | std::size_t{prefix[3]};
    if (length > max_) {
        throw FrameError{"frame of " + std::to_string(length) + " bytes is over the limit of " + std::to_string(max_)};
    }
    if (length == 0) throw FrameError{"malformed frame: empty body"};
    if (end_ - begin_ < 4 + length) {
        if (buffer_.size() - begin_ < 4 + length) {  // make room for the whole frame
            std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_),
                      buffer_.begin() + static_cast<std::ptrdiff_t>(end_), buffer_.begin());
            end_ -= begin_;
            begin_ = 0;
            buffer_.resize(std::max(buffer_.size(), 4 + length + 4096));
        }
        return std::nullopt;
    }
    std::span<const char> body{buffer_.data() + begin_ + 4, length};
    begin_ += 4 + length;
    if (begin_ == end_) begin_ = end_ = 0;  // cheap reset while the buffer is drained
    return body;
}

// FrameWriter

Packer& FrameWriter::begin(FrameKind kind, std::uint32_t fields) {
    frame_start_ = buffer_.bytes.size();
    buffer_.bytes.append(4, '\0');
    packer_.pack_array(fields + 1);
    packer_.pack(static_cast<std::uint8_t>(kind));
    return packer_;
}

void FrameWriter::end() {
    const std::size_t length = buffer_.bytes.size() - frame_start_ - 4;
    char* prefix = buffer_.bytes.data() + frame_start_;
    prefix[0] = static_cast<char>(length >> 24);
    prefix[1] = static_cast<char>(length >> 16);
    prefix[2] = static_cast<char>(length >> 8);
    prefix[3] = static_cast<char>(length);
}

// Encoding

void pack_id(Packer& packer, const BastionId& id) {
    const auto bytes = id.to_bytes();
    packer.pack_bin(16);
    packer.pack_bin_body(reinterpret_cast<const char*>(bytes.data()), 16);
}

void pack_ref(Packer& packer, std::string_view node, std::uint64_t incarnation, const BastionId& id,
              std::span<const BastionId> chain, std::string_view group) {
    if (node.empty()) {
        packer.pack_nil();
        return;
    }
    packer.pack_array(5);
    packer.pack(node);
    packer.pack(incarnation);
    pack_id(packer, id);
    packer.pack_array(static_cast<std::uint32_t>(chain.size()));
    for (const auto& link : chain) pack_id(packer, link);
    packer.pack(group);
}

}  // namespace bastion::distributed::detail
