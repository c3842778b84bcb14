// Port of nuclei/examples/tcp-server.rs (v0.1.3).
// An echo server: accepts clients in a loop and echoes what each one sends, on a lightproc per client.
// Added, so that it runs alone and ends by itself: upstream listens on 0.0.0.0:7000 forever and waits for someone to
// run tcp-client. This port listens on 127.0.0.1, on a free port (a fixed one may be taken on a shared machine), and
// starts its own client on a lightproc (`tcp_client` below: it writes a line, shuts its side, and prints the echo it
// reads back). The accept loop ends after that one client, then the program waits for the client and the echo.
#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include <cstddef>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace bastion::io;
using bastion::Ok;
using bastion::executor::spawn;

namespace {

// Rust's `async fn echo(stream)`: calling it makes the work (a callable to spawn), as calling an async fn makes a
// future.
auto echo(Handle<TcpStream> stream) {
    return [stream = std::move(stream)]() mutable -> Result<void> {
        copy(stream, stream).unwrap();
        return Ok();
    };
}

// Added: the client upstream leaves to tcp-client, on a lightproc.
constexpr std::size_t CLIENTS = 1;

auto tcp_client(SocketAddr server) {
    return [server] {
        Handle<TcpStream> stream = Handle<TcpStream>::connect(server).unwrap();
        stream.write_all(std::string_view{"hello world\n"}).unwrap();
        stream.shutdown(Shutdown::Write).unwrap();  // the echo ends when it reads this end
        std::string echoed;
        stream.read_to_string(echoed).unwrap();
        std::cout << "Client got back: " + echoed;
    };
}

}  // namespace

int main() {
    bastion::executor::run([&] {
        // Create a listener.
        Handle<TcpListener> listener = Handle<TcpListener>::bind("127.0.0.1:0").unwrap();
        std::cout << "Listening on " + listener.local_addr().unwrap().to_string() + '\n';
        std::cout << "Now start a TCP client.\n";

        // Added: start it here.
        auto client = spawn(tcp_client(listener.local_addr().unwrap()));

        // Accept clients in a loop (upstream's never ends; this one ends after our client).
        std::vector<decltype(spawn(echo(std::declval<Handle<TcpStream>>())))> echoes;
        for (std::size_t accepted = 0; accepted < CLIENTS; ++accepted) {
            auto [stream, peer_addr] = listener.accept().unwrap();
            std::cout << "Accepted client: " + peer_addr.to_string() + '\n';

            // Spawn a task that echoes messages from the client back to it.
            echoes.push_back(spawn(echo(std::move(stream))));
        }

        // Added: wait for the client and the echoes to finish.
        client.get();
        for (auto& echoing : echoes) echoing.get();
    });

    return 0;
}
