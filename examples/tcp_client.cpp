// Port of nuclei/examples/tcp-client.rs (v0.1.3).
// A client: connects to a server, writes a line, says whether the write succeeded.
// Added, so that it runs alone: upstream connects to 127.0.0.1:7000, where tcp-server must already be running. This
// port first starts its own server, on a lightproc and a free port of 127.0.0.1 (a fixed one may be taken on a shared
// machine); it accepts one connection and reads it to its end. Once the client is done, main prints what the server
// received, so that the output shows the line arrived, in a fixed order.
#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include <iostream>
#include <string>
#include <string_view>

using namespace bastion::io;

int main() {
    // Added: the server, listening before the client connects.
    Handle<TcpListener> listener = Handle<TcpListener>::bind("127.0.0.1:0").unwrap();
    const SocketAddr server_addr = listener.local_addr().unwrap();
    auto server = bastion::executor::spawn([&listener] {
        auto [stream, peer_addr] = listener.accept().unwrap();
        std::string received;
        stream.read_to_string(received).unwrap();
        return received;
    });

    std::cout << std::boolalpha;
    bastion::executor::run([&] {
        std::cout << "Connecting to server\n";
        Handle<TcpStream> stream = Handle<TcpStream>::connect(server_addr).unwrap();
        std::cout << "Connected to " << stream.peer_addr().unwrap() << '\n';

        Result<std::size_t> result = stream.write(std::string_view{"hello world\n"});
        std::cout << "Wrote, success=" << result.is_ok() << '\n';
    });  // the stream closes here: the server reads its end

    // Added.
    std::cout << "Server received: " << server.get().value();

    return 0;
}
