// bastion's TCP echo server for the peer suite (benchmarks/peers/run.py): the same client measures it and every peer.
// One lightproc accepts; each connection is echoed by a lightproc of its own (io::copy). Prints
// "LISTENING 127.0.0.1:PORT" once it listens, and serves until SIGTERM.
//
//   echo_server [--backend io_uring|epoll] [--port 0]

#include <bastion/executor.hpp>
#include <bastion/io.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

using namespace bastion;

int main(int argc, char** argv) {
    std::string backend = "io_uring", port = "0";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--backend") == 0) {
            backend = argv[i + 1];
        } else if (std::strcmp(argv[i], "--port") == 0) {
            port = argv[i + 1];
        } else {
            std::fprintf(stderr, "echo_server: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    setenv("BASTION_IO", backend == "epoll" ? "epoll" : "uring", 1);  // read once, at the first IO

    auto listener = io::Handle<io::TcpListener>::bind("127.0.0.1:" + port).expect("bind");
    std::printf("LISTENING %s\n", listener.local_addr().unwrap().to_string().c_str());
    std::fflush(stdout);
    executor::run([&] {
        for (auto stream : listener.incoming()) {
            executor::spawn([stream = std::move(stream).expect("accept")]() mutable {
                stream.set_nodelay(true).expect("nodelay");
                (void)io::copy(stream, stream);  // a client gone ends it
            });
        }
    });
}
