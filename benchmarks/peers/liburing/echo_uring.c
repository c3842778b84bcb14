// Raw liburing TCP echo server, the IO floor of bastion-cpp's benchmark suite: one thread, one ring, one recv and one
// send in flight per connection at most (recv -> send what came -> recv again), accept re-armed after each
// connection. No registered buffers or multishot: the plain liburing loop a user would write first.
//
//   echo_uring [PORT]     prints "LISTENING 127.0.0.1:PORT" and serves until killed
#include <liburing.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_CONNS = 4096, BUF = 16384, RING = 1024 };
enum op { OP_ACCEPT, OP_RECV, OP_SEND };

struct conn {
    int fd;
    unsigned sent, len;
    char buf[BUF];
};

static struct io_uring ring;
static struct conn* conns[MAX_CONNS];

static void die(const char* what, int err) {
    fprintf(stderr, "echo_uring: %s: %s\n", what, strerror(err));
    exit(1);
}

static struct io_uring_sqe* sqe(void) {
    struct io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (!s) {
        io_uring_submit(&ring);
        s = io_uring_get_sqe(&ring);
        if (!s) die("no sqe", EBUSY);
    }
    return s;
}

static uint64_t tag(enum op op, int fd) { return ((uint64_t)fd << 8) | (uint64_t)op; }

static void arm_recv(struct conn* c) {
    struct io_uring_sqe* s = sqe();
    io_uring_prep_recv(s, c->fd, c->buf, BUF, 0);
    io_uring_sqe_set_data64(s, tag(OP_RECV, c->fd));
}

static void arm_send(struct conn* c) {
    struct io_uring_sqe* s = sqe();
    io_uring_prep_send(s, c->fd, c->buf + c->sent, c->len - c->sent, 0);
    io_uring_sqe_set_data64(s, tag(OP_SEND, c->fd));
}

static void arm_accept(int listener) {
    struct io_uring_sqe* s = sqe();
    io_uring_prep_accept(s, listener, NULL, NULL, 0);
    io_uring_sqe_set_data64(s, tag(OP_ACCEPT, listener));
}

static void drop(struct conn* c) {
    close(c->fd);
    conns[c->fd] = NULL;
    free(c);
}

int main(int argc, char** argv) {
    const int port = argc > 1 ? atoi(argv[1]) : 0;
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0) die("bind", errno);
    if (listen(listener, 1024) != 0) die("listen", errno);
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr*)&addr, &len);
    int rc = io_uring_queue_init(RING, &ring, 0);
    if (rc < 0) die("io_uring_queue_init", -rc);
    printf("LISTENING 127.0.0.1:%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    arm_accept(listener);
    for (;;) {
        io_uring_submit_and_wait(&ring, 1);
        struct io_uring_cqe* cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            ++seen;
            const uint64_t data = io_uring_cqe_get_data64(cqe);
            const int fd = (int)(data >> 8), res = cqe->res;
            switch ((enum op)(data & 0xff)) {
            case OP_ACCEPT:
                if (res < 0) die("accept", -res);
                if (res >= MAX_CONNS) die("too many connections", EMFILE);
                setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                conns[res] = calloc(1, sizeof(struct conn));
                conns[res]->fd = res;
                arm_recv(conns[res]);
                arm_accept(listener);
                break;
            case OP_RECV:
                if (res <= 0) {
                    drop(conns[fd]);
                    break;
                }
                conns[fd]->len = (unsigned)res;
                conns[fd]->sent = 0;
                arm_send(conns[fd]);
                break;
            case OP_SEND:
                if (res <= 0) {
                    drop(conns[fd]);
                    break;
                }
                conns[fd]->sent += (unsigned)res;
                if (conns[fd]->sent < conns[fd]->len) {
                    arm_send(conns[fd]);
                } else {
                    arm_recv(conns[fd]);
                }
                break;
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
}
