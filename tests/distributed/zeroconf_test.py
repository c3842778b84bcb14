#!/usr/bin/env python3
"""Nodes find each other through zeroconf (DNS-SD over multicast DNS, through Avahi), inside network namespaces.

    zeroconf_test.py CLUSTER_NODE

Three node namespaces are joined by veth pairs to a bridge in a hub namespace (10.78.0.0/24), as partition_test.py
makes them; the machine's own interfaces are never used, so no multicast leaves the machine. Each node namespace runs a
D-Bus system bus of its own (a unix socket in a temp dir, with Avahi's policy) and an avahi-daemon on it, restricted to
the namespace's eth0 and in a mount namespace of its own (its pid file, /run/avahi-daemon/pid, is fixed). The nodes get
no seeds: `zeroconf=1` is all they have. They must form a full mesh; a killed node is marked Down by the others and,
restarted, rejoins; a node whose avahi-daemon crashes and comes back says so on stderr and is found through it again.

Skipped (77) without the right to make namespaces, or where avahi-daemon or dbus-daemon is missing (Debian's
avahi-daemon and dbus; scripts/install-deps.sh installs them).
"""

import configparser
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_test as ct  # noqa: E402
import netns  # noqa: E402
from netns import in_ns  # noqa: E402

NAMES = ["a", "b", "c"]
NET = netns.Network("bzc", NAMES, "10.78.0")  # namespace and host names unique to this run
PORT = 7500
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin", "/bin"])
DAEMON_START_S = 20  # an avahi-daemon probes its host name (about a second) before it says it is up


def links(ns):
    """The interfaces of `ns` by name, with their kind (`veth`, `bridge`, or '' for lo)."""
    found = {}
    for line in in_ns(ns, "-d", "-o", "link", "show").stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        kind = next((k for k in ("veth", "bridge") if f" {k} " in f" {line} "), "")
        found[name] = kind
    return found


def check_contained():
    """Multicast can only reach the hub's bridge: each node namespace has lo and one veth, the hub only the bridge and
    the other ends of those veths, and nothing in it leads out of the machine."""
    for name in NAMES:
        seen = links(NET.namespace(name))
        ct.check(seen == {"lo": "", "eth0": "veth"}, f"{NET.namespace(name)} has only lo and a veth eth0: {seen}")
    seen = links(NET.namespace("hub"))
    expected = {"lo": "", "br0": "bridge", **{f"p{name}": "veth" for name in NAMES}}
    ct.check(seen == expected, f"the hub has only its bridge and the veths' other ends: {seen}")


BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
</busconfig>
"""

AVAHI_CONF = """[server]
host-name={host_name}
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000

[wide-area]
enable-wide-area=no

[publish]
disable-publishing=no
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no

