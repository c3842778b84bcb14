// Port of bastion/examples/tcp-servers.rs.
// Ten actors, each a TCP echo server: it listens, accepts clients in a loop, and echoes each one on a lightproc.
// Added, so that it runs alone and ends by itself: upstream's servers listen on ports 2001 to 2010 and wait forever for
// clients from outside. Here each server listens on a free port of 127.0.0.1 (fixed ones may be taken on a shared
// machine) and tells it to a client actor of ours, which waits for all ten, then connects to each in turn, writes a
// line, prints the echo it reads back, and stops the system, which ends the servers waiting in accept().
// (Upstream's Windows variant is left out.)
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>
#include <bastion/io.hpp>

#include <cstddef>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Not `using namespace bastion`: its `run` would meet this file's.
using bastion::Bastion;
using bastion::BastionContext;
using bastion::Children;
using bastion::ChildrenRef;
using bastion::Exec;
using bastion::executor::spawn;
using bastion::Ok;
using namespace bastion::io;

namespace {

// Rust's `async fn echo(stream)`: calling it makes the work (a callable to spawn), as calling an async fn makes a
// future.
auto echo(Handle<TcpStream> stream) {
    return [stream = std::move(stream)]() mutable -> Result<void> {
        copy(stream, stream).unwrap();
        return Ok();
    };
}

// `ctx` and `client` are added: the server tells the client where it listens.
Result<void> run(const std::string& addr, const BastionContext& ctx, const ChildrenRef& client) {
    Handle<TcpListener> listener = Handle<TcpListener>::bind(addr).unwrap();
    std::cout << "Listening on " + listener.local_addr().unwrap().to_string() + '\n';
    ctx.tell(client.elems().at(0).addr(), listener.local_addr().unwrap()).expect("Couldn't tell the client.");

    // Accept clients in a loop.
    for (;;) {
        auto [stream, peer_addr] = listener.accept().unwrap();
        std::cout << "Accepted client: " + peer_addr.to_string() + '\n';

        // Spawn a task that echoes messages from the client back to it.
        spawn(echo(std::move(stream)));
    }
}

constexpr std::size_t TCP_SERVER_COUNT = 10;

}  // namespace

///
/// 10 async tcp servers
///
/// Prologue:
///
/// This example demonstrates using 10 parallel tcp servers
/// non windows versions use io::copy from nuclei
/// windows versions use a regular stream copy
int main() {
    // (Rust's `env_logger::init();`: nothing to set up, the runtime reports failures on stderr itself.)

    Bastion::init();

    // Added: the client, an actor of its own.
    ChildrenRef client = Bastion::children([](Children children) {
        return children.with_exec([](BastionContext ctx) -> Exec {
            std::vector<SocketAddr> servers;
            while (servers.size() < TCP_SERVER_COUNT) {
                MSG(ctx.recv(),
                    TELL(SocketAddr server) { servers.push_back(server); },
                    OTHERWISE(_) {});
            }
            std::cout << "Client: all " + std::to_string(servers.size()) + " servers are listening\n";

            for (const SocketAddr& server : servers) {
                Handle<TcpStream> stream = Handle<TcpStream>::connect(server).unwrap();
                stream.write_all(std::string_view{"hello world\n"}).unwrap();
                stream.shutdown(Shutdown::Write).unwrap();  // the echo ends when it reads this end
                std::string echoed;
                stream.read_to_string(echoed).unwrap();
                std::cout << "Client got back from " + server.to_string() + ": " + echoed;
            }

            Bastion::stop();
            return Ok();
        });
    }).expect("Couldn't start a new children group.");

    ChildrenRef _tcp_servers = Bastion::children([client](Children children) {
        return children
            .with_redundancy(TCP_SERVER_COUNT)  // Let's have 10 tcp echo servers :)
            .with_exec([client](BastionContext ctx) -> Exec {
                std::cout << "Server is starting!\n";
                // Upstream: `let port = TCP_SERVERS.fetch_sub(1, Ordering::SeqCst) + 2000;`, a fixed port each.
                const std::string addr = "127.0.0.1:0";

                run(addr, ctx, client).unwrap();

                return Ok();
            });
    }).expect("Couldn't start a new children group.");

    Bastion::start();
    Bastion::block_until_stopped();
}
