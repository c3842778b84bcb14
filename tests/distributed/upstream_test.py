#!/usr/bin/env python3
"""Upstream's cluster surface end to end: three upstream_node processes; the greeter is welcomed by both others.

    upstream_test.py UPSTREAM_NODE
"""

import socket
import subprocess
import sys


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    binary = sys.argv[1]
    ports = [free_port() for _ in range(3)]
    seed = f"127.0.0.1:{ports[0]}"
    nodes = {}
    for name, port, greet in (("a", ports[0], "0"), ("b", ports[1], "0"), ("c", ports[2], "1")):
        nodes[name] = subprocess.Popen([binary, name, f"127.0.0.1:{port}", seed, greet],
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = nodes["c"].communicate(timeout=60)
    except subprocess.TimeoutExpired:
        nodes["c"].kill()
        out, _ = nodes["c"].communicate()
    finally:
        for name in ("a", "b"):
            nodes[name].kill()
            nodes[name].wait()
    lines = [line for line in out.splitlines() if not line.startswith("bastion: io backend")]
    expected = ["done", "welcomed by a: welcome, c", "welcomed by b: welcome, c"]
    if sorted(lines) != expected or lines[-1] != "done" or nodes["c"].returncode != 0:
        print(f"expected (in any order, done last) {expected}, exit 0; got exit {nodes['c'].returncode}:\n{out}")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
