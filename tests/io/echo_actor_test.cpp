#include "io/io_support.hpp"
#include "support/system.hpp"

#include <bastion/prelude.hpp>

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

using namespace bastion;
using namespace std::chrono_literals;
using io::Handle;
using io::TcpListener;
using io::TcpStream;

namespace {

std::string free_loopback_address() {
    auto probe = Handle<TcpListener>::bind("127.0.0.1:0").expect("bind");
    return probe.local_addr().unwrap().to_string();  // closed on return: free again, and SO_REUSEADDR rebinds it
}

// Connects, sends `text` and reads its echo, starting over while the server is (re)starting: a connection made
// just before the old listener closed is reset, as any client of a restarting server may see.
std::string echo_within(const std::string& address, std::string_view text, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto stream = Handle<TcpStream>::connect(address, 1s);
        std::string back(text.size(), '\0');
        if (stream.is_ok() && stream.unwrap().write_all(text, 1s).is_ok() && stream.unwrap().read_exact(back, 1s).is_ok()) {
            return back;
        }
        if (std::chrono::steady_clock::now() >= deadline) return "(no echo before the deadline)";
        std::this_thread::sleep_for(5ms);
    }
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("an echo server actor that crashes is restarted by its supervisor and serves again on its port") {
    const std::string address = free_loopback_address();
    std::atomic<int> starts{0};
    {
        test::RunningSystem system;
        Bastion::children([&](Children children) {
            return children.with_exec([&](BastionContext) -> Exec {
                starts.fetch_add(1);
                auto listener = Handle<TcpListener>::bind(address).expect("bind");
                for (;;) {
                    auto [stream, peer] = listener.accept().expect("accept");
                    std::array<char, 64> buffer{};
                    for (std::size_t n; (n = stream.read(buffer).expect("read")) != 0;) {
                        const std::string_view text{buffer.data(), n};
                        if (text == "crash") throw std::runtime_error{"asked to crash"};
                        stream.write_all(text).expect("write");
                    }
                }
            });
        }).expect("children");

        CHECK(echo_within(address, "hello", 10s) == "hello");
        CHECK(starts.load() == 1);
        auto doomed = Handle<TcpStream>::connect(address).expect("connect");
        doomed.write_all(std::string_view{"crash"}).expect("write");
        std::array<char, 8> buffer{};
        auto after_crash = doomed.read(buffer, 5s);  // the actor's stream closed as it unwound
        CHECK((after_crash.is_err() ? after_crash.unwrap_err() != std::errc::timed_out : after_crash.unwrap() == 0));

        CHECK(echo_within(address, "again", 10s) == "again");
        CHECK(starts.load() == 2);
        // Leaving the scope stops the system while the actor waits in accept: it must end, not hang.
    }
    CHECK(starts.load() == 2);
}

}
