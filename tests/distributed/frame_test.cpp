// The wire codec on its own: frames round-trip, and every malformed input is a FrameError, never a crash or a huge
// allocation.

#include <doctest/doctest.h>

#include "distributed/frame.hpp"

#include <cstring>
#include <string>

using namespace bastion;
using namespace bastion::distributed::detail;

namespace {

// The body of the only frame in `out` (without its length prefix).
std::span<const char> only_body(const FrameWriter& out) { return {out.data() + 4, out.size() - 4}; }

std::string bytes(std::initializer_list<unsigned char> list) { return {list.begin(), list.end()}; }

Frame decode(const std::string& body) { return decode_frame({body.data(), body.size()}); }

}  // namespace

TEST_CASE("a Tell with a signature and a payload round-trips") {
    const BastionId chain[] = {NIL_ID, BastionId::new_v4()};
    const BastionId to = BastionId::new_v4(), from = BastionId::new_v4();
    FrameWriter out;
    out.begin(FrameKind::Tell, 4);
    out.pack_id(to);
    out.pack_ref("node-a", 77, from, chain, "workers");
    out.packer().pack("string").pack(std::string{"hello"});
    out.end();

    Frame frame = decode_frame(only_body(out));
    const auto& tell = std::get<Tell>(frame.body);
    CHECK(tell.to == to);
    REQUIRE(tell.sign.has_value());
    CHECK(tell.sign->node == "node-a");
    CHECK(tell.sign->incarnation == 77);
    CHECK(tell.sign->id == from);
    CHECK(tell.sign->chain == std::vector<BastionId>{chain[0], chain[1]});
    CHECK(tell.sign->group == "workers");
    CHECK(tell.payload.type == "string");
    CHECK(tell.payload.value->as<std::string>() == "hello");
}

TEST_CASE("an anonymous Ask, a Reply and a NoReply round-trip") {
    FrameWriter out;
    out.begin(FrameKind::Ask, 5).pack(std::uint64_t{9});
    out.pack_id(NIL_ID);
    out.pack_nil();
    out.packer().pack("i64").pack(std::int64_t{-5});
    out.end();
    Frame ask = decode_frame(only_body(out));
    CHECK(std::get<Ask>(ask.body).request == 9);
    CHECK_FALSE(std::get<Ask>(ask.body).sign.has_value());
    CHECK(std::get<Ask>(ask.body).payload.value->as<std::int64_t>() == -5);

    out.clear();
    out.begin(FrameKind::NoReply, 2).pack(std::uint64_t{9}).pack("gone");
    out.end();
    Frame no_reply = decode_frame(only_body(out));
    CHECK(std::get<NoReply>(no_reply.body).reason == "gone");
}

TEST_CASE("a Monitor names the watched actor and its watcher") {
    const BastionId chain[] = {NIL_ID, BastionId::new_v4()};
    const BastionId actor = BastionId::new_v4(), watcher = BastionId::new_v4();
    FrameWriter out;
    out.begin(FrameKind::Monitor, 2);
    out.pack_id(actor);
    out.pack_ref("b", 5, watcher, chain, "g");
    out.end();
    Frame frame = decode_frame(only_body(out));
    const auto& monitor = std::get<Monitor>(frame.body);
    CHECK(monitor.actor == actor);
    REQUIRE(monitor.watcher.has_value());
    CHECK(monitor.watcher->id == watcher);
}

TEST_CASE("the reader cuts a stream into frames, however the bytes arrive") {
    FrameWriter out;
    for (int i = 0; i < 100; ++i) {
        out.begin(FrameKind::Lookup, 2).pack(std::uint64_t(i)).pack(std::string(i * 37, 'x'));
        out.end();
    }
    for (std::size_t chunk : {1u, 7u, 4096u, 1u << 20}) {
        FrameReader reader{1 << 20};
        std::size_t fed = 0;
        int seen = 0;
        while (fed < out.size() || seen < 100) {
            while (auto body = reader.next()) {
                Frame frame = decode_frame(*body);
                const auto& lookup = std::get<Lookup>(frame.body);
                CHECK(lookup.request == static_cast<std::uint64_t>(seen));
                CHECK(lookup.name.size() == static_cast<std::size_t>(seen) * 37);
                ++seen;
            }
            if (fed == out.size()) break;
            auto space = reader.space();
            const std::size_t n = std::min({chunk, space.size(), out.size() - fed});
            std::memcpy(space.data(), out.data() + fed, n);
            reader.commit(n);
            fed += n;
        }
        CHECK(seen == 100);
    }
}

