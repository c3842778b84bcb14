#include "io/io_support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <string>

using namespace bastion;
using namespace bastion::io;
using namespace std::chrono_literals;

namespace {

std::string text(const std::array<char, 64>& buffer, std::size_t n) { return std::string(buffer.data(), n); }

}  // namespace

TEST_SUITE("io") {

TEST_CASE("udp: send_to, peek_from, recv_from and connected send/recv carry whole messages and their senders") {
    executor::Executor executor{test::two_workers()};
    auto result = executor.spawn([] {
        auto a = Handle<UdpSocket>::bind("127.0.0.1:0").expect("bind a");
        auto b = Handle<UdpSocket>::bind("127.0.0.1:0").expect("bind b");
        const SocketAddr a_address = a.local_addr().unwrap(), b_address = b.local_addr().unwrap();
        CHECK(a.send_to(std::string_view{"first"}, b_address).unwrap() == 5);
        CHECK(a.send_to(std::string_view{"second"}, b_address).unwrap() == 6);
        std::array<char, 64> buffer{};
        auto [peeked, peek_from] = b.peek_from(buffer).unwrap();
        CHECK(text(buffer, peeked) == "first");
        CHECK(peek_from == a_address);
        auto [n1, from1] = b.recv_from(buffer).unwrap();
        CHECK(text(buffer, n1) == "first");  // the peek left it queued
        CHECK(from1 == a_address);
        auto [n2, from2] = b.recv_from(buffer).unwrap();
        CHECK(text(buffer, n2) == "second");
        b.connect(a_address).expect("connect");
        CHECK(b.send(std::string_view{"reply"}).unwrap() == 5);
        const std::size_t n3 = a.recv(buffer, 5s).unwrap();
        CHECK(text(buffer, n3) == "reply");
        auto none = a.recv(buffer, 50ms);
        REQUIRE(none.is_err());
        return none.unwrap_err() == std::errc::timed_out;
    });
    CHECK(result.get() == std::optional<bool>{true});
}

TEST_CASE("unix streams: a listener and connect by path, and a connected pair") {
    executor::Executor executor{test::two_workers()};
    test::TempDir dir;
    const std::string path = dir.file("sock");
    auto listener = Handle<UnixListener>::bind(path).expect("bind");
    auto server = executor.spawn([&] {
        auto [stream, peer] = listener.accept().expect("accept");
        std::string got;
        stream.read_to_string(got).expect("read");
        return got;
    });
    auto client = executor.spawn([&] {
        auto stream = Handle<UnixStream>::connect(path).expect("connect");
        stream.write_all(std::string_view{"by path"}).expect("write");
    });
    client.get();
    CHECK(server.get() == std::optional<std::string>{"by path"});

    auto pair = executor.spawn([] {
        auto [left, right] = Handle<UnixStream>::pair().expect("pair");
        const std::array<ConstBuffer, 2> parts{ConstBuffer{std::string_view{"ab"}}, ConstBuffer{std::string_view{"cd"}}};
        CHECK(left.write_vectored(parts).unwrap() == 4);
        std::array<char, 1> x{};
        std::array<char, 3> y{};
        const std::array<MutableBuffer, 2> into{MutableBuffer{x}, MutableBuffer{y}};
        CHECK(right.read_vectored(into).unwrap() == 4);
        return std::string(x.data(), 1) + std::string(y.data(), 3);
    });
    CHECK(pair.get() == std::optional<std::string>{"abcd"});
}

TEST_CASE("connecting to a unix path nobody listens on fails with the path in the message") {
    executor::Executor executor{test::two_workers()};
    auto result = executor.spawn([] { return Handle<UnixStream>::connect("/nonexistent/bastion.sock"); });
    auto outcome = result.get();
    REQUIRE(outcome.has_value());
    auto& connected = *outcome;
    REQUIRE(connected.is_err());
    CHECK(connected.unwrap_err() == std::errc::no_such_file_or_directory);
    CHECK(connected.unwrap_err().message().find("/nonexistent/bastion.sock") != std::string::npos);
}

TEST_CASE("unix datagrams: bound sockets exchange messages by path, a pair without") {
    executor::Executor executor{test::two_workers()};
    test::TempDir dir;
    auto result = executor.spawn([&] {
        auto a = Handle<UnixDatagram>::bind(dir.file("a")).expect("bind a");
        auto b = Handle<UnixDatagram>::bind(dir.file("b")).expect("bind b");
        CHECK(a.send_to(std::string_view{"to b"}, SocketAddr::unix_path(dir.file("b"))).unwrap() == 4);
        std::array<char, 64> buffer{};
        auto [n, from] = b.recv_from(buffer).unwrap();
        CHECK(text(buffer, n) == "to b");
        CHECK(from.to_string() == dir.file("a"));
        auto [left, right] = Handle<UnixDatagram>::pair().expect("pair");
        CHECK(left.send(std::string_view{"paired"}).unwrap() == 6);
        return text(buffer, right.recv(buffer).unwrap());
    });
    CHECK(result.get() == std::optional<std::string>{"paired"});
}

TEST_CASE("addresses parse and print in both families, and bad text makes an invalid address that ops refuse") {
    CHECK(SocketAddr{"127.0.0.1:8080"}.to_string() == "127.0.0.1:8080");
    CHECK(SocketAddr{"[::1]:9"}.to_string() == "[::1]:9");
    CHECK(SocketAddr{"localhost:80"}.port() == 80);
    CHECK_FALSE(SocketAddr{"nonsense"}.is_valid());
    CHECK_FALSE(SocketAddr{"1.2.3.4:99999"}.is_valid());
    auto bound = Handle<TcpListener>::bind("nonsense");
    REQUIRE(bound.is_err());
    CHECK(bound.unwrap_err() == std::errc::invalid_argument);
}

TEST_CASE("the backend in use is the one asked for and says its name") {
    const char* asked = std::getenv("BASTION_IO");
    const Backend chosen = backend();
    if (asked != nullptr && std::string_view{asked} == "epoll") CHECK(chosen == Backend::Epoll);
    if (asked != nullptr && std::string_view{asked} == "uring") CHECK(chosen == Backend::IoUring);
    CHECK((to_string(chosen) == "io_uring" || to_string(chosen) == "epoll"));
}

}