[reflector]
enable-reflector=no
"""

# avahi-daemon writes /run/avahi-daemon/pid (fixed) and refuses to start if another daemon's is there: each runs in a
# mount namespace of its own with a tmpfs over /run, which also hides the machine's system bus socket from it.
AVAHI_START = ("mount -t tmpfs tmpfs /run && mkdir /run/avahi-daemon && "
               'exec "$0" --no-drop-root --no-chroot --no-rlimits --no-proc-title -f "$1"')


def net_namespace_of(pid):
    return os.stat(f"/proc/{pid}/ns/net").st_ino


class Daemons:
    """The private system bus and the avahi-daemon of one node namespace, with their logs in `dir`."""

    def __init__(self, name, dir, binaries):
        self.ns = NET.namespace(name)
        self.dir = dir
        self.binaries = binaries
        os.makedirs(dir)
        self.socket = os.path.join(dir, "system_bus_socket")
        self.bus = f"unix:path={self.socket}"
        self.bus_conf = os.path.join(dir, "bus.conf")
        self.avahi_conf = os.path.join(dir, "avahi-daemon.conf")
        with open(self.bus_conf, "w") as f:
            f.write(BUS_CONF.format(socket=self.socket))
        with open(self.avahi_conf, "w") as f:
            f.write(AVAHI_CONF.format(host_name=NET.namespace(name)))
        self.dbus = None
        self.avahi = None
        self.avahi_log = os.path.join(dir, "avahi.log")

    def check_conf(self):
        conf = configparser.ConfigParser()
        conf.read(self.avahi_conf)
        allowed = [i.strip() for i in conf["server"]["allow-interfaces"].split(",")]
        ct.check(allowed == ["eth0"], f"{self.avahi_conf}: allow-interfaces is the namespace's eth0 only: {allowed}")
        ct.check(conf["server"]["use-ipv6"] == "no" and conf["reflector"]["enable-reflector"] == "no",
                 f"{self.avahi_conf}: no IPv6, no reflector")

    def start_bus(self):
        with open(os.path.join(self.dir, "dbus.log"), "a") as log:
            self.dbus = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, self.binaries["dbus-daemon"], f"--config-file={self.bus_conf}",
                 "--nofork", "--nopidfile", "--nosyslog"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        ct.wait_until(lambda: self.alive(self.dbus, "dbus-daemon") and os.path.exists(self.socket), DAEMON_START_S,
                      f"the bus of {self.ns} listening at {self.socket}")

    def start_avahi(self):
        with open(self.avahi_log, "a") as log:
            log.write("--- start\n")
            log.flush()
            self.avahi = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, "env", f"DBUS_SYSTEM_BUS_ADDRESS={self.bus}",
                 self.binaries["unshare"], "--mount", "--propagation", "private",
                 "sh", "-c", AVAHI_START, self.binaries["avahi-daemon"], self.avahi_conf],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        ct.wait_until(lambda: self.alive(self.avahi, "avahi-daemon") and self.started(), DAEMON_START_S,
                      f"the avahi-daemon of {self.ns} up")
        ct.check(net_namespace_of(self.avahi.pid) == os.stat(f"/run/netns/{self.ns}").st_ino,
                 f"the avahi-daemon of {self.ns} runs in that namespace")
        ct.check(net_namespace_of(self.avahi.pid) != net_namespace_of(os.getpid()),
                 f"the avahi-daemon of {self.ns} is not in the machine's namespace")

    def started(self):
        with open(self.avahi_log, errors="replace") as log:
            return "Server startup complete" in log.read().rsplit("--- start\n", 1)[-1]

    def alive(self, proc, what):
        if proc.poll() is not None:
            raise AssertionError(f"{what} in {self.ns} exited with {proc.returncode}:\n{self.log_tail()}")
        return True

    def crash_avahi(self):
        self.avahi.send_signal(signal.SIGKILL)
        self.avahi.wait(timeout=10)

    def log_tail(self, lines=20):
        text = []
        for name in ("dbus.log", "avahi.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as log:
                    text.append(f"--- {self.ns} {name}\n" + "".join(log.readlines()[-lines:]))
        return "".join(text)

    def close(self):
        for proc in (self.avahi, self.dbus):  # avahi first: it withdraws its records while the bus is up
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


class ZeroconfNode(ct.Node):
    """A cluster_node in its namespace, on that namespace's bus, with no seeds: it finds the others through zeroconf."""

    def __init__(self, binary, name, daemons, host):  # cluster_test.Node's, with the namespace, bus and option
        self.name = name
        self.address = f"{host}:{PORT}"
        self.log = []
        self.unread = []
        self.lines = queue.Queue()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", daemons.ns, "env", f"DBUS_SYSTEM_BUS_ADDRESS={daemons.bus}",
             binary, name, self.address, "-", str(ct.HEARTBEAT_MS), str(ct.TIMEOUT_MS), "zeroconf=1"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._pump, daemon=True).start()
        self.incarnation = self.expect("ready", 10).split()[3]


def expect_alive(nodes):
    for node in nodes:
        seen = ct.members(node)
        others = {n.name: "Alive" for n in nodes if n is not node}
        ct.check(seen == others, f"{node.name} sees {seen}")