TEST_CASE("a length over the limit is refused before anything is buffered") {
    FrameReader reader{1024};
    auto space = reader.space();
    const unsigned char prefix[] = {0x00, 0x00, 0x04, 0x01};  // 1025 bytes
    std::memcpy(space.data(), prefix, 4);
    reader.commit(4);
    CHECK_THROWS_AS(reader.next(), FrameError);
}

TEST_CASE("malformed bodies are FrameErrors that say what is wrong") {
    auto error_of = [](const std::string& body) -> std::string {
        try {
            (void)decode(body);
        } catch (const FrameError& error) {
            return error.what();
        }
        return "no error";
    };
    CHECK(error_of(bytes({0xc1})).find("malformed") != std::string::npos);              // never used in MessagePack
    CHECK(error_of(bytes({0x91, 0x63})).find("unknown frame kind 99") != std::string::npos);
    CHECK(error_of(bytes({0x91, 0xcd, 0x01, 0x04})).find("unknown frame kind 260") != std::string::npos);
    CHECK(error_of(bytes({0x92, 0x03, 0x01})).find("Heartbeat has 2 elements") != std::string::npos);
    CHECK(error_of(bytes({0x02})).find("the frame is not an array") != std::string::npos);
    CHECK(error_of(bytes({0x91, 0x03, 0x00})).find("after the frame") != std::string::npos);
    // A container claiming more elements than the frame has bytes is refused without allocating for them.
    CHECK(error_of(bytes({0xdd, 0xff, 0xff, 0xff, 0xff})).find("malformed") != std::string::npos);
    CHECK(error_of(bytes({0xdf, 0xff, 0xff, 0xff, 0xff})).find("malformed") != std::string::npos);
    // A Tell whose receiver is not a 16-byte id.
    CHECK(error_of(bytes({0x95, 0x04, 0xc4, 0x01, 0x00, 0xc0, 0xa0, 0xc0})).find("the receiver is not an id") !=
          std::string::npos);
    // Deep nesting is cut off.
    std::string deep(100, static_cast<char>(0x91));
    deep += static_cast<char>(0x00);
    CHECK(error_of(deep).find("malformed") != std::string::npos);
}

TEST_CASE("nested headers claiming more elements than the frame has bytes are refused before anything is built") {
    // 31 maps, each claiming 4092 pairs, in 4 KiB: MessagePack would reserve room for all of them (about 2000 times the
    // frame's size) before finding the frame cut short.
    std::string body;
    for (int i = 0; i < 31; ++i) body += bytes({0xdf, 0x00, 0x00, 0x0f, 0xfc});
    body.resize(4092, '\0');
    try {
        (void)decode(body);
        FAIL("decoded");
    } catch (const FrameError& error) {
        CHECK(std::string{error.what()}.find("claim more elements") != std::string::npos);
    }
}

TEST_CASE("every truncation of a valid frame is refused") {
    const BastionId chain[] = {NIL_ID, BastionId::new_v4()};
    FrameWriter out;
    out.begin(FrameKind::Ask, 5).pack(std::uint64_t{3});
    out.pack_id(BastionId::new_v4());
    out.pack_ref("n", 1, BastionId::new_v4(), chain, "g");
    out.packer().pack("strings").pack(std::vector<std::string>{"a", "bc"});
    out.end();
    const auto body = only_body(out);
    for (std::size_t n = 0; n < body.size(); ++n) {
        CHECK_THROWS_AS(decode_frame(body.first(n)), FrameError);
    }
    CHECK_NOTHROW(decode_frame(body));
}
