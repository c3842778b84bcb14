"""A private network for cluster tests: node namespaces joined by veth pairs to a bridge in a hub namespace.

Each node namespace gets `eth0` (SUBNET.i/24) and `lo`; the other end of its veth sits on the hub's bridge. The pairs
are made inside the node's namespace and one end moved to the hub, so the machine's own namespace never sees them and
nothing leads out of the machine. Needs root (or CAP_NET_ADMIN) and iproute2.
"""

import subprocess
import uuid


def ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=30)


def in_ns(ns, *args):
    return ip("netns", "exec", ns, "ip", *args)


class Network:
    def __init__(self, tag, names, subnet):
        self.prefix = tag + uuid.uuid4().hex[:6]  # names unique to this run
        self.names = names
        self.subnet = subnet

    def namespace(self, name):
        return f"{self.prefix}-{name}"

    def host(self, name):
        return f"{self.subnet}.{self.names.index(name) + 1}"

    def make(self):
        hub = self.namespace("hub")
        ip("netns", "add", hub)
        in_ns(hub, "link", "add", "br0", "type", "bridge")
        in_ns(hub, "link", "set", "br0", "up")
        in_ns(hub, "link", "set", "lo", "up")
        for name in self.names:
            ns = self.namespace(name)
            ip("netns", "add", ns)
            in_ns(ns, "link", "add", "eth0", "type", "veth", "peer", "name", f"p{name}")
            in_ns(ns, "link", "set", f"p{name}", "netns", hub)
            in_ns(hub, "link", "set", f"p{name}", "master", "br0")
            in_ns(hub, "link", "set", f"p{name}", "up")
            in_ns(ns, "addr", "add", f"{self.host(name)}/24", "dev", "eth0")
            in_ns(ns, "link", "set", "eth0", "up")
            in_ns(ns, "link", "set", "lo", "up")

    def remove(self):
        for suffix in ["hub", *self.names]:
            ip("netns", "del", self.namespace(suffix), check=False)

    def cable(self, name, up):
        """Plugs `name`'s cable into the bridge, or pulls it out."""
        in_ns(self.namespace("hub"), "link", "set", f"p{name}", "up" if up else "down")
