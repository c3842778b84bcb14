#!/usr/bin/env python3
"""Cluster tests with real processes on loopback: each node is a cluster_node driven through its standard input.

    cluster_test.py CLUSTER_NODE SCENARIO

Every wait has a deadline; a scenario fails with the lines the nodes printed.
"""

import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HEARTBEAT_MS, TIMEOUT_MS = 100, 1000  # fast failure detection, so the kill tests finish quickly


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, binary, name, port, seeds, host="127.0.0.1", prefix=()):
        self.name = name
        self.address = f"{host}:{port}"
        self.log = []
        self.unread = []
        self.lines = queue.Queue()
        self.proc = subprocess.Popen(
            [*prefix, binary, name, self.address, ",".join(seeds), str(HEARTBEAT_MS), str(TIMEOUT_MS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._pump, daemon=True).start()
        ready = self.expect("ready", 10)
        self.incarnation = ready.split()[3]

    def _pump(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.log.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def expect(self, prefix, timeout):
        """The oldest line not yet taken that starts with `prefix`, waiting at most `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        while True:
            for i, line in enumerate(self.unread):
                if line.startswith(prefix):
                    return self.unread.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no '{prefix}' line within {timeout}s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"{self.name}: exited before printing '{prefix}'")
            self.unread.append(line)

    def ask(self, command, prefix=None, timeout=30):
        self.send(command)
        return self.expect(prefix or command.split()[0], timeout)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def start_cluster(binary, names):
    ports = [free_port() for _ in names]
    seed = f"127.0.0.1:{ports[0]}"
    return [Node(binary, name, port, [seed]) for name, port in zip(names, ports)]


def members(node):
    return dict(entry.split(":") for entry in node.ask("members").split()[1:])


def formation(binary, nodes):
    """Three nodes seeded with the first form a full mesh; everyone sees everyone Alive."""
    for node in nodes:
        check(node.ask("wait 2 10000") == "wait ok", f"{node.name} did not see 2 members")
    for node in nodes:
        seen = members(node)
        others = {n.name for n in nodes if n is not node}
        check(seen == {name: "Alive" for name in others}, f"{node.name} sees {seen}")


def messaging(binary, nodes):
    """Remote tell keeps order and count; remote ask round-trips 1000 payloads, each answer signed by its replier."""
    a, b, c = nodes
    formation(binary, nodes)
    check(b.ask("tells a 100000", timeout=120) == "tells count=100000 ordered=yes refused=0", "tells b -> a")
    check(c.ask("tells b 5000", timeout=60) == "tells count=5000 ordered=yes refused=0", "tells c -> b")
    check(a.ask("asks c 1000", timeout=60) == "asks right=1000 signed=1000", "asks a -> c")
    # Names: found, unknown actor, unknown node.
    check(a.ask("whereis b echo").startswith("whereis /"), "whereis b echo")
    check("NotFound" in a.ask("whereis b nobody", "error"), "whereis of an unregistered name")
    check("UnknownNode" in a.ask("whereis nowhere echo", "error"), "whereis on an unknown node")
    # A type with no wire form comes back to the sender, with a report naming it, and nothing breaks.
    check(a.ask("unregistered b") == "unregistered returned returned", "unregistered types come back")
    check(any("NotOnTheWire" in line and "not a remote message" in line for line in a.log), "the report names the type")
    check(a.ask("asks b 10", timeout=30) == "asks right=10 signed=10", "the link still works")


def node_down(binary, nodes):
    """kill -9 a member: the others mark it Down within the timeout, its pending asks fail, sends to it come back;
    restarted, it rejoins with a new incarnation."""
    a, b, c = nodes
    formation(binary, nodes)
    for node in (a, b):
        node.ask("subscribe")
    check(b.ask("remember c") == "remember ok", "remember c")
    watched = b.ask("watch c").split()[1]
    b.ask("ask_silent c")
    old_incarnation = c.incarnation
    killed_at = time.monotonic()
    c.kill()
    for node in (a, b):
        down = node.expect("event down c", TIMEOUT_MS / 1000 * 3)
        check(down == "event down c timeout", f"{node.name}: {down}")
    detected = time.monotonic() - killed_at
    check(detected < TIMEOUT_MS / 1000 * 3, f"down after {detected:.2f}s")
    check(b.expect("event terminated", 10) == f"event terminated {watched} NodeDown", "the watch of c's counter")
    failed = b.expect("ask_silent", 10)
    check(failed.startswith("ask_silent error Other"), f"the pending ask: {failed}")
    check(members(a).get("c") == "Down", "a lists c as Down")
    check(b.ask("tell_remembered c") == "tell_remembered returned", "a send to a Down member comes back")
    # The same name, a new run.
    c2 = Node(binary, "c", int(c.address.rsplit(":", 1)[1]), [a.address])
    nodes[2] = c2
    check(c2.incarnation != old_incarnation, "a restarted node has a new incarnation")
    for node in (a, b):
        node.expect(f"event up c {c2.incarnation}", 10)
    check(c2.ask("wait 2 10000") == "wait ok", "c rejoined the mesh")
    # A ref to the previous run reaches nothing; a fresh lookup reaches the new one.
    check(b.ask("tell_remembered c") == "tell_remembered returned", "a ref to the old incarnation is dead")
    check(b.ask("tells c 100", timeout=30) == "tells count=100 ordered=yes refused=0", "tells to the new c")


def death_watch(binary, nodes):
    """A remote actor that stops is reported to its watchers on other nodes, with the reason, once."""
    a, b, c = nodes
    formation(binary, nodes)
    watched = a.ask("watch b").split()[1]
    c.ask("watch b")
    check(b.ask("stop_counter") == "stop_counter ok", "b stops its counter")
    for node in (a, c):
        check(node.expect("event terminated", 10) == f"event terminated {watched} Stopped", f"{node.name} was told")
    # Watching an actor that has already stopped is answered at once.
    a.ask("watch b")
    check(a.expect("event terminated", 10) == f"event terminated {watched} Stopped", "a late watch")
    time.sleep(0.3)  # a duplicate notice would have arrived by now
    check(not any(line.startswith("event terminated") for line in a.unread), f"one notice per watch: {a.unread}")


def distributor(binary, nodes):
    """A distributor spans the cluster: asks through it reach the workers of every node in turn; a lost node's workers
    leave it."""
    a, b, c = nodes
    formation(binary, nodes)
    # Two workers on each of three nodes, round robin: 60 asks give each node 20.
    deadline = time.monotonic() + 10
    while True:
        line = a.ask("distribute 60", timeout=60)
        if line == "distribute errors=0 a=20 b=20 c=20" or time.monotonic() > deadline:
            break  # memberships of the others may still be on their way just after the mesh formed
    check(line == "distribute errors=0 a=20 b=20 c=20", f"asks spread over the cluster: {line}")
    c.kill()
    a.ask("subscribe")
    a.expect("event down c", TIMEOUT_MS / 1000 * 3)
    line = a.ask("distribute 40", timeout=60)
    check(line == "distribute errors=0 a=20 b=20", f"without c: {line}")


def leave(binary, nodes):
    """A node that leaves is seen leaving at once, not after the timeout."""
    a, b, c = nodes
    formation(binary, nodes)
    a.ask("subscribe")
    started = time.monotonic()
    c.ask("leave")
    check(a.expect("event down c", 5) == "event down c left", "a saw c leave")
    check(time.monotonic() - started < TIMEOUT_MS / 1000, "the goodbye beat the timeout")


def malformed(binary, nodes):
    """Garbage, an oversized frame or a truncated one on a link closes that link only; the node goes on serving."""
    a, b, c = nodes
    formation(binary, nodes)
    host, port = a.address.rsplit(":", 1)
    attacks = [
        b"\x00\x00\x00\x05\xc1\xc1\xc1\xc1\xc1",               # invalid MessagePack
        struct.pack(">I", 0x7fffffff) + b"x" * 64,              # length over the limit
        struct.pack(">I", 100) + b"\x93\x01\x02",               # truncated, then the connection closes
        struct.pack(">I", 6) + b"\x96\xdd\xff\xff\xff\xff",     # an array claiming 4G elements
        struct.pack(">I", 2) + b"\x91\x63",                     # an unknown frame kind
    ]
    for attack in attacks:
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(attack)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(5)
            try:
                while s.recv(4096):
                    pass
            except OSError:
                pass
    check(b.ask("tells a 1000", timeout=30) == "tells count=1000 ordered=yes refused=0", "a still serves b")
    check(members(a) == {"b": "Alive", "c": "Alive"}, "a kept its members")
    check(a.proc.poll() is None, "a is alive")


SCENARIOS = {f.__name__: f for f in (formation, messaging, node_down, death_watch, distributor, leave, malformed)}


def main():
    binary, scenario = sys.argv[1], sys.argv[2]
    nodes = start_cluster(binary, ["a", "b", "c"])
    try:
        SCENARIOS[scenario](binary, nodes)
        print(f"{scenario}: ok")
    except AssertionError as error:
        print(f"{scenario}: FAILED: {error}")
        for node in nodes:
            print(f"--- {node.name} ({node.address})")
            print("\n".join(node.log[-60:]))
        return 1
    finally:
        for node in nodes:
            node.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
