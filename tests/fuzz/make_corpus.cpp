// Writes the seed corpus of the frame fuzzer (tests/fuzz/frame_fuzzer.cpp): one file per stream of bytes as a peer
// would send it (u32 big-endian length, MessagePack body), valid frames of every kind written with FrameWriter, and
// a few malformed ones written by hand. Deterministic: the same files every time.
//
//   scripts/fuzz.sh corpus          (builds this and rewrites tests/fuzz/corpus/frame/)
//
// Files the fuzzer found (crash-*, timeout-*, named by their content) live in the same directory and are not
// touched here.

#include "distributed/frame.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

using namespace bastion;
using namespace bastion::distributed::detail;

namespace {

std::string directory;

void save(const std::string& name, const std::string& bytes) {
    std::ofstream file{directory + "/" + name, std::ios::binary | std::ios::trunc};
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!file) {
        std::fprintf(stderr, "make_corpus: cannot write %s/%s\n", directory.c_str(), name.c_str());
        std::exit(1);
    }
}

void save(const std::string& name, const FrameWriter& out) { save(name, std::string{out.data(), out.size()}); }

// A fixed id: bytes seed, seed + 1, ..., with the version-4 and variant bits set.
BastionId id(std::uint8_t seed) {
    std::array<std::uint8_t, 16> bytes;
    for (std::size_t i = 0; i < 16; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i);
    bytes[6] = static_cast<std::uint8_t>(0x40 | (seed & 0x0f));
    bytes[8] = static_cast<std::uint8_t>(0x80 | (seed & 0x3f));
    return BastionId::from_bytes(bytes);
}

const std::array<BastionId, 2> chain = {BastionId{}, id(0x20)};  // the system supervisor, then a supervisor

// A body by hand, with its length prefix.
std::string frame(std::initializer_list<unsigned char> body) {
    const auto n = static_cast<std::uint32_t>(body.size());
    std::string bytes{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                      static_cast<char>(n)};
    bytes.append(body.begin(), body.end());
    return bytes;
}
std::string prefix(std::uint32_t n) {
    return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}

