#!/usr/bin/env python3
"""Cluster tests with real processes on loopback: each node is a cluster_node driven through its standard input.

    cluster_test.py CLUSTER_NODE SCENARIO

Every wait has a deadline; a scenario fails with the lines the nodes printed. The etcd_* scenarios run a real etcd
(a single member on loopback, in a fresh data dir) and are skipped (exit 77) where the etcd binary is absent.
"""

import base64
import json
import os
import queue
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HEARTBEAT_MS, TIMEOUT_MS = 100, 1000  # fast failure detection, so the kill tests finish quickly
ETCD_TTL_S = 2  # the lease TTL cluster_node asks for (the smallest etcd grants with its default election timeout)
ETCD_PREFIX = "/bastion/nodes/"  # Etcd::prefix's default
SKIP = 77  # Meson's exit code for a skipped test


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, binary, name, port, seeds, host="127.0.0.1", prefix=(), etcd_url=None):
        self.name = name
        self.address = f"{host}:{port}"
        self.log = []
        self.unread = []
        self.lines = queue.Queue()
        extra = [f"etcd={etcd_url}"] if etcd_url else []
        self.proc = subprocess.Popen(
            [*prefix, binary, name, self.address, ",".join(seeds) or "-", str(HEARTBEAT_MS), str(TIMEOUT_MS), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._pump, daemon=True).start()
        ready = self.expect("ready", 10)
        self.incarnation = ready.split()[3]

    def excerpt(self, lines):
        """The last `lines` lines of the node's output; from a sanitizer report on, if it printed one, since its
        stacks (the access, the free, the allocation) are what a failure needs and run longer than any tail."""
        for i, line in enumerate(self.log):
            if "ERROR: AddressSanitizer" in line or "runtime error:" in line:
                return self.log[max(0, i - 5):]
        return self.log[-lines:]

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


class Skipped(Exception):
    """The scenario needs something this machine does not offer."""


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def wait_until(predicate, timeout, what, every=0.05):
    """Polls `predicate` until it returns something true (returned), failing after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(every)


def etcd_binary():
    return shutil.which("etcd")


class EtcdServer:
    """A single-member etcd (3.4) on loopback, with its own data dir and ports; kill() and start() again restart it on
    the same data, as a crash would."""

    def __init__(self, binary):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="bastion-etcd-")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.peer_url = f"http://127.0.0.1:{free_port()}"
        self.log_path = os.path.join(self.dir, "etcd.log")
        self.proc = None
        self.start()

    def start(self, timeout=30):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--name", "bastion-test", "--data-dir", os.path.join(self.dir, "data"),
                 "--listen-client-urls", self.url, "--advertise-client-urls", self.url,
                 "--listen-peer-urls", self.peer_url, "--initial-advertise-peer-urls", self.peer_url,
                 "--initial-cluster", f"bastion-test={self.peer_url}", "--initial-cluster-state", "new",
                 "--initial-cluster-token", "bastion-test"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.healthy, timeout, f"etcd answering {self.url}/health")

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"etcd exited with {self.proc.returncode}:\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as reply:
                return json.load(reply).get("health") == "true"
        except (OSError, ValueError):  # refused, 503 while it has no leader, or a half-written answer
            return False

    def call(self, method, body):
        request = urllib.request.Request(f"{self.url}/v3/{method}", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as reply:
            return json.load(reply)

    def nodes(self):
        """The adverts under the cluster's prefix, by node name, read through the gateway as any client would."""
        encode = lambda text: base64.b64encode(text.encode()).decode()
        end = ETCD_PREFIX[:-1] + chr(ord(ETCD_PREFIX[-1]) + 1)
        reply = self.call("kv/range", {"key": encode(ETCD_PREFIX), "range_end": encode(end)})
        return {base64.b64decode(kv["key"]).decode()[len(ETCD_PREFIX):]: json.loads(base64.b64decode(kv["value"]))
                for kv in reply.get("kvs", [])}

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def log_tail(self, lines=40):
        with open(self.log_path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


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
    # An address inside a message: a asks b to tell c's counter, naming it by the address a looked up.
    check(a.ask("introduce b c", timeout=30) == "introduce greeter=sent target count=1 ordered=yes",
          "an address travels inside a message, to a third node")
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


def relink(binary, nodes):
    """A link that breaks while its member stays up is dialed again at once: the member never goes Down, is not
    announced up again, a death watch made before the break still fires, and messages flow on the new link."""
    a, b, c = nodes
    formation(binary, nodes)
    a.ask("subscribe")
    a.expect("event up b", 5)
    watched = a.ask("watch b").split()[1]
    # Destroy the a-b connection in the kernel, as a broken network would. b dialed a, its seed: b's end of it is
    # b's socket whose peer is a's listening port.
    a_port = a.address.rsplit(":", 1)[1]
    listing = subprocess.run(["ss", "-tnpH", "state", "established"], capture_output=True, text=True).stdout
    ends = [line.split() for line in listing.splitlines() if f"pid={b.proc.pid}," in line]
    ours = [(local, peer) for _, _, local, peer, *_ in ends if peer.endswith(f":{a_port}")]
    check(len(ours) == 1, f"one a-b connection among b's: {ends}")
    local, peer = ours[0]
    killed = subprocess.run(["ss", "-K", "src", "127.0.0.1", "sport", "=", local.rsplit(":", 1)[1],
                             "dst", "127.0.0.1", "dport", "=", peer.rsplit(":", 1)[1]], capture_output=True, text=True)
    if "ESTAB" not in killed.stdout:  # a kernel without socket destruction (CONFIG_INET_DIAG_DESTROY)
        raise Skipped(f"ss -K cannot destroy sockets here: {killed.stderr.strip()}")
    check(a.ask("wait 2 5000") == "wait ok", "a linked to b again")
    check(b.ask("stop_counter") == "stop_counter ok", "b stops its counter")
    check(a.expect("event terminated", 10) == f"event terminated {watched} Stopped", "the watch survived the break")
    check(a.ask("tells b 100", timeout=30).startswith("tells "), "messages flow on the new link")
    check(not any(line.startswith(("event down b", "event up b")) for line in a.unread), f"no down/up: {a.unread}")


def leave(binary, nodes):
    """A node that leaves is seen leaving at once, not after the timeout; what it sends after leaving comes back."""
    a, b, c = nodes
    formation(binary, nodes)
    a.ask("subscribe")
    check(c.ask("remember a") == "remember ok", "c remembers a's counter")
    started = time.monotonic()
    c.ask("leave")
    check(a.expect("event down c", 5) == "event down c left", "a saw c leave")
    check(time.monotonic() - started < TIMEOUT_MS / 1000, "the goodbye beat the timeout")
    check(c.ask("tell_remembered a") == "tell_remembered returned", "a send from a node that left comes back")


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


# Discovery through etcd: the nodes have no seeds, only etcd's URL; each holds a key under the prefix, bound to a lease
# with a TTL of ETCD_TTL_S, and watches the prefix.

def start_etcd_cluster(binary, names, etcd):
    return [Node(binary, name, free_port(), [], etcd_url=etcd.url) for name in names]


def check_adverts(etcd, nodes, timeout=10):
    """Waits until etcd lists exactly `nodes`, each with its address and current incarnation."""
    want = {n.name: {"name": n.name, "address": n.address, "incarnation": int(n.incarnation)} for n in nodes}
    wait_until(lambda: etcd.nodes() == want, timeout, f"etcd listing {sorted(want)} as they are now")


def etcd_formation(binary, nodes, etcd):
    """Three nodes with no seeds find each other through etcd and form a full mesh; each is listed under the prefix."""
    formation(binary, nodes)
    check_adverts(etcd, nodes)


def etcd_node_down(binary, nodes, etcd):
    """kill -9 a member: the links mark it Down, and its key goes when its lease expires; restarted, it rejoins
    through etcd alone."""
    a, b, c = nodes
    etcd_formation(binary, nodes, etcd)
    for node in (a, b):
        node.ask("subscribe")
    killed_at = time.monotonic()
    c.kill()
    for node in (a, b):
        down = node.expect("event down c", TIMEOUT_MS / 1000 * 3)
        check(down == "event down c timeout", f"{node.name}: {down}")
    check(members(a).get("c") == "Down", "a lists c as Down")
    # Renewed every TTL/3, the lease lapses at most a TTL after the kill; etcd sweeps expired leases every 500 ms and
    # deletes their keys through its log (an fsync): 2 s of slack for that on a busy machine.
    wait_until(lambda: "c" not in etcd.nodes(), ETCD_TTL_S + 2 - (time.monotonic() - killed_at),
               "c's key gone from etcd once its lease lapsed")
    check(set(etcd.nodes()) == {"a", "b"}, f"a and b still listed: {sorted(etcd.nodes())}")
    # The same name, a new run, on a new port: nothing tells the others where it is but etcd.
    c2 = Node(binary, "c", free_port(), [], etcd_url=etcd.url)
    nodes[2] = c2
    for node in (a, b):
        node.expect(f"event up c {c2.incarnation}", 10)
    check(c2.ask("wait 2 10000") == "wait ok", "c rejoined the mesh")
    check(members(a).get("c") == "Alive" and members(b).get("c") == "Alive", "a and b list c as Alive again")
    check_adverts(etcd, nodes)
    check(b.ask("tells c 100", timeout=30) == "tells count=100 ordered=yes refused=0", "tells to the new c")


def etcd_reports(node):
    return [line for line in node.log if line.startswith("bastion: etcd:")]


def etcd_restart(binary, nodes, etcd):
    """etcd crashes (kill -9) and comes back on the same data dir: the links stay up meanwhile, the nodes report the
    outage and the recovery (once each, not once per retry), every key is there again, and a node started afterwards
    joins through etcd."""
    etcd_formation(binary, nodes, etcd)
    for node in nodes:
        node.ask("subscribe")
    etcd.kill()
    for node in nodes:
        node.expect("bastion: etcd:", 10)  # each noticed the outage
    # Longer than a lease's TTL and than the heartbeat timeout: the links do not depend on etcd.
    outage_end = time.monotonic() + max(ETCD_TTL_S, TIMEOUT_MS / 1000) + 0.5
    while time.monotonic() < outage_end:
        for node in nodes:
            seen = members(node)
            check(seen == {n.name: "Alive" for n in nodes if n is not node}, f"{node.name} during the outage: {seen}")
        time.sleep(0.2)  # sampling a window, not waiting for anything
    for node in nodes:
        lost = [line for line in node.unread if line.startswith("event down")]
        check(not lost, f"{node.name} lost a member: {lost}")
    etcd.start()
    for node in nodes:
        back = node.expect("bastion: etcd:", 15)
        while ": back;" not in back:  # perhaps another error while etcd elects itself, then the recovery
            back = node.expect("bastion: etcd:", 15)
    # A few lines each, not one per retry (the backoff retried about ten times during the outage).
    for node in nodes:
        check(len(etcd_reports(node)) <= 5, f"{node.name} reported too often: {etcd_reports(node)}")
    check_adverts(etcd, nodes)  # every key is back (its lease survived the restart, or a new one was granted)
    # Membership through etcd works again: a newcomer that knows only etcd joins everyone.
    d = Node(binary, "d", free_port(), [], etcd_url=etcd.url)
    nodes.append(d)
    check(d.ask("wait 3 15000") == "wait ok", "d joined a, b and c through etcd")
    for node in nodes[:3]:
        node.expect(f"event up d {d.incarnation}", 10)
    for node in nodes:
        seen = members(node)
        check(seen == {n.name: "Alive" for n in nodes if n is not node}, f"{node.name} sees {seen}")
    check_adverts(etcd, nodes)
    check(d.ask("tells a 100", timeout=30) == "tells count=100 ordered=yes refused=0", "tells d -> a")


ETCD_SCENARIOS = (etcd_formation, etcd_node_down, etcd_restart)
SCENARIOS = {f.__name__: f for f in (formation, messaging, node_down, death_watch, distributor, relink, leave, malformed,
                                     *ETCD_SCENARIOS)}


def main():
    binary, scenario = sys.argv[1], sys.argv[2]
    run = SCENARIOS[scenario]
    etcd, nodes = None, []
    found = etcd_binary() if run in ETCD_SCENARIOS else None
    if run in ETCD_SCENARIOS and found is None:
        print(f"{scenario}: SKIP: no etcd binary (Debian's etcd-server; scripts/install-deps.sh installs it)")
        return SKIP
    try:
        if run in ETCD_SCENARIOS:
            etcd = EtcdServer(found)
            nodes.extend(start_etcd_cluster(binary, ["a", "b", "c"], etcd))
            run(binary, nodes, etcd)
        else:
            nodes.extend(start_cluster(binary, ["a", "b", "c"]))
            run(binary, nodes)
        print(f"{scenario}: ok")
    except Skipped as reason:
        print(f"{scenario}: SKIP: {reason}")
        return SKIP
    except AssertionError as error:
        print(f"{scenario}: FAILED: {error}")
        for node in nodes:
            print(f"--- {node.name} ({node.address})")
            print("\n".join(node.excerpt(60)))
        if etcd:
            print(f"--- etcd ({etcd.url})")
            print(etcd.log_tail())
        return 1
    finally:
        for node in nodes:
            node.quit()
        if etcd:
            etcd.close()
    return 0

if __name__ == "__main__":
    sys.exit(main())