def scenario(binary, daemons, nodes):
    """Runs the nodes, keeping the running ones in `nodes` by name (for the caller to stop, however this ends)."""
    host = {name: NET.host(name) for name in NAMES}

    def start(name):
        nodes[name] = ZeroconfNode(binary, name, daemons[name], host[name])
        return nodes[name]

    # Formation: no seeds anywhere, so every link comes from what Avahi found.
    a, b, c = (start(name) for name in NAMES)
    for node in (a, b, c):
        ct.check(node.ask("wait 2 20000") == "wait ok", f"{node.name} found the 2 others through zeroconf")
    expect_alive([a, b, c])
    for node in (a, b, c):
        node.ask("subscribe")

    # A node killed: the others mark it Down (its daemon withdraws its service, and its links fall silent).
    c.kill()
    for node in (a, b):
        ct.check(node.expect("event down c", ct.TIMEOUT_MS / 1000 * 4) == "event down c timeout",
                 f"{node.name} saw c go down")
    ct.check(ct.members(a) == {"b": "Alive", "c": "Down"}, "a after c was killed")

    # b's avahi-daemon crashes and comes back: b reports the loss and the return, and its links do not care.
    daemons["b"].crash_avahi()
    lost = b.expect("bastion: zeroconf:", 10)
    ct.check("lost the Avahi daemon" in lost or "waiting for the Avahi daemon" in lost, f"b reported {lost!r}")
    ct.check(ct.members(a) == {"b": "Alive", "c": "Down"}, "a while b's avahi-daemon is down")
    daemons["b"].start_avahi()
    back = b.expect("bastion: zeroconf:", 20)
    while ": back;" not in back:  # perhaps "waiting for the Avahi daemon" first
        back = b.expect("bastion: zeroconf:", 20)

    # With a gone too, c restarted can only meet b through b's Avahi client, which must have come back: either b
    # published itself again (c dials it) or b browses again (b dials c).
    a.kill()
    b.expect("event down a", ct.TIMEOUT_MS / 1000 * 4)
    c = start("c")
    ct.check(c.ask("wait 1 20000") == "wait ok", "the restarted c found b through b's restarted avahi-daemon")
    b.expect(f"event up c {c.incarnation}", 10)

    # a restarted rejoins both, and everything flows.
    a = start("a")
    for node in (a, b, c):
        ct.check(node.ask("wait 2 20000") == "wait ok", f"{node.name} sees both others after the restarts")
    b.expect(f"event up a {a.incarnation}", 10)
    expect_alive([a, b, c])
    ct.check(a.ask("tells c 200", timeout=30) == "tells count=200 ordered=yes refused=0", "tells a -> c")
    ct.check(c.ask("asks b 20", timeout=30) == "asks right=20 signed=20", "asks c -> b")


def find_binaries():
    found = {name: shutil.which(name, path=SBIN_PATH) for name in ("avahi-daemon", "dbus-daemon", "unshare", "ip")}
    missing = [name for name, path in found.items() if path is None]
    return found, missing


def main():
    binary = sys.argv[1]
    binaries, missing = find_binaries()
    if missing:
        print(f"zeroconf: SKIP: missing {', '.join(missing)} (Debian's avahi-daemon, dbus; scripts/install-deps.sh)")
        return ct.SKIP
    try:
        NET.make()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError) as error:
        NET.remove()
        print(f"zeroconf: SKIP: cannot make network namespaces here ({error})")
        return ct.SKIP
    tmp = tempfile.mkdtemp(prefix="bastion-zeroconf-")
    daemons = {}
    nodes = {}
    try:
        check_contained()
        for name in NAMES:
            daemons[name] = Daemons(name, os.path.join(tmp, name), binaries)
            daemons[name].check_conf()
        for name in NAMES:
            daemons[name].start_bus()
            daemons[name].start_avahi()
        started = time.monotonic()
        scenario(binary, daemons, nodes)
        check_contained()  # nothing was added meanwhile
        print(f"zeroconf: ok ({time.monotonic() - started:.1f} s)")
        return 0
    except (AssertionError, subprocess.TimeoutExpired) as error:
        print(f"zeroconf: FAILED: {error}")
        for node in nodes.values():
            print(f"--- {node.name} ({node.address})")
            print("\n".join(node.excerpt(40)))
        for d in daemons.values():
            print(d.log_tail())
        return 1
    finally:
        for node in nodes.values():
            node.quit()
        for d in daemons.values():
            d.close()
        NET.remove()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