void hello(FrameWriter& out) {
    out.begin(FrameKind::Hello, 5)
        .pack(protocol_version)
        .pack("prod")
        .pack("node-a")
        .pack(std::uint64_t{1700000000123})
        .pack("10.0.0.1:7400");
    out.end();
}
void members(FrameWriter& out) {
    out.begin(FrameKind::Members, 1).pack_array(3);
    out.packer().pack_array(3).pack("node-a").pack(std::uint64_t{1}).pack("10.0.0.1:7400");
    out.packer().pack_array(3).pack("node-b").pack(std::uint64_t{2}).pack("10.0.0.2:7400");
    out.packer().pack_array(3).pack("node-c").pack(std::uint64_t{0xffffffffffffffff}).pack("[::1]:7400");
    out.end();
}
void heartbeat(FrameWriter& out) {
    out.begin(FrameKind::Heartbeat, 0);
    out.end();
}
void tell(FrameWriter& out) {
    out.begin(FrameKind::Tell, 4);
    out.pack_id(id(0x01));
    out.pack_ref("node-a", 77, id(0x02), chain, "workers");
    out.packer().pack("string").pack(std::string{"hello"});
    out.end();
}
void goodbye(FrameWriter& out) {
    out.begin(FrameKind::Goodbye, 0);
    out.end();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_corpus DIRECTORY\n");
        return 2;
    }
    directory = argv[1];
    FrameWriter out;
    auto fresh = [&]() -> FrameWriter& {
        out.clear();
        return out;
    };

    // Valid frames, one kind each (and both forms of a ref where there is one).
    hello(fresh());
    save("hello", out);
    members(fresh());
    save("members", out);
    fresh().begin(FrameKind::Members, 1).pack_array(0);
    out.end();
    save("members-empty", out);
    heartbeat(fresh());
    save("heartbeat", out);
    tell(fresh());
    save("tell-signed-string", out);

    fresh().begin(FrameKind::Tell, 4);
    out.pack_id(id(0x03));
    out.pack_nil();
    out.packer().pack("i64").pack(std::int64_t{-5});
    out.end();
    save("tell-anonymous-i64", out);

    // A death notice: [actor id, reason].
    fresh().begin(FrameKind::Tell, 4);
    out.pack_id(id(0x04));
    out.pack_nil();
    out.packer().pack(terminated_type).pack_array(2);
    out.pack_id(id(0x05));
    out.packer().pack(std::uint8_t{1});
    out.end();
    save("tell-terminated", out);

    // A user type's form (an array of fields) with a map, a float32, a bin and an ext inside.
    fresh().begin(FrameKind::Tell, 4);
    out.pack_id(id(0x06));
    out.pack_ref("n", 0, id(0x07), std::span{chain}.first(1), "");
    out.packer().pack("Greeting").pack_array(6).pack("hi").pack(3);
    out.packer().pack(std::map<std::string, double>{{"x", 1.5}, {"y", -0.25}});
    out.packer().pack(2.5f);
    out.packer().pack_bin(3).pack_bin_body("\x00\x01\x02", 3);
    out.packer().pack_ext(2, 7).pack_ext_body("\xaa\xbb", 2);
    out.end();
    save("tell-struct", out);

    fresh().begin(FrameKind::Ask, 5).pack(std::uint64_t{9});
    out.pack_id(id(0x08));
    out.pack_nil();
    out.packer().pack("strings").pack(std::vector<std::string>{"a", "bc", ""});
    out.end();
    save("ask-anonymous-strings", out);

    fresh().begin(FrameKind::Ask, 5).pack(std::uint64_t{0x1234567890});
    out.pack_id(id(0x09));
    out.pack_ref("node-b", 2, id(0x0a), chain, "pool");
    out.packer().pack("f64s").pack(std::vector<double>{0.0, -1e300, 3.25});
    out.end();
    save("ask-signed-f64s", out);

    fresh().begin(FrameKind::Reply, 4).pack(std::uint64_t{9});
    out.pack_ref("node-a", 77, id(0x0b), chain, "workers");
    out.packer().pack("bytes").pack(std::vector<std::uint8_t>{0, 1, 0xff});
    out.end();
    save("reply-signed-bytes", out);

    fresh().begin(FrameKind::Reply, 4).pack(std::uint64_t{10});
    out.pack_nil();
    out.packer().pack("bool").pack(true);
    out.end();
    save("reply-anonymous-bool", out);

    fresh().begin(FrameKind::NoReply, 2).pack(std::uint64_t{9}).pack("no such actor");
    out.end();
    save("noreply", out);

    fresh().begin(FrameKind::Lookup, 2).pack(std::uint64_t{11}).pack("registry");
    out.end();
    save("lookup", out);

    fresh().begin(FrameKind::Found, 2).pack(std::uint64_t{11});
    out.pack_ref("node-c", 3, id(0x0c), chain, "");
    out.end();
    save("found-ref", out);

    fresh().begin(FrameKind::Found, 2).pack(std::uint64_t{12});
    out.pack_nil();
    out.end();
    save("found-nil", out);

    goodbye(fresh());
    save("goodbye", out);

    fresh().begin(FrameKind::Monitor, 2);
    out.pack_id(id(0x0d));
    out.pack_ref("node-b", 2, id(0x0e), chain, "watchers");
    out.end();
    save("monitor", out);

    fresh().begin(FrameKind::Joined, 2).pack("pool");
    out.pack_ref("node-b", 2, id(0x13), chain, "pool");
    out.end();
    save("joined", out);

    fresh().begin(FrameKind::Left, 2).pack("pool");
    out.pack_id(id(0x13));
    out.end();
    save("left", out);

    // A link's life in one stream: handshake, gossip, traffic, goodbye.
    fresh();
    hello(out);
    members(out);
    heartbeat(out);
    tell(out);
    out.begin(FrameKind::Lookup, 2).pack(std::uint64_t{1}).pack("registry");
    out.end();
    goodbye(out);
    save("session", out);

    // Malformed (each a FrameError from the reader or the decoder), or cut short.
    save("bad-over-limit", prefix(64 * 1024 + 1) + std::string(16, '\0'));    // over the fuzzer's 64 KiB limit
    save("bad-huge-length", prefix(0xffffffff));
    save("bad-empty-body", prefix(0) + frame({0x91, 0x03}));
    save("bad-truncated", frame({0x91, 0x03}) + prefix(20) + "\x96\x01");     // a second frame cut short
    save("bad-invalid-byte", frame({0xc1}));                                    // never used in MessagePack
    save("bad-not-an-array", frame({0x02}));
    save("bad-unknown-kind", frame({0x91, 0x63}));
    save("bad-kind-zero", frame({0x91, 0x00}));
    save("bad-heartbeat-fields", frame({0x92, 0x03, 0x01}));
    save("bad-trailing-bytes", frame({0x91, 0x03, 0x00}));
    save("bad-huge-array", frame({0xdd, 0xff, 0xff, 0xff, 0xff}));
    save("bad-huge-map", frame({0xdf, 0xff, 0xff, 0xff, 0xff}));
    save("bad-short-id", frame({0x95, 0x04, 0xc4, 0x01, 0x00, 0xc0, 0xa0, 0xc0}));
    save("bad-hello-version",  // a version over 32 bits
         frame({0x96, 0x01, 0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xa1, 'c', 0xa1, 'n', 0x01, 0xa0}));
    {
        std::string deep(100, static_cast<char>(0x91));  // nested deeper than the decoder allows
        deep += '\0';
        save("bad-deep", prefix(static_cast<std::uint32_t>(deep.size())) + deep);
    }
    // A ref whose node is empty, and one whose parent chain is empty.
    fresh().begin(FrameKind::Found, 2).pack(std::uint64_t{1}).pack_array(5).pack("").pack(0);
    out.pack_id(id(0x0f));
    out.packer().pack_array(1);
    out.pack_id(id(0x10));
    out.packer().pack("");
    out.end();
    save("bad-ref-empty-node", out);
    fresh().begin(FrameKind::Found, 2).pack(std::uint64_t{1}).pack_array(5).pack("n").pack(0);
    out.pack_id(id(0x11));
    out.packer().pack_array(0).pack("");
    out.end();
    save("bad-ref-empty-chain", out);
    // A Tell whose payload type is not a string.
    fresh().begin(FrameKind::Tell, 4);
    out.pack_id(id(0x12));
    out.pack_nil();
    out.packer().pack(7).pack(7);
    out.end();
    save("bad-payload-type", out);
    return 0;
}
